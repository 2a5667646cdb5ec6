//! Coverage of the catalog: per family (by the rules), per language and per category; what
//! `catalog coverage` reports.

use serde::Serialize;

use std::collections::{BTreeMap, BTreeSet};

use super::{CatalogEntry, Category, Family, Knowledge, Rule};

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

/// The catalog's texts in one language.
#[derive(Debug, Serialize)]
pub struct LanguageCoverage {
    /// The language (`en`, `de`, `zh-CN`, ...).
    pub lang: String,
    /// Entries with at least one text in it.
    pub entries: usize,
    /// Texts in it.
    pub texts: usize,
    /// The families of those entries.
    pub families: Vec<String>,
}

/// Per language: entries and texts, most entries first.
pub fn language_coverage(knowledge: &Knowledge) -> Vec<LanguageCoverage> {
    let mut by_lang: BTreeMap<&str, (usize, usize, BTreeSet<&str>)> = BTreeMap::new();
    for entry in knowledge.catalog.entries() {
        for (lang, texts) in &entry.messages {
            let slot = by_lang.entry(lang.as_str()).or_default();
            slot.0 += 1;
            slot.1 += texts.len();
            slot.2.insert(entry.family.as_str());
        }
    }
    let mut rows: Vec<LanguageCoverage> = by_lang
        .into_iter()
        .map(|(lang, (entries, texts, families))| LanguageCoverage {
            lang: lang.to_string(),
            entries,
            texts,
            families: families.into_iter().map(str::to_string).collect(),
        })
        .collect();
    rows.sort_by(|a, b| b.entries.cmp(&a.entries).then_with(|| a.lang.cmp(&b.lang)));
    rows
}

/// Catalog entries and rules of one category.
#[derive(Debug, Serialize)]
pub struct CategoryCoverage {
    /// The category.
    pub category: &'static str,
    /// Catalog entries of this category.
    pub entries: usize,
    /// Rules of this category.
    pub rules: usize,
    /// Their examples.
    pub examples: usize,
    /// The distinct sources those examples cite.
    pub sources: usize,
}

/// Per category: catalog entries, rules, their examples and sources.
pub fn category_coverage(knowledge: &Knowledge) -> Vec<CategoryCoverage> {
    Category::ALL
        .iter()
        .map(|&category| {
            let rules: Vec<&Rule> = knowledge
                .rules
                .iter()
                .filter(|r| r.category == category)
                .collect();
            let sources: BTreeSet<&str> = rules
                .iter()
                .flat_map(|r| &r.examples)
                .filter_map(|e| e.source.as_deref())
                .collect();
            CategoryCoverage {
                category: category.as_str(),
                entries: knowledge
                    .catalog
                    .entries()
                    .iter()
                    .filter(|e| e.category.unwrap_or(Category::Other) == category)
                    .count(),
                rules: rules.len(),
                examples: rules.iter().map(|r| r.examples.len()).sum(),
                sources: sources.len(),
            }
        })
        .collect()
}
