//! The knowledge base as a whole: the catalog against the sourced reference, rule hygiene.

use std::collections::BTreeSet;

use rdp_doctor::catalog::{Code, Family, Knowledge, Pattern};
use serde::Deserialize;

/// One entry of the sourced reference table (shared/reference/rdp-error-codes.yaml).
#[derive(Debug, Deserialize)]
struct ReferenceEntry {
    code: Option<String>,
    family: String,
}

#[test]
fn the_catalog_holds_every_code_of_the_sourced_reference() {
    let path = super::root().join("../shared/reference/rdp-error-codes.yaml");
    let Ok(text) = std::fs::read_to_string(&path) else {
        // The reference sits beside the checkout on development and CI machines; without it
        // the per-family minimums below still hold.
        eprintln!(
            "{} not found; checking recorded minimums only",
            path.display()
        );
        return;
    };
    let reference: Vec<ReferenceEntry> = serde_yaml::from_str(&text).expect("reference parses");
    let knowledge = Knowledge::embedded();
    let mut missing = Vec::new();
    for entry in &reference {
        let family: Family = entry.family.parse().expect("reference family");
        let Some(code_text) = &entry.code else {
            continue;
        };
        let code = Code::parse(code_text).expect("reference code");
        let folded_alias = knowledge
            .catalog
            .entries()
            .iter()
            .any(|e| e.aliases.iter().any(|a| a == code_text));
        if !knowledge.catalog.defines(family, code) && !folded_alias {
            missing.push(format!("{family}:{code_text}"));
        }
    }
    assert!(missing.is_empty(), "missing from the catalog: {missing:?}");
}

#[test]
fn the_catalog_keeps_at_least_the_reference_counts_per_family() {
    // Entries per family in the sourced reference (shared/reference/README.md); `other` lost
    // one entry there, the decimal spelling 516, which the catalog folds into disconnect 0x204.
    let minimums = [
        (Family::DisconnectReason, 66),
        (Family::ExtendedReason, 28),
        (Family::Errinfo, 121),
        (Family::FreerdpErrconnect, 30),
        (Family::Gateway, 50),
        (Family::AvdClient, 13),
        (Family::Other, 7),
    ];
    let knowledge = Knowledge::embedded();
    for (family, minimum) in minimums {
        let count = knowledge
            .catalog
            .entries()
            .iter()
            .filter(|e| e.family == family)
            .count();
        assert!(
            count >= minimum,
            "{family}: {count} entries, the reference has {minimum}"
        );
    }
    for entry in knowledge.catalog.entries() {
        assert!(
            !entry.meaning.trim().is_empty(),
            "{} has no meaning",
            entry.key()
        );
        assert!(
            !entry.references.is_empty(),
            "{} has no reference",
            entry.key()
        );
    }
}

#[test]
fn catalog_coverage_counts_what_the_rules_explain() {
    let knowledge = Knowledge::embedded();
    let rows = rdp_doctor::cli::family_coverage(&knowledge);
    let disconnect = rows
        .iter()
        .find(|r| r.family == "disconnect_reason")
        .unwrap();
    let explained: BTreeSet<Code> = knowledge
        .rules
        .iter()
        .flat_map(|r| r.codes.iter())
        .filter(|c| c.family.is_none_or(|f| f == Family::DisconnectReason))
        .map(|c| c.code)
        .filter(|&code| knowledge.catalog.defines(Family::DisconnectReason, code))
        .collect();
    assert_eq!(disconnect.explained, explained.len());
    assert!(disconnect.tested_rules <= disconnect.rules);
}

#[test]
fn no_two_rules_have_identical_signatures() {
    let knowledge = Knowledge::embedded();
    let mut seen: Vec<(BTreeSet<String>, &str)> = Vec::new();
    for rule in &knowledge.rules {
        let signature_set: BTreeSet<String> = rule
            .signatures
            .iter()
            .map(|s| format!("{} {}", s.describe(), s.weight))
            .collect();
        if let Some((_, other)) = seen.iter().find(|(set, _)| *set == signature_set) {
            panic!("rules {other} and {} have identical signatures", rule.id);
        }
        seen.push((signature_set, &rule.id));
    }
}

#[test]
fn every_rule_has_references_steps_and_sourced_examples() {
    let knowledge = Knowledge::embedded();
    for rule in &knowledge.rules {
        assert!(
            rule.references.len() >= 2,
            "{}: fewer than 2 references",
            rule.id
        );
        assert!(!rule.steps.is_empty(), "{}: no steps", rule.id);
        assert!(!rule.causes.is_empty(), "{}: no causes", rule.id);
        assert!(
            rule.examples.len() >= 2,
            "{}: fewer than 2 examples",
            rule.id
        );
        let codes_in_signatures = rule
            .signatures
            .iter()
            .any(|s| matches!(s.pattern, Pattern::Codes(_)));
        let words_in_signatures = rule
            .signatures
            .iter()
            .any(|s| !matches!(s.pattern, Pattern::Codes(_)));
        assert!(
            codes_in_signatures || words_in_signatures,
            "{}: no signature",
            rule.id
        );
    }
}
