//! The whole list of candidates a report shows, built the same way by the CLI, the browser and the tests.
//!
//! A report lists, best first, the rules whose signatures matched (as ranked by [`Matcher`],
//! possibly re-ranked by probes), then the catalog meanings of what the paste names that no
//! rule explains, then, while the list is shorter than [`MAX_RELATED`], possibly related rules.
//!
//! [`Matcher`]: crate::matcher::Matcher
//! [`MAX_RELATED`]: crate::related::MAX_RELATED

use std::borrow::Borrow;

use crate::catalog::{Category, Knowledge};
use crate::extract::Extraction;
use crate::matcher::{Candidate, Meaning, meanings};
use crate::related::{Related, RelatedRule, has_room};

/// What a paste was matched to: the rules, the catalog meanings no rule explains, and the
/// rules that only share its words.
#[derive(Debug, Clone, Default)]
pub struct Ranking {
    /// Rules whose signatures matched, best first.
    pub candidates: Vec<Candidate>,
    /// Catalog meanings, after the rules.
    pub meanings: Vec<Meaning>,
    /// Possibly related rules (all when the others are empty, else enough to list three).
    pub related: Vec<RelatedRule>,
}

impl Ranking {
    /// Completes the ranked `candidates` of `text` with the catalog meanings and the related
    /// rules. `related` gives the word index; it is only called when the list has room, so a
    /// caller can build the index lazily.
    pub fn complete<R: Borrow<Related>>(
        knowledge: &Knowledge,
        extraction: &Extraction,
        text: &str,
        candidates: Vec<Candidate>,
        related: impl FnOnce() -> R,
    ) -> Ranking {
        let meanings = meanings(knowledge, extraction, &candidates);
        let found = candidates.len() + meanings.len();
        let related = if has_room(found) {
            let rules: Vec<usize> = candidates.iter().map(|c| c.rule).collect();
            related().borrow().complement(text, &rules, found)
        } else {
            Vec::new()
        };
        Ranking {
            candidates,
            meanings,
            related,
        }
    }

    /// Rules only, as a listing of rules without a paste shows them.
    pub fn of_rules(candidates: Vec<Candidate>) -> Ranking {
        Ranking {
            candidates,
            ..Ranking::default()
        }
    }

    /// The category of every entry, in report order. A catalog entry without a category
    /// counts as [`Category::Other`].
    pub fn categories<'a>(
        &'a self,
        knowledge: &'a Knowledge,
    ) -> impl Iterator<Item = Category> + 'a {
        let rule = move |r: usize| knowledge.rules[r].category;
        let entry = move |m: &Meaning| {
            knowledge.catalog.entries()[m.entry]
                .category
                .unwrap_or(Category::Other)
        };
        self.candidates
            .iter()
            .map(move |c| rule(c.rule))
            .chain(self.meanings.iter().map(entry))
            .chain(self.related.iter().map(move |r| rule(r.rule)))
    }

    /// How many entries the report lists.
    pub fn len(&self) -> usize {
        self.candidates.len() + self.meanings.len() + self.related.len()
    }

    /// Whether nothing was found at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
