//! What client text may hold before it reaches other clients' screens.

/// Whether text from a client must be refused before others see it:
/// it holds an unsafe character ([`has_unsafe_char`]) or it looks blank
/// ([`looks_blank`]). Room lines that are empty or only spaces are
/// ignored before this is asked.
pub(crate) fn refused_text(text: &str) -> bool {
    has_unsafe_char(text) || looks_blank(text)
}

/// Whether `text` holds a character that would let one client rewrite or
/// spoof what another sees: control characters (tab aside), the line and
/// paragraph separators, the Unicode format characters (category Cf:
/// bidirectional overrides and isolates, zero-width characters, the byte
/// order mark, the Arabic letter mark, invisible operators, tags...), and
/// the other default-ignorable code points that have no use in a chat
/// but to look like nothing: the Hangul fillers (U+115F, U+1160, U+3164,
/// U+FFA0), the combining grapheme joiner, the Khmer inherent vowels, and
/// the unassigned ones. The variation selectors and the Mongolian free
/// variation selectors are default-ignorable too but stay: emoji and
/// Mongolian need them, and alone they make text blank, which
/// [`looks_blank`] refuses.
pub(crate) fn has_unsafe_char(text: &str) -> bool {
    // Most messages are printable ASCII (and tabs): nothing to look up.
    if text.bytes().all(|b| matches!(b, b' '..=b'~' | b'\t')) {
        return false;
    }
    text.chars().any(|c| {
        (c.is_control() && c != '\t') || is_separator(c) || is_format(c) || is_invisible_filler(c)
    })
}

/// Whether non-empty `text` would show as nothing at all: only white
/// space, the Braille blank (U+2800), the Hangul fillers and the
/// selectors that only change the character before them. Such a message,
/// topic or reason would let someone post lines that look empty.
pub(crate) fn looks_blank(text: &str) -> bool {
    // A printable ASCII character other than a space is ink (most
    // messages start with one).
    !text.is_empty() && !text.bytes().any(|b| b.is_ascii_graphic()) && text.chars().all(is_blank)
}

/// A character with no ink of its own.
fn is_blank(c: char) -> bool {
    c.is_whitespace()
        || is_invisible_filler(c)
        || matches!(c,
            '\u{2800}'
            | '\u{180B}'..='\u{180D}'
            | '\u{180F}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{E0100}'..='\u{E01EF}')
}

/// The default-ignorable code points (Unicode's
/// `Default_Ignorable_Code_Point`, as of Unicode 15) that are neither
/// format characters ([`is_format`]) nor variation selectors.
fn is_invisible_filler(c: char) -> bool {
    matches!(c,
        '\u{034F}'
        | '\u{115F}'..='\u{1160}'
        | '\u{17B4}'..='\u{17B5}'
        | '\u{3164}'
        | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFF8}'
        | '\u{E0000}'
        | '\u{E0002}'..='\u{E001F}'
        | '\u{E0080}'..='\u{E00FF}'
        | '\u{E01F0}'..='\u{E0FFF}')
}

fn is_separator(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}')
}

/// Unicode general category Cf (as of Unicode 15).
fn is_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}'
        | '\u{0600}'..='\u{0605}'
        | '\u{061C}'
        | '\u{06DD}'
        | '\u{070F}'
        | '\u{0890}'..='\u{0891}'
        | '\u{08E2}'
        | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206F}'
        | '\u{FEFF}'
        | '\u{FFF9}'..='\u{FFFB}'
        | '\u{110BD}'
        | '\u{110CD}'
        | '\u{13430}'..='\u{1343F}'
        | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0001}'
        | '\u{E0020}'..='\u{E007F}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_spoofing_characters_and_keeps_plain_text() {
        for c in [
            '\u{202E}',
            '\u{2066}',
            '\u{2069}',
            '\u{200B}',
            '\u{200F}',
            '\u{2028}',
            '\u{2029}',
            '\u{FEFF}',
            '\u{061C}',
            '\u{1b}',
            '\u{7f}',
            '\u{E0041}',
        ] {
            assert!(has_unsafe_char(&format!("a{c}b")), "{:X}", c as u32);
        }
        assert!(!has_unsafe_char("héllo\tworld ✓ مرحبا 你好 🙂"));
        assert!(!has_unsafe_char("plain\tascii ~"));
        assert!(has_unsafe_char("bell\u{7}"));
        assert!(has_unsafe_char("héllo\u{7}"), "a control beside non-ASCII");
    }

    #[test]
    fn refuses_fillers_and_blank_looking_text() {
        for c in [
            '\u{3164}',
            '\u{115F}',
            '\u{1160}',
            '\u{FFA0}',
            '\u{034F}',
            '\u{17B4}',
            '\u{E0000}',
        ] {
            assert!(has_unsafe_char(&format!("a{c}b")), "{:X}", c as u32);
            assert!(refused_text(&c.to_string()), "{:X}", c as u32);
        }
        for blank in [
            "\u{2800}",
            " \u{2800}\u{2800} ",
            "\u{3000}\u{2800}",
            "\u{00A0}\u{2007}",
            "\u{FE0F}",
            "   ",
        ] {
            assert!(looks_blank(blank), "{blank:?}");
            assert!(refused_text(blank), "{blank:?}");
        }
        // Braille art, emoji with their selectors and joiners of Mongolian
        // script are text.
        for fine in [
            "\u{2800}\u{28FF}\u{2800}",
            "\u{2764}\u{FE0F}",
            "\u{1820}\u{180B}",
            "a\u{2800}b",
        ] {
            assert!(!refused_text(fine), "{fine:?}");
        }
    }
}
