//! Text from requests made safe for the server's text log. The text log writes a field formatted with `%`
//! (`Display`) as it is, so a `client_id` or a username holding CR/LF would end the line and forge the next one, and
//! other control characters could rewrite a terminal. Every field that may hold request data is logged through
//! [`log_safe`]; `?` (`Debug`) already escapes.

use std::borrow::Cow;

/// The most characters of one value the log keeps; the rest is replaced by `…`.
pub const MAX_LOGGED_CHARS: usize = 512;

fn escaped(c: char) -> bool {
    c.is_control()
        // Unicode line and paragraph separators, which some viewers break lines at, and the bidirectional
        // controls, which reorder what a reader sees.
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` for a log line: control characters (and Unicode line separators and bidirectional controls) written as
/// `\u{…}`, a backslash as `\\` (so an escape cannot be faked), at most [`MAX_LOGGED_CHARS`] characters of the
/// input. Borrowed when there is nothing to change.
pub fn log_safe(s: &str) -> Cow<'_, str> {
    let needs_change = s.chars().any(|c| escaped(c) || c == '\\')
        || (s.len() > MAX_LOGGED_CHARS && s.chars().nth(MAX_LOGGED_CHARS).is_some());
    if !needs_change {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len().min(MAX_LOGGED_CHARS * 4) + 8);
    for (i, c) in s.chars().enumerate() {
        if i == MAX_LOGGED_CHARS {
            out.push('…');
            break;
        }
        match c {
            '\\' => out.push_str("\\\\"),
            c if escaped(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_long_values_cut() {
        assert!(matches!(log_safe("0oa1-plain client"), Cow::Borrowed(_)));
        assert_eq!(log_safe("a\r\nINFO forged"), "a\\u{d}\\u{a}INFO forged");
        assert_eq!(
            log_safe("tab\there\0\u{1b}[31m"),
            "tab\\u{9}here\\u{0}\\u{1b}[31m"
        );
        assert_eq!(
            log_safe("\u{85}\u{2028}\u{202e}"),
            "\\u{85}\\u{2028}\\u{202e}"
        );
        assert_eq!(log_safe("\u{7f}"), "\\u{7f}");
        // A backslash is doubled: `\u{a}` typed by a client stays distinguishable from an escaped newline.
        assert_eq!(log_safe("a\\u{a}"), "a\\\\u{a}");
        assert_eq!(log_safe("café ✓"), "café ✓");
        let long = "é".repeat(MAX_LOGGED_CHARS + 10);
        let cut = log_safe(&long);
        assert_eq!(cut.chars().count(), MAX_LOGGED_CHARS + 1);
        assert!(cut.ends_with('…'));
        let exact = "x".repeat(MAX_LOGGED_CHARS);
        assert!(matches!(log_safe(&exact), Cow::Borrowed(_)));
        assert!(!log_safe(&"\n".repeat(10_000)).contains('\n'));
    }
}
