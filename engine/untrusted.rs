//! Text from untrusted sources (a paste, a server, a recording, another team's rules) made safe
//! to print on a terminal: control characters are shown, never obeyed.

use std::borrow::Cow;

/// True for a character a terminal would act on rather than show: C0 controls other than line
/// feed and tab (escape, carriage return, backspace, bell), delete, C1 controls, and the
/// bidirectional overrides that reorder what a reader sees.
fn is_active(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Whether `text` holds a character a terminal would act on (see [`neutralise`]).
pub fn has_active(text: &str) -> bool {
    text.chars().any(is_active)
}

/// `text` with every active character written as a visible escape (`\x1b`, `\u{202e}`).
pub fn neutralise(text: &str) -> Cow<'_, str> {
    if !has_active(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_active(c) {
            out.push(c);
        } else if (c as u32) < 0x100 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    Cow::Owned(out)
}

/// At most `chars` characters of `text`, neutralised, with `...` when some were left off: how
/// an error message quotes a value it refuses.
pub fn excerpt(text: &str, chars: usize) -> String {
    let mut shown: String = text.chars().take(chars).collect();
    let cut = shown.len() < text.len();
    shown = neutralise(&shown).into_owned();
    if cut {
        shown.push_str("...");
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_characters_are_shown_and_plain_text_is_kept() {
        assert_eq!(neutralise("srv01\n\tok"), "srv01\n\tok");
        assert!(matches!(neutralise("plain"), Cow::Borrowed(_)));
        assert_eq!(
            neutralise("a\u{1b}]0;pwned\u{7}b\rc\u{9b}2J\u{202e}d"),
            "a\\x1b]0;pwned\\x07b\\x0dc\\x9b2J\\u{202e}d"
        );
    }

    #[test]
    fn an_excerpt_is_short_shown_and_says_it_was_cut() {
        assert_eq!(excerpt("srv01", 40), "srv01");
        assert_eq!(excerpt("abcdef", 3), "abc...");
        assert_eq!(excerpt("\u{1b}[2Jxyz", 2), "\\x1b[...");
    }
}
