//! The site's search index: a small inverted index over titles, codes, symbols and messages.
//!
//! The index is a script assigning `window.RDP_DOCTOR_SEARCH`: `docs` lists every page as
//! `[kind, path, title, subtitle, snippet]`; `strong` and `weak` map each word to the documents
//! that hold it, as gaps between ascending document numbers (small numbers keep the file
//! small), and `exact` maps each identifier (code, event ID, symbol, rule id) to its pages.
//! Strong words come from titles, codes, symbols and names; weak ones from meanings, summaries
//! and message texts, leaving out words so common they find nothing. `site/assets/search.js`
//! reads it, and tolerates typos by comparing query words with the index's words.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{SearchDocument, Site};
use crate::literals::is_cjk;

/// A weak word held by more than this share of the documents is left out.
const COMMON_SHARE: f64 = 0.2;

/// The index as serialised.
#[derive(Debug, Serialize)]
pub(crate) struct SearchIndex {
    docs: Vec<(&'static str, String, String, String, String)>,
    strong: BTreeMap<String, Vec<u32>>,
    weak: BTreeMap<String, Vec<u32>>,
    exact: BTreeMap<String, Vec<u32>>,
}

/// Builds the index of every searchable page of `site`.
pub(crate) fn build(site: &Site<'_>) -> SearchIndex {
    let documents = site.search_documents();
    let mut strong: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut weak: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let mut exact: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for (n, doc) in documents.iter().enumerate() {
        let n = n as u32;
        for word in words(&doc.strong) {
            add(&mut strong, word, n);
        }
        for word in words(&doc.weak) {
            add(&mut weak, word, n);
        }
        // An identifier is one word as a query splits it: `0x904`, `36870`, a whole symbol.
        for identifier in &doc.exact {
            if let Some(word) = words(identifier).into_iter().next() {
                add(&mut exact, word, n);
            }
        }
    }
    let limit = (documents.len() as f64 * COMMON_SHARE).max(20.0) as usize;
    weak.retain(|word, postings| postings.len() <= limit && !strong_only(word, &strong, postings));
    SearchIndex {
        docs: documents
            .into_iter()
            .map(|d: SearchDocument| (d.kind, d.path, d.title, d.subtitle, d.snippet))
            .collect(),
        strong: strong.into_iter().map(|(w, p)| (w, gaps(p))).collect(),
        weak: weak.into_iter().map(|(w, p)| (w, gaps(p))).collect(),
        exact: exact.into_iter().map(|(w, p)| (w, gaps(p))).collect(),
    }
}

/// True when every document of a weak word already holds it as a strong word.
fn strong_only(word: &str, strong: &BTreeMap<String, Vec<u32>>, postings: &[u32]) -> bool {
    strong
        .get(word)
        .is_some_and(|s| postings.iter().all(|d| s.binary_search(d).is_ok()))
}

fn add(index: &mut BTreeMap<String, Vec<u32>>, word: String, doc: u32) {
    let postings = index.entry(word).or_default();
    if postings.last() != Some(&doc) {
        postings.push(doc);
    }
}

fn gaps(postings: Vec<u32>) -> Vec<u32> {
    let mut previous = 0;
    postings
        .into_iter()
        .map(|d| {
            let gap = d - previous;
            previous = d;
            gap
        })
        .collect()
}

/// The words of a text as search.js splits a query: lower case; letters, digits and `_` runs
/// (a symbol is kept whole and also split at `_`); codes with their leading zeros dropped;
/// CJK text as overlapping pairs of characters.
pub(crate) fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lower = text.to_lowercase();
    let mut push = |word: &str| {
        let word = normalise_code(word);
        if word.chars().count() >= 2 && !out.contains(&word) {
            out.push(word);
        }
    };
    for token in lower.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
        if token.is_empty() {
            continue;
        }
        if token.chars().any(is_cjk) {
            let chars: Vec<char> = token.chars().collect();
            for pair in chars.windows(2) {
                push(&pair.iter().collect::<String>());
            }
            if chars.len() == 1 {
                push(token);
            }
            continue;
        }
        push(token);
        if token.contains('_') {
            for part in token.split('_') {
                push(part);
            }
        }
    }
    out
}

/// `0x00000904` → `0x904`, as the catalog writes codes.
fn normalise_code(word: &str) -> String {
    match word.strip_prefix("0x") {
        Some(hex) if !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()) => {
            let trimmed = hex.trim_start_matches('0');
            format!("0x{}", if trimmed.is_empty() { "0" } else { trimmed })
        }
        _ => word.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_symbols_codes_and_cjk() {
        assert_eq!(
            words("ERRINFO_SERVER_DENIED (0x00000904) CredSSP"),
            [
                "errinfo_server_denied",
                "errinfo",
                "server",
                "denied",
                "0x904",
                "credssp"
            ]
        );
        assert_eq!(words("認証エラー"), ["認証", "証エ", "エラ", "ラー"]);
    }

    #[test]
    fn postings_are_gaps() {
        assert_eq!(gaps(vec![3, 4, 10]), [3, 1, 6]);
    }
}
