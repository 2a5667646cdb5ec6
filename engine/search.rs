//! Phrase search over folded text: exact, and tolerant of a typo or two.

use std::collections::HashSet;
use std::ops::Range;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use aho_corasick::AhoCorasick;

/// A set of phrases found anywhere in a text, overlaps included. The first short texts (a
/// pasted dialog) are searched phrase by phrase, which costs less than building an automaton;
/// a long text (a log), or the next text once a few were searched, builds one Aho-Corasick
/// automaton, kept for every later text (a site build, `rules check`, the paste box).
#[derive(Debug)]
pub struct PhraseSet {
    phrases: Vec<String>,
    automaton: OnceLock<Option<AhoCorasick>>,
    /// Texts searched phrase by phrase so far.
    searched: AtomicUsize,
}

/// Texts up to this many bytes are searched phrase by phrase...
const SHORT_TEXT: usize = 32 * 1024;

/// ... while fewer than this many texts were: searching phrase by phrase costs a few
/// automaton builds' worth of setup per text.
const SHORT_SEARCHES: usize = 2;

impl PhraseSet {
    /// A set of `phrases`; a phrase's id is its index.
    pub fn new(phrases: Vec<String>) -> PhraseSet {
        PhraseSet {
            phrases,
            automaton: OnceLock::new(),
            searched: AtomicUsize::new(0),
        }
    }

    /// The number of phrases.
    pub fn len(&self) -> usize {
        self.phrases.len()
    }

    /// True when the set holds no phrase.
    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }

    /// Calls `visit` with (phrase id, byte range) for every occurrence of every phrase.
    pub fn visit(&self, text: &str, mut visit: impl FnMut(usize, Range<usize>)) {
        if self.automaton.get().is_none()
            && text.len() <= SHORT_TEXT
            && self.searched.fetch_add(1, Ordering::Relaxed) < SHORT_SEARCHES
        {
            for (id, phrase) in self.phrases.iter().enumerate() {
                if phrase.is_empty() {
                    continue;
                }
                for (at, _) in text.match_indices(phrase.as_str()) {
                    visit(id, at..at + phrase.len());
                }
            }
            return;
        }
        let automaton = self
            .automaton
            .get_or_init(|| AhoCorasick::new(&self.phrases).ok());
        let Some(automaton) = automaton else {
            return;
        };
        if text.len() > SHORT_TEXT {
            for m in automaton.find_overlapping_iter(text) {
                visit(m.pattern().as_usize(), m.range());
            }
            return;
        }
        // A short text gets what the search phrase by phrase gives, in its order: phrase by
        // phrase, and for each the occurrences from the left, none overlapping the one before
        // (as `str::match_indices`). A report never depends on how many pastes came before.
        let mut hits: Vec<(usize, Range<usize>)> = automaton
            .find_overlapping_iter(text)
            .map(|m| (m.pattern().as_usize(), m.range()))
            .collect();
        hits.sort_unstable_by_key(|(id, range)| (*id, range.start));
        let mut previous: Option<(usize, usize)> = None;
        for (id, range) in hits {
            if previous.is_some_and(|(last, end)| last == id && range.start < end) {
                continue;
            }
            previous = Some((id, range.end));
            visit(id, range);
        }
    }
}

/// Phrases found with up to one typo per ten characters (an insertion, deletion or
/// substitution: "Remote Destop Gateway", "temporally"), for phrases of at least
/// [`MIN_FUZZY_CHARS`] characters. By the pigeonhole principle a phrase with `k` edits keeps one
/// of `k + 1` pieces intact, so only the places where a piece occurs exactly are verified.
#[derive(Debug)]
pub struct ApproximatePhrases {
    texts: Vec<String>,
    phrases: Vec<Vec<char>>,
    budgets: Vec<usize>,
    pieces: PhraseSet,
    /// For each piece: its phrase and its byte offset in the phrase.
    piece_owner: Vec<(usize, usize)>,
}

/// Shorter phrases are only matched exactly.
pub const MIN_FUZZY_CHARS: usize = 12;

use crate::limits::{
    APPROXIMATE_FAILED_TRIES as MAX_FAILED_TRIES, APPROXIMATE_PLACES as MAX_REPORTS,
};

