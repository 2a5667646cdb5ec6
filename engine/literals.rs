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

/// True for the CJK scripts, where a paste may or may not put spaces between words.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3000..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xFF00..=0xFFEF)
}

/// Folds a phrase: every character folded, whitespace runs made one space, and no space
/// between two CJK characters (as "エラー コード" and "エラーコード" are the same label).
pub fn fold_phrase(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    let mut previous: Option<char> = None;
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space && !out.is_empty() && !(previous.is_some_and(is_cjk) && is_cjk(c)) {
            out.push(' ');
        }
        pending_space = false;
        out.extend(fold_char(c));
        previous = Some(c);
    }
    out
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
        // The whole literal must occur, folded the way the paste is folded.
        let folded = fold_phrase(text.trim());
        if folded.chars().count() < 3 {
            return None;
        }
        if !words.contains(&folded) {
            words.push(folded);
        }
    }
    words.sort();
    Some(words)
}
