//! The index the paste box's in-browser matcher (`site/assets/matcher.js`) reads.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use crate::catalog::{Catalog, Code, Family, Knowledge, LabelKind, Pattern, Rule, Signature};
use crate::extract::{fold, message_fragments};
use crate::literals::is_cjk;

/// The layout version of the index; the matcher ignores an index of another version.
pub const INDEX_VERSION: u32 = 1;

/// Builds the matcher index of `knowledge`: one JSON object whose lists are arrays where they
/// grow with the rules. Families are indexes into `families`, entries indexes into `entries`.
///
/// ```text
/// version   INDEX_VERSION
/// families  [family name, ...]                         Family::ALL, in order
/// labels    [[folded label, kind], ...]                kind: error, extended, event_id,
///                                                      status, host, not_a_code
/// entries   [[key, family, code | null, name], ...]    the catalog, in load order
/// symbols   {SYMBOL: entry, ...}                       FreeRDP and ActiveX names, upper case
/// aliases   [[code, entry], ...]                       other numbers an entry is printed as
/// messages  [[entry, lang, chars, [[folded fragment, chars, telling 0|1], ...]], ...]
/// rules     [[id, title, category, [[kind, weight, description, pattern], ...]], ...]
///           kind c: [[family | null, code], ...]   t: folded phrase
///                r: [JS source, JS flags, required words | null], null when the regex
///                   does not parse (the regex cannot match a paste whose folded text
///                   holds none of its required words: the matcher skips it then)
///                m: catalog entry key
/// ```
pub fn matcher_index(knowledge: &Knowledge) -> Value {
    let catalog = &knowledge.catalog;
    let entry_index: HashMap<String, usize> = catalog
        .entries()
        .iter()
        .enumerate()
        .map(|(i, entry)| (entry.key(), i))
        .collect();
    json!({
        "version": INDEX_VERSION,
        "families": Family::ALL.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
        "labels": labels(knowledge),
        "entries": entries(catalog),
        "symbols": symbols(catalog, &entry_index),
        "aliases": numeric_aliases(catalog, &entry_index),
        "messages": messages(catalog),
        "rules": knowledge.rules.iter().map(rule).collect::<Vec<_>>(),
    })
}

/// Every label, folded, with its kind; the first of two equal folded labels wins, as in the
/// extractor.
fn labels(knowledge: &Knowledge) -> Vec<Value> {
    let mut seen: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for label in &knowledge.labels.labels {
        let folded = fold(&label.text);
        if folded.is_empty() || seen.contains(&folded) {
            continue;
        }
        let kind = match label.kind {
            LabelKind::ErrorCode => "error",
            LabelKind::ExtendedErrorCode => "extended",
            LabelKind::EventId => "event_id",
            LabelKind::StatusCode => "status",
            LabelKind::RemoteComputer => "host",
            LabelKind::NotACode => "not_a_code",
        };
        out.push(json!([folded, kind]));
        seen.push(folded);
    }
    out
}

fn family_index(family: Family) -> usize {
    Family::ALL.iter().position(|&f| f == family).unwrap_or(0)
}

fn entries(catalog: &Catalog) -> Vec<Value> {
    catalog
        .entries()
        .iter()
        .map(|entry| {
            json!([
                entry.key(),
                family_index(entry.family),
                entry.code.map(|code| code.0),
                entry.name
            ])
        })
        .collect()
}

/// Every symbol and alias the catalog resolves, upper case, with the entry it resolves to.
fn symbols(catalog: &Catalog, entry_index: &HashMap<String, usize>) -> Value {
    let mut out = serde_json::Map::new();
    for entry in catalog.entries() {
        for name in entry.symbol.iter().chain(&entry.aliases) {
            let upper = name.to_ascii_uppercase();
            let target = catalog
                .by_symbol(&upper)
                .and_then(|found| entry_index.get(&found.key()));
            if let Some(&index) = target {
                out.insert(upper, json!(index));
            }
        }
    }
    Value::Object(out)
}

/// Every number the catalog resolves as another spelling of an entry's code.
fn numeric_aliases(catalog: &Catalog, entry_index: &HashMap<String, usize>) -> Vec<Value> {
    let mut out: BTreeMap<u32, usize> = BTreeMap::new();
    for entry in catalog.entries() {
        for alias in entry.aliases.iter().filter_map(|a| Code::parse(a)) {
            let target = catalog
                .by_numeric_alias(alias)
                .and_then(|found| entry_index.get(&found.key()));
            if let Some(&index) = target {
                out.insert(alias.0, index);
            }
        }
    }
    out.into_iter().map(|pair| json!(pair)).collect()
}

