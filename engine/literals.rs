//! Character folding: how pastes, phrases and regex literals are compared.
//!
//! This file is also compiled into the build script (see `rule_regex`); it depends on nothing.

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
