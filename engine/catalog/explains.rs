//! What explains what: the rules that name each catalog entry, computed once at load.

use std::collections::HashMap;

use super::{Catalog, Code, Pattern, Rule};

/// Which rules explain which catalog entries, computed once when the knowledge is loaded.
///
/// A rule explains an entry when its `codes` name the entry's code in the entry's family, or
/// the code without a family (a bare code explains every family that defines it), or when one
/// of its signatures is the entry's message.
#[derive(Debug, Clone, Default)]
pub struct Explains {
    /// By entry index: the rules that explain it, in load order.
    rules_by_entry: Vec<Vec<usize>>,
    /// By rule index: the entries it explains, in the order of its `codes`.
    entries_by_rule: Vec<Vec<usize>>,
}

impl Explains {
    pub(super) fn new(catalog: &Catalog, rules: &[Rule]) -> Explains {
        let entries = catalog.entries();
        let mut by_code: HashMap<Code, Vec<usize>> = Default::default();
        for (e, entry) in entries.iter().enumerate() {
            if let Some(code) = entry.code {
                by_code.entry(code).or_default().push(e);
            }
        }
        let mut rules_by_entry = vec![Vec::new(); entries.len()];
        let mut entries_by_rule = Vec::with_capacity(rules.len());
        for (r, rule) in rules.iter().enumerate() {
            let mut mine = Vec::new();
            for code_ref in &rule.codes {
                let fitting = by_code.get(&code_ref.code).into_iter().flatten().copied();
                for e in fitting.filter(|&e| code_ref.family.is_none_or(|f| f == entries[e].family))
                {
                    if !mine.contains(&e) {
                        mine.push(e);
                        rules_by_entry[e].push(r);
                    }
                }
            }
            for signature in &rule.signatures {
                if let Pattern::Message(key) = &signature.pattern {
                    if let Some(e) = catalog.index_of(key) {
                        if !mine.contains(&e) {
                            mine.push(e);
                            rules_by_entry[e].push(r);
                        }
                    }
                }
            }
            entries_by_rule.push(mine);
        }
        Explains {
            rules_by_entry,
            entries_by_rule,
        }
    }

    /// The indexes of the rules that explain the entry at `entry`.
    pub fn rules_of(&self, entry: usize) -> &[usize] {
        self.rules_by_entry.get(entry).map_or(&[], Vec::as_slice)
    }

    /// The indexes of the entries the rule at `rule` explains.
    pub fn entries_of(&self, rule: usize) -> &[usize] {
        self.entries_by_rule.get(rule).map_or(&[], Vec::as_slice)
    }
}