/// Every catalog message with fragments, split as the extractor splits them: the fragment,
/// its length in characters, and 1 when it alone identifies its entry.
fn messages(catalog: &Catalog) -> Vec<Value> {
    // (entry, lang, fragments)
    let mut split: Vec<(usize, &str, Vec<String>)> = Vec::new();
    for (entry_index, entry) in catalog.entries().iter().enumerate() {
        for (lang, texts) in &entry.messages {
            for text in texts {
                let fragments = message_fragments(text);
                if !fragments.is_empty() {
                    split.push((entry_index, lang, fragments));
                }
            }
        }
    }
    let mut owners: HashMap<&str, Vec<usize>> = HashMap::new();
    for (entry, _, fragments) in &split {
        for fragment in fragments {
            let entries = owners.entry(fragment.as_str()).or_default();
            if !entries.contains(entry) {
                entries.push(*entry);
            }
        }
    }
    split
        .iter()
        .map(|(entry, lang, fragments)| {
            let total: usize = fragments.iter().map(|f| f.chars().count()).sum();
            let parts: Vec<Value> = fragments
                .iter()
                .map(|fragment| {
                    let length = fragment.chars().count();
                    let long = if fragment.chars().any(is_cjk) {
                        length >= 12
                    } else {
                        length >= 40
                    };
                    let telling = long && owners[fragment.as_str()].len() == 1;
                    json!([fragment, length, u8::from(telling)])
                })
                .collect();
            json!([entry, lang, total, parts])
        })
        .collect()
}

fn rule(rule: &Rule) -> Value {
    json!([
        rule.id,
        rule.title,
        rule.category.as_str(),
        rule.signatures.iter().map(signature).collect::<Vec<_>>(),
    ])
}

fn signature(signature: &Signature) -> Value {
    let (kind, pattern) = match &signature.pattern {
        Pattern::Codes(codes) => (
            "c",
            codes
                .iter()
                .map(|code_ref| json!([code_ref.family.map(family_index), code_ref.code.0]))
                .collect(),
        ),
        Pattern::Text(text) => ("t", json!(fold(text))),
        Pattern::Regex(regex) => (
            "r",
            if regex.parses() {
                let (source, flags) = js_regex(regex.as_str());
                json!([source, flags, regex.required_words()])
            } else {
                Value::Null
            },
        ),
        Pattern::Message(key) => ("m", json!(key)),
    };
    json!([
        kind,
        weight(signature.weight),
        signature.describe(),
        pattern
    ])
}

/// A weight as JSON, whole numbers without a fraction (`3`, not `3.0`).
fn weight(value: f64) -> Value {
    let whole = value.fract() == 0.0 && value.abs() < 1e15;
    if whole {
        json!(value as i64)
    } else {
        json!(value)
    }
}

/// Unicode `White_Space`, which Rust's `\s` means and JavaScript's `\s` does not quite
/// (JavaScript adds U+FEFF and lacks U+0085), as the inside of a character class.
const WHITE_SPACE: &str = r"\t-\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000";

/// Rust's `\s` outside a class, written with JavaScript's `\s`: shorter than the class.
const SPACE: &str = r"(?:[^\S\uFEFF]|\x85)";

/// Rust's `\S` outside a class.
const NOT_SPACE: &str = r"(?:[^\s\x85]|\uFEFF)";

/// Characters JavaScript accepts escaped with the `u` flag (outside a class; `-` too inside).
const JS_ESCAPABLE: &str = "^$\\.*+?()[]{}|/";