impl ApproximatePhrases {
    /// Prepares `phrases` (already folded); ids are their indexes.
    pub fn new(phrases: &[String]) -> ApproximatePhrases {
        ApproximatePhrases::with_min_fuzzy_chars(phrases, MIN_FUZZY_CHARS)
    }

    /// Like [`ApproximatePhrases::new`], with typos allowed only in phrases of at least
    /// `min_fuzzy` characters.
    pub fn with_min_fuzzy_chars(phrases: &[String], min_fuzzy: usize) -> ApproximatePhrases {
        let mut pieces = Vec::new();
        let mut piece_owner = Vec::new();
        let mut budgets = Vec::new();
        for (id, phrase) in phrases.iter().enumerate() {
            let chars: Vec<(usize, char)> = phrase.char_indices().collect();
            let budget = if chars.len() < min_fuzzy.max(MIN_FUZZY_CHARS) {
                0
            } else {
                (chars.len() / 10).clamp(1, 3)
            };
            budgets.push(budget);
            if chars.is_empty() {
                continue;
            }
            // A phrase too short for typos is its own single piece, matched exactly.
            let count = budget + 1;
            for k in 0..count {
                let from = chars.len() * k / count;
                let to = chars.len() * (k + 1) / count;
                let start = chars[from].0;
                let end = chars.get(to).map_or(phrase.len(), |(at, _)| *at);
                pieces.push(phrase[start..end].to_string());
                piece_owner.push((id, start));
            }
        }
        ApproximatePhrases {
            texts: phrases.to_vec(),
            phrases: phrases.iter().map(|p| p.chars().collect()).collect(),
            budgets,
            pieces: PhraseSet::new(pieces),
            piece_owner,
        }
    }

    /// The phrase with this id, as given.
    pub fn phrase(&self, id: usize) -> &str {
        &self.texts[id]
    }

    /// Calls `visit(phrase id, byte range)` for approximate occurrences of phrases in `text`
    /// (exact ones included, and only exact ones for short phrases); each place is reported
    /// once, and at most [`MAX_REPORTS`] places per phrase.
    pub fn visit(&self, text: &str, mut visit: impl FnMut(usize, Range<usize>)) {
        let mut reported: HashSet<(usize, usize)> = HashSet::new();
        let mut reports = vec![0usize; self.phrases.len()];
        let mut verified: HashSet<(usize, usize)> = HashSet::new();
        // A long log can hold a piece on every line; past a few failed tries per phrase, only
        // exact occurrences are looked for, so the cost stays bounded.
        let mut failures = vec![0usize; self.phrases.len()];
        self.pieces.visit(text, |piece, range| {
            let (id, offset) = self.piece_owner[piece];
            let budget = self.budgets[id];
            let phrase = &self.phrases[id];
            if reports[id] >= MAX_REPORTS {
                return;
            }
            let anchor = range.start.saturating_sub(offset);
            // Most occurrences are exact: no need for the edit distance then.
            let exact = &self.texts[id];
            if text
                .get(anchor..)
                .is_some_and(|rest| rest.starts_with(exact.as_str()))
            {
                if reported.insert((id, anchor)) {
                    reports[id] += 1;
                    visit(id, anchor..anchor + exact.len());
                }
                return;
            }
            // Only places that will be verified are remembered, so memory stays bounded by the
            // tries allowed per phrase, however often a piece repeats.
            if failures[id] >= MAX_FAILED_TRIES {
                return;
            }
            // Every intact piece of one occurrence points at the same place: verify it once.
            if !verified.insert((id, anchor)) {
                return;
            }
            // The window the phrase could occupy, widened by the edit budget on both sides.
            let window_start = back_chars(text, anchor, budget + 1);
            let window_end = forward_chars(text, anchor, phrase.len() + budget + 1);
            let Some(window) = text.get(window_start..window_end) else {
                return;
            };
            match best_match(phrase, window, budget) {
                Some((start, end)) => {
                    let found = window_start + start..window_start + end;
                    if reported.insert((id, found.start)) {
                        reports[id] += 1;
                        visit(id, found);
                    }
                }
                None => failures[id] += 1,
            }
        });
    }
}

/// The byte offset `count` characters before `at` (or 0).
fn back_chars(text: &str, at: usize, count: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    text[..at]
        .char_indices()
        .rev()
        .nth(count.saturating_sub(1))
        .map_or(0, |(i, _)| i)
}

