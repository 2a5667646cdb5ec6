//! Coverage of the catalog by the rules, per family: what `catalog coverage` reports.

use serde::Serialize;

use super::{CatalogEntry, Family, Knowledge, Rule};

/// Coverage of one family by the rules.
#[derive(Debug, Serialize)]
pub struct FamilyCoverage {
    /// The family.
    pub family: String,
    /// Entries the catalog defines in it.
    pub codes: usize,
    /// Of those, the ones some rule explains (names in `codes`).
    pub explained: usize,
    /// Rules that explain a code of this family.
    pub rules: usize,
    /// Of those, the rules with at least one example and one counter-example.
    pub tested_rules: usize,
}

/// Per family: codes, codes a rule explains, rules, rules with tests.
pub fn family_coverage(knowledge: &Knowledge) -> Vec<FamilyCoverage> {
    Family::ALL
        .iter()
        .map(|&family| {
            let entries: Vec<&CatalogEntry> = knowledge
                .catalog
                .entries()
                .iter()
                .filter(|e| e.family == family)
                .collect();
            let explained = entries
                .iter()
                .filter(|e| knowledge.rules_explaining(e).next().is_some())
                .count();
            let mut rules: Vec<&Rule> = Vec::new();
            for rule in entries.iter().flat_map(|e| knowledge.rules_explaining(e)) {
                if !rules.iter().any(|r| r.id == rule.id) {
                    rules.push(rule);
                }
            }
            FamilyCoverage {
                family: family.as_str().to_string(),
                codes: entries.len(),
                explained,
                rules: rules.len(),
                tested_rules: rules
                    .iter()
                    .filter(|r| !r.examples.is_empty() && !r.counter_examples.is_empty())
                    .count(),
            }
        })
        .collect()
}
