//! `catalog list` and `catalog coverage`.

use super::*;

#[derive(Serialize)]
pub(super) struct EntryRow<'a> {
    family: &'a str,
    code: String,
    symbol: Option<&'a str>,
    name: &'a str,
    languages: Vec<&'a str>,
    origin: String,
}

pub(super) fn list_catalog(
    knowledge: &Knowledge,
    family: Option<Family>,
    format: ListFormat,
) -> u8 {
    let rows: Vec<EntryRow> = knowledge
        .catalog
        .entries()
        .iter()
        .filter(|e| family.is_none_or(|f| e.family == f))
        .map(|e| EntryRow {
            family: e.family.as_str(),
            code: e.display_code(),
            symbol: e.symbol.as_deref(),
            name: &e.name,
            languages: e.messages.keys().map(String::as_str).collect(),
            origin: e.origin.to_string(),
        })
        .collect();
    print_listing(format, &rows, |out| {
        use std::fmt::Write as _;
        for row in &rows {
            let _ = writeln!(
                out,
                "{:<18} {:<12} {:<48} {}",
                row.family,
                row.code,
                row.symbol.unwrap_or("-"),
                row.name
            );
        }
        let _ = writeln!(out, "{} entries", rows.len());
    })
}

pub(super) fn coverage(knowledge: &Knowledge, format: ListFormat) -> u8 {
    let rows = crate::catalog::coverage::family_coverage(knowledge);
    print_listing(format, &rows, |out| {
        use std::fmt::Write as _;
        let _ = writeln!(
            out,
            "{:<20} {:>6} {:>10} {:>6} {:>13}",
            "family", "codes", "explained", "rules", "rules tested"
        );
        for row in &rows {
            let _ = writeln!(
                out,
                "{:<20} {:>6} {:>10} {:>6} {:>13}",
                row.family, row.codes, row.explained, row.rules, row.tested_rules
            );
        }
        let tested = knowledge
            .rules
            .iter()
            .filter(|r| !r.examples.is_empty() && !r.counter_examples.is_empty())
            .count();
        let _ = writeln!(
            out,
            "{} catalog entries; {} rules, {} with examples and counter-examples",
            knowledge.catalog.entries().len(),
            knowledge.rules.len(),
            tested
        );
    })
}