/// The byte offset `count` characters after `at` (or the end).
fn forward_chars(text: &str, at: usize, count: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    text[at..]
        .char_indices()
        .nth(count)
        .map_or(text.len(), |(i, _)| at + i)
}

/// The substring of `window` closest to `phrase` within `budget` edits, as a byte range of
/// `window` (Sellers' algorithm: edit distance with a free start and end in the window).
fn best_match(phrase: &[char], window: &str, budget: usize) -> Option<(usize, usize)> {
    let chars: Vec<(usize, char)> = window.char_indices().collect();
    let n = chars.len();
    // cost[j], start[j]: best edit distance of the phrase so far ending before window char j.
    let mut cost: Vec<usize> = vec![0; n + 1];
    let mut start: Vec<usize> = (0..=n).collect();
    let mut next_cost: Vec<usize> = vec![0; n + 1];
    let mut next_start: Vec<usize> = vec![0; n + 1];
    for (i, &p) in phrase.iter().enumerate() {
        next_cost[0] = i + 1;
        next_start[0] = 0;
        let mut row_best = i + 1;
        for j in 1..=n {
            let substitute = cost[j - 1] + usize::from(chars[j - 1].1 != p);
            let delete = cost[j] + 1;
            let insert = next_cost[j - 1] + 1;
            let (best, from) = if substitute <= delete && substitute <= insert {
                (substitute, start[j - 1])
            } else if delete <= insert {
                (delete, start[j])
            } else {
                (insert, next_start[j - 1])
            };
            next_cost[j] = best;
            next_start[j] = from;
            row_best = row_best.min(best);
        }
        std::mem::swap(&mut cost, &mut next_cost);
        std::mem::swap(&mut start, &mut next_start);
        // A row's least cost never falls in the rows below it: past the budget, no match.
        if row_best > budget {
            return None;
        }
    }
    let (end, distance) = cost
        .iter()
        .enumerate()
        .skip(1)
        .min_by_key(|(j, d)| (**d, *j))?;
    if *distance > budget {
        return None;
    }
    let begin = start[end];
    let byte = |j: usize| chars.get(j).map_or(window.len(), |(at, _)| *at);
    Some((byte(begin), byte(end)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(phrase: &str, text: &str) -> Vec<String> {
        let set = ApproximatePhrases::new(&[phrase.to_string()]);
        let mut out = Vec::new();
        set.visit(text, |_, range| out.push(text[range].to_string()));
        out
    }

    #[test]
    fn a_short_text_gives_the_same_occurrences_in_the_same_order_every_time() {
        let phrases: Vec<String> = ["aa", "a", "remote", "mote", "remote desktop", "zzz"]
            .iter()
            .map(|p| p.to_string())
            .collect();
        let set = PhraseSet::new(phrases);
        let text = "aaaa remote desktop; remote mote aaa";
        let search = || {
            let mut out = Vec::new();
            set.visit(text, |id, range| out.push((id, range)));
            out
        };
        let first = search();
        assert!(
            set.automaton.get().is_none(),
            "the first texts build no automaton"
        );
        for _ in 0..SHORT_SEARCHES + 2 {
            assert_eq!(search(), first);
        }
        assert!(
            set.automaton.get().is_some(),
            "later texts use the automaton"
        );
        assert_eq!(&first[..3], &[(0, 0..2), (0, 2..4), (0, 33..35)]);
    }

    #[test]
    fn typos_within_the_budget_are_found() {
        let phrase = "remote desktop gateway server";
        assert_eq!(
            find(phrase, "the remote destop gateway server is down"),
            ["remote destop gateway server"]
        );
        assert_eq!(
            find(phrase, "a remote desktop gateway server"),
            ["remote desktop gateway server"]
        );
        assert_eq!(
            find(phrase, "x remote deskstop gateway servr y"),
            ["remote deskstop gateway servr"]
        );
        assert!(find(phrase, "remote access server gateway").is_empty());
        assert!(find("short phrase", "shirt phrose").is_empty());
    }

    #[test]
    fn phrases_at_the_edges_and_in_other_scripts() {
        assert_eq!(
            find("temporarily unavailable", "temporally unavailable"),
            ["temporally unavailable"]
        );
        assert_eq!(
            find(
                "要求された関数はサポートされていません",
                "要求された関数はサポートされていませ"
            ),
            ["要求された関数はサポートされていませ"]
        );
    }
}
