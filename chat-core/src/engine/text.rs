//! What client text may hold before it reaches other clients' screens.

/// Whether `text` holds a character that would let one client rewrite or
/// spoof what another sees: control characters (tab aside), the line and
/// paragraph separators, and the Unicode format characters (category Cf:
/// bidirectional overrides and isolates, zero-width characters, the byte
/// order mark, the Arabic letter mark, invisible operators, tags...).
pub(crate) fn has_unsafe_char(text: &str) -> bool {
    // Most messages are ASCII: only its control characters can be unsafe.
    if text.is_ascii() {
        return text.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f);
    }
    text.chars()
        .any(|c| (c.is_control() && c != '\t') || is_separator(c) || is_format(c))
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
    }
}
