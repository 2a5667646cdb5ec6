//! The rule-regex dialect in one place: parsing, the ASCII reading the engine compiles,
//! the words a match cannot do without, and the `grep -E` form.
//!
//! This file is also compiled into the build script, which computes the required words of
//! the embedded rules' regexes once, so the binary can skip compiling a regex whose words are
//! absent from a paste. It depends on nothing but `regex-syntax` and `literals`.

use regex_syntax::hir::literal::{ExtractKind, Extractor};

use crate::literals::fold_phrase;

/// Checks that a signature regex parses, without compiling it (compiling every regex of a
/// large extra folder at each start would dominate the run time; it compiles on first use).
pub fn parse(source: &str) -> Result<(), String> {
    regex_syntax::Parser::new()
        .parse(&for_engine(source))
        .map(|_| ())
        .map_err(|error| last_line(&error.to_string()))
}

/// The last line of a regex error, which says what is wrong.
pub fn last_line(detail: &str) -> String {
    let last = detail.lines().last().unwrap_or("invalid").trim();
    last.trim_start_matches("error: ").to_string()
}

/// Rewrites `\b`, `\B`, `\d`, `\w` and `\W` to their ASCII forms, inside and outside
/// character classes; every other escape is kept as written.
pub fn for_engine(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + 16);
    let mut chars = source.chars();
    let mut class_depth = 0usize;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(next) = chars.next() else {
                    out.push(c);
                    break;
                };
                let replacement = match (next, class_depth > 0) {
                    ('b', false) => Some("(?-u:\\b)"),
                    ('B', false) => Some("(?-u:\\B)"),
                    ('d', false) => Some("[0-9]"),
                    ('d', true) => Some("0-9"),
                    ('w', false) => Some("[0-9A-Za-z_]"),
                    ('w', true) => Some("0-9A-Za-z_"),
                    ('W', false) => Some("[^0-9A-Za-z_]"),
                    _ => None,
                };
                match replacement {
                    Some(text) => out.push_str(text),
                    None => {
                        out.push(c);
                        out.push(next);
                    }
                }
            }
            '[' => {
                class_depth += 1;
                out.push(c);
            }
            ']' if class_depth > 0 => {
                class_depth -= 1;
                out.push(c);
            }
            _ => out.push(c),
        }
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

/// A signature regex as a GNU `grep -E` pattern, or `None` when it uses syntax ERE lacks.
pub fn to_ere(source: &str) -> Option<String> {
    // Leading flags: `grep -i` folds case, and grep reads line by line, so `s` changes nothing.
    let body = ["(?i)", "(?is)", "(?si)", "(?s)"]
        .iter()
        .find_map(|flags| source.strip_prefix(flags))
        .unwrap_or(source);
    let converted = body
        .replace("(?:", "(")
        .replace("\\d", "[0-9]")
        .replace("*?", "*")
        .replace("+?", "+")
        .replace("}?", "}");
    // A group with flags or a look-around ERE lacks; `\(?` is an optional parenthesis.
    let unsupported = converted.match_indices("(?").any(|(at, _)| {
        let escapes = converted[..at]
            .bytes()
            .rev()
            .take_while(|&b| b == b'\\')
            .count();
        escapes % 2 == 0
    });
    (!unsupported).then_some(converted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ere_keeps_optional_parentheses_and_refuses_flag_groups() {
        assert_eq!(
            to_ere(r"(?i)second\(?s?\)? to").as_deref(),
            Some(r"second\(?s?\)? to")
        );
        assert_eq!(to_ere(r"a(?i:b)"), None);
        assert_eq!(to_ere(r"a\\(?=b)"), None);
    }

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
    fn classes_become_ascii_outside_and_inside_brackets() {
        assert_eq!(for_engine(r"\bx\d+[\w-]"), r"(?-u:\b)x[0-9]+[0-9A-Za-z_-]");
        assert_eq!(for_engine(r"a\\b\.c"), r"a\\b\.c");
    }

    #[test]
    fn leading_flags_leave_the_grep_form() {
        assert_eq!(
            to_ere(r"(?is)a\d+(?:b|c)"),
            Some("a[0-9]+(b|c)".to_string())
        );
        assert_eq!(to_ere(r"(?i)x(?-u:\b)"), None);
    }

    #[test]
    fn cjk_words_lose_the_space_between_them() {
        assert_eq!(
            required_words(r"要求された\s+関数"),
            Some(vec!["要求された関数".to_string()])
        );
    }
}
