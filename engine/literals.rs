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

/// Words one of which every match of `source` contains, folded; `None` when no such short
/// list exists (the regex must then always run). A paste whose folded text contains none of
/// them cannot match. The literals a match must begin with and those it must end with are
/// both computed, and the more selective list is kept.
pub fn required_words(source: &str) -> Option<Vec<String>> {
    // Case variants would multiply the literals past any useful limit; the words are folded
    // to lower case below, which is what a leading `(?i)` allows.
    let body = source.strip_prefix("(?i)").unwrap_or(source);
    // A run of whitespace is one space in folded text (none between CJK characters, which
    // `fold_phrase` also drops), so `\s+` can be read as a space when looking for literals.
    let body = spaces_for_whitespace_runs(body);
    let hir = regex_syntax::parse(&body).ok()?;
    let candidates = [ExtractKind::Prefix, ExtractKind::Suffix]
        .into_iter()
        .filter_map(|kind| {
            let mut extractor = Extractor::new();
            extractor.kind(kind).limit_total(512);
            words_of(&extractor.extract(&hir))
        });
    // The list whose shortest word is longest is the least likely to occur by chance.
    candidates.max_by_key(|words| words.iter().map(|w| w.chars().count()).min().unwrap_or(0))
}

fn words_of(seq: &regex_syntax::hir::literal::Seq) -> Option<Vec<String>> {
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

/// Replaces `\s+` outside character classes by a literal space.
fn spaces_for_whitespace_runs(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut chars = source.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let next = chars.next();
                if !in_class && next == Some('s') && chars.peek() == Some(&'+') {
                    chars.next();
                    out.push(' ');
                } else {
                    out.push(c);
                    out.extend(next);
                }
            }
            '[' => {
                in_class = true;
                out.push(c);
            }
            ']' => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_runs_join_words_and_the_more_selective_end_wins() {
        assert_eq!(
            required_words(r"(?i)\bfunction\s+is\s+not\s+supported"),
            Some(vec!["function is not supported".to_string()])
        );
        // The prefix is a short word; the suffix literal is the better prerequisite.
        assert_eq!(
            required_words(r"(?i)not\s*\d+ supported by the server"),
            Some(vec!["supported by the server".to_string()])
        );
        assert_eq!(
            required_words(r"(?i)(?:^|\s)/sec:nla\b"),
            Some(vec!["/sec:nla".to_string()])
        );
        assert_eq!(required_words(r"[0-9]+.?"), None);
        assert_eq!(
            spaces_for_whitespace_runs(r"a\s+b[\s+]\\s+"),
            r"a b[\s+]\\s+"
        );
    }

    #[test]
    fn cjk_words_lose_the_space_between_them() {
        assert_eq!(
            required_words(r"要求された\s+関数"),
            Some(vec!["要求された関数".to_string()])
        );
    }
}
