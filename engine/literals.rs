//! Character folding for phrase matching, and the literals a regex cannot match without.
//!
//! This file is also compiled into the build script, which computes the literals of the
//! embedded rules' regexes once, so the binary can skip compiling a regex whose required
//! words are absent from a paste. It depends on nothing but `regex-syntax`.

use regex_syntax::hir::literal::{ExtractKind, Extractor};

/// Folds one character the way pastes and phrases are compared: lower case, straight quotes,
/// ASCII colon and parentheses for their full-width forms.
pub fn fold_char(c: char) -> impl Iterator<Item = char> {
    let mapped = match c {
        '‘' | '’' | '‚' | '‛' | '′' | '`' | '´' => '\'',
        '“' | '”' | '„' | '‟' | '″' | '«' | '»' => '"',
        '：' => ':',
        '（' => '(',
        '）' => ')',
        '，' => ',',
        '–' | '—' => '-',
        other => other,
    };
    mapped.to_lowercase()
}

/// Words one of which every match of `source` begins with, folded; `None` when no such
/// short list exists (the regex must then always run). A paste whose folded text contains
/// none of them cannot match.
pub fn required_words(source: &str) -> Option<Vec<String>> {
    // Case variants would multiply the literals past any useful limit; the words are folded
    // to lower case below, which is what a leading `(?i)` allows.
    let body = source.strip_prefix("(?i)").unwrap_or(source);
    let hir = regex_syntax::parse(body).ok()?;
    let mut extractor = Extractor::new();
    extractor.kind(ExtractKind::Prefix).limit_total(512);
    let seq = extractor.extract(&hir);
    let literals = seq.literals()?;
    if literals.is_empty() {
        return None;
    }
    let mut words: Vec<String> = Vec::new();
    for literal in literals {
        let text = std::str::from_utf8(literal.as_bytes()).ok()?;
        // Whitespace in a paste may be folded differently; keep the longest word-run.
        let piece = text.split_whitespace().max_by_key(|p| p.chars().count())?;
        if piece.chars().count() < 3 {
            return None;
        }
        let folded: String = piece.chars().flat_map(fold_char).collect();
        if !words.contains(&folded) {
            words.push(folded);
        }
    }
    words.sort();
    Some(words)
}
