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

pub(super) fn coverage(knowledge: &Knowledge, by: CoverageBy, format: ListFormat) -> u8 {
    use crate::catalog::coverage;
    match by {
        CoverageBy::Family => {}
        CoverageBy::Language => {
            let rows = coverage::language_coverage(knowledge);
            return print_listing(format, &rows, |out| {
                out.push_str(&table(
                    ["language", "entries", "texts", "families"],
                    rows.iter()
                        .map(|row| {
                            [
                                row.lang.clone(),
                                row.entries.to_string(),
                                row.texts.to_string(),
                                row.families.join(" "),
                            ]
                        })
                        .collect(),
                    &[1, 2],
                ));
            });
        }
        CoverageBy::Category => {
            let rows = coverage::category_coverage(knowledge);
            return print_listing(format, &rows, |out| {
                out.push_str(&table(
                    ["category", "entries", "rules", "examples", "sources"],
                    rows.iter()
                        .map(|row| {
                            [
                                row.category.to_string(),
                                row.entries.to_string(),
                                row.rules.to_string(),
                                row.examples.to_string(),
                                row.sources.to_string(),
                            ]
                        })
                        .collect(),
                    &[1, 2, 3, 4],
                ));
            });
        }
    }
    let rows = coverage::family_coverage(knowledge);
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