/// A signature regex (the subset `rules check` allows) as JavaScript source and flags that
/// match what the Rust engine matches: leading flags become `i` and `s`, multi-line `^` and
/// `$` become lookarounds on `\n`, `.` and `\s` are spelled out, and escapes JavaScript
/// refuses under the `u` flag (`\-`, `\'` ...) become plain characters.
pub fn js_regex(source: &str) -> (String, String) {
    let (flags, body) = leading_flags(source);
    let dot_all = flags.contains('s');
    let multi_line = flags.contains('m');
    let mut out = String::with_capacity(body.len() + 16);
    let mut chars = body.chars().peekable();
    let mut in_class = false;
    // Right after `[` or `[^`, where `]` is a literal in Rust.
    let mut class_start = false;
    while let Some(c) = chars.next() {
        let at_class_start = std::mem::take(&mut class_start);
        if in_class {
            match c {
                '\\' => class_escape(chars.next(), &mut chars, &mut out),
                ']' if at_class_start => out.push_str(r"\]"),
                ']' => {
                    in_class = false;
                    out.push(']');
                }
                '^' if at_class_start && out.ends_with('[') => {
                    out.push('^');
                    class_start = true;
                }
                c => out.push(c),
            }
            continue;
        }
        match c {
            '\\' => escape(chars.next(), &mut chars, &mut out),
            '[' => {
                in_class = true;
                class_start = true;
                out.push('[');
            }
            '.' if !dot_all => out.push_str(r"[^\n]"),
            '^' if multi_line => out.push_str(r"(?<![^\n])"),
            '$' if multi_line => out.push_str(r"(?![^\n])"),
            '{' => {
                let mut counts = String::new();
                for next in chars.by_ref() {
                    if next == '}' {
                        break;
                    }
                    if !next.is_whitespace() {
                        counts.push(next);
                    }
                }
                if counts.starts_with(',') {
                    counts.insert(0, '0');
                }
                out.push('{');
                out.push_str(&counts);
                out.push('}');
            }
            '}' | ']' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    let mut js_flags = String::from("u");
    if flags.contains('i') {
        js_flags.push('i');
    }
    if dot_all {
        js_flags.push('s');
    }
    (out, js_flags)
}

/// The flags of a leading `(?ims)` group and the rest of the regex.
fn leading_flags(source: &str) -> (&str, &str) {
    let Some(rest) = source.strip_prefix("(?") else {
        return ("", source);
    };
    match rest.find(')') {
        Some(end) if end > 0 && rest[..end].chars().all(|c| "ims".contains(c)) => {
            (&rest[..end], &rest[end + 1..])
        }
        _ => ("", source),
    }
}

fn escape(next: Option<char>, rest: &mut impl Iterator<Item = char>, out: &mut String) {
    match next {
        None => out.push_str(r"\\"),
        Some('s') => out.push_str(SPACE),
        Some('S') => out.push_str(NOT_SPACE),
        Some(c) => common_escape(c, rest, out, JS_ESCAPABLE),
    }
}

fn class_escape(next: Option<char>, rest: &mut impl Iterator<Item = char>, out: &mut String) {
    match next {
        None => out.push_str(r"\\"),
        Some('s') => out.push_str(WHITE_SPACE),
        // Rust reads these two as ASCII classes (see `compile_signature_regex`).
        Some('d') => out.push_str("0-9"),
        Some('w') => out.push_str("0-9A-Za-z_"),
        Some(c) => common_escape(c, rest, out, "^$\\.*+?()[]{}|/-"),
    }
}

fn common_escape(c: char, rest: &mut impl Iterator<Item = char>, out: &mut String, keep: &str) {
    match c {
        // Rust's `\D` stays Unicode; JavaScript's is ASCII.
        'D' => out.push_str(r"\P{Nd}"),
        'a' => out.push_str(r"\x07"),
        'U' => {
            let digits: String = rest.take(8).collect();
            let trimmed = digits.trim_start_matches('0');
            out.push_str(&format!(
                r"\u{{{}}}",
                if trimmed.is_empty() { "0" } else { trimmed }
            ));
        }
        c if c.is_ascii_punctuation() && !keep.contains(c) => out.push(c),
        c => {
            out.push('\\');
            out.push(c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn knowledge() -> Knowledge {
        Knowledge::embedded()
    }

    #[test]
    fn regexes_become_javascript_that_reads_them_alike() {
        let js = |source: &str| js_regex(source);
        assert_eq!(
            js(r"(?i)don.t\s+work[\s,]"),
            (
                format!(r"don[^\n]t{SPACE}+work[{WHITE_SPACE},]"),
                "ui".to_string()
            )
        );
        assert_eq!(
            js(r"(?ms)^a.b$"),
            (r"(?<![^\n])a.b(?![^\n])".to_string(), "us".to_string())
        );
        assert_eq!(
            js(r"[\w\-]\-\'x{,2}"),
            (r"[0-9A-Za-z_\-]-'x{0,2}".into(), "u".into())
        );
        assert_eq!(js(r"[]a][^]b]"), (r"[\]a][^\]b]".into(), "u".into()));
        assert_eq!(js(r"\D\S"), (format!(r"\P{{Nd}}{NOT_SPACE}"), "u".into()));
        assert_eq!(js(r"\U0001F600"), (r"\u{1F600}".into(), "u".into()));
        assert_eq!(js("(?x)a"), ("(?x)a".into(), "u".into()));
    }

    #[test]
    fn the_index_holds_every_rule_and_a_working_signature_for_each() {
        let knowledge = knowledge();
        let index = matcher_index(&knowledge);
        assert_eq!(index["version"], INDEX_VERSION);
        let rules = index["rules"].as_array().expect("rules");
        assert_eq!(rules.len(), knowledge.rules.len());
        for (value, rule) in rules.iter().zip(&knowledge.rules) {
            assert_eq!(value[0], rule.id.as_str());
            let signatures = value[3].as_array().expect("signatures");
            assert_eq!(signatures.len(), rule.signatures.len());
            for (value, signature) in signatures.iter().zip(&rule.signatures) {
                assert_eq!(value[2], signature.describe().as_str());
                assert!(!value[3].is_null(), "{}", signature.describe());
            }
        }
        let labels = index["labels"].as_array().expect("labels");
        assert!(
            labels
                .iter()
                .any(|l| l[0] == "extended error code" && l[1] == "extended")
        );
        let symbol = &index["symbols"]["ERRINFO_SERVER_DENIED_CONNECTION"];
        let entry = &index["entries"][symbol.as_u64().expect("a known symbol") as usize];
        assert_eq!(entry[0], "errinfo:0x7");
    }

    /// Writes the index where `RDP_DOCTOR_MATCHER_INDEX` says, for tests of the JavaScript
    /// matcher run without a built site.
    #[test]
    fn index_file_for_the_javascript_tests() {
        let Some(path) = std::env::var_os("RDP_DOCTOR_MATCHER_INDEX") else {
            return;
        };
        let json = matcher_index(&knowledge()).to_string();
        std::fs::write(&path, format!("window.RDP_DOCTOR_MATCHER = {json};\n"))
            .expect("the index path is writable");
    }
}
