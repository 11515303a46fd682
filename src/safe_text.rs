//! Text from outside (organization and contact names from the API, cells of a CSV, reasons that
//! quote them) made safe to print on a terminal.
//!
//! A terminal obeys control sequences wherever they appear in its output: a contact named
//! `\x1b]52;c;…\x07` would write the operator's clipboard, `\x1b[2J` would clear the screen, and
//! a right-to-left override (U+202E) would make `+31612345678` read as something else. So every
//! control character and every bidirectional formatting character is shown as a visible escape
//! instead. Backslashes are left alone: the aim is that nothing hostile reaches the terminal,
//! not that the escaped text can be turned back into the original.
//!
//! Clean text, which is nearly all text, is borrowed as it is, so escaping every printed field
//! costs a scan and no allocation.

use std::borrow::Cow;
use std::fmt::Write;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// `s` cut to `max` terminal columns, ending in `…` when cut. Columns, not characters, so a
/// name in CJK or with emoji (two columns a character) never spills into the next column; the
/// one helper for every cut (table cells, screen rows, an error body quoted in a message).
pub fn clip(s: &str, max: usize) -> Cow<'_, str> {
    if s.width() <= max {
        return Cow::Borrowed(s);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    Cow::Owned(out)
}

/// The text of one single-line field (a name, a reason, an id), with every control character
/// (tab and newline included, since they would break the line or the column layout) and every
/// bidirectional control escaped.
pub fn printable(s: &str) -> Cow<'_, str> {
    escape_if(s, needs_escape)
}

/// The text of a multi-line value (an SMS text), escaped like [`printable`] except that `\n`
/// stays a line break. A `\r` is escaped too: on its own it would move the cursor back over
/// what was printed.
pub fn printable_lines(s: &str) -> Cow<'_, str> {
    escape_if(s, |c| c != '\n' && needs_escape(c))
}

/// Whether `c` would act on the terminal (or reorder what is shown) instead of just showing.
pub fn needs_escape(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// The characters that change the display order of the text around them: the embeddings and
/// overrides (U+202A–U+202E), the isolates (U+2066–U+2069) and the three marks. They are
/// invisible, which is what makes them useful for disguising a name or a number.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
    )
}

/// Copies only when something has to be escaped, starting from the first such character.
fn escape_if(s: &str, escape: impl Fn(char) -> bool) -> Cow<'_, str> {
    let Some(first) = s.find(&escape) else {
        return Cow::Borrowed(s);
    };
    let (clean, rest) = s.split_at(first);
    let mut out = String::with_capacity(s.len() + 8);
    out.push_str(clean);
    for c in rest.chars() {
        if escape(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `\t`, `\n` and `\r` as people know them, other ASCII controls as `\x1b`, and everything else
/// (C1 controls, bidirectional controls) as `\u{202e}`.
fn push_escaped(out: &mut String, c: char) {
    let _ = match c {
        '\t' => out.write_str("\\t"),
        '\n' => out.write_str("\\n"),
        '\r' => out.write_str("\\r"),
        c if c.is_ascii() => write!(out, "\\x{:02x}", u32::from(c)),
        c => write!(out, "\\u{{{:x}}}", u32::from(c)),
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn clean_text_is_borrowed() {
        for s in [
            "",
            "Jan Jansen",
            "Jörg „Jo“ Müller",
            "مرحبا",
            "C:\\path",
            "😀 ok",
        ] {
            assert!(matches!(printable(s), Cow::Borrowed(b) if b == s), "{s}");
            assert!(matches!(printable_lines(s), Cow::Borrowed(_)), "{s}");
        }
        assert!(matches!(printable_lines("two\nlines"), Cow::Borrowed(_)));
    }

    #[test]
    fn terminal_sequences_become_visible() {
        assert_eq!(printable("a\x1b]52;c;aGk=\x07b"), "a\\x1b]52;c;aGk=\\x07b");
        assert_eq!(printable("\x1b[2J"), "\\x1b[2J");
        assert_eq!(printable("x\u{9b}31m"), "x\\u{9b}31m");
        assert_eq!(printable("del\x7f"), "del\\x7f");
        assert_eq!(printable("nul\0"), "nul\\x00");
        assert_eq!(printable("a\tb\nc\rd"), "a\\tb\\nc\\rd");
    }

    #[test]
    fn bidi_controls_become_visible() {
        assert_eq!(printable("abc\u{202e}876"), "abc\\u{202e}876");
        for c in [
            '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200e}', '\u{200f}', '\u{061c}',
        ] {
            assert!(printable(&c.to_string()).starts_with("\\u{"), "{c:?}");
        }
    }

    #[test]
    fn lines_keep_their_breaks_and_nothing_else() {
        assert_eq!(printable_lines("a\nb\r\n\x1b"), "a\nb\\r\n\\x1b");
    }

    proptest! {
        #[test]
        fn nothing_that_acts_on_a_terminal_survives(s in any::<String>()) {
            let one = printable(&s);
            prop_assert!(!one.chars().any(needs_escape), "{one:?}");
            let many = printable_lines(&s);
            prop_assert!(!many.chars().any(|c| c != '\n' && needs_escape(c)), "{many:?}");
            if !s.chars().any(needs_escape) {
                prop_assert!(matches!(one, Cow::Borrowed(_)));
            }
        }
    }

    #[test]
    fn clip_counts_columns_and_marks_the_cut() {
        assert_eq!(clip("Jan", 3), "Jan");
        assert_eq!(clip("Jansen", 4), "Jan…");
        assert_eq!(clip("東京都", 4), "東…", "two columns a character");
        assert_eq!(clip("x", 0), "");
        assert!(matches!(clip("short", 10), Cow::Borrowed(_)));
    }
}
