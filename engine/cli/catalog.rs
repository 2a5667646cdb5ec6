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
        out.push_str(&table(
            ["family", "code", "symbol", "name"],
            rows.iter()
                .map(|row| {
                    [
                        row.family.to_string(),
                        row.code.clone(),
                        row.symbol.unwrap_or("-").to_string(),
                        row.name.to_string(),
                    ]
                })
                .collect(),
            &[],
        ));
        let _ = writeln!(out, "{} entries", rows.len());
    })
}

pub(super) fn coverage(knowledge: &Knowledge, format: ListFormat) -> u8 {
    let rows = crate::catalog::coverage::family_coverage(knowledge);
    print_listing(format, &rows, |out| {
        use std::fmt::Write as _;
        out.push_str(&table(
            ["family", "codes", "explained", "rules", "rules tested"],
            rows.iter()
                .map(|row| {
                    [
                        row.family.to_string(),
                        row.codes.to_string(),
                        row.explained.to_string(),
                        row.rules.to_string(),
                        row.tested_rules.to_string(),
                    ]
                })
                .collect(),
            &[1, 2, 3, 4],
        ));
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
