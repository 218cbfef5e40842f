//! ASCII case changes of short words on the stack: a command or a room
//! name is read on every line, and a `String` for each would be an
//! allocation a line.

/// Words up to this long change case on the stack; longer ones (never a
/// valid name or a known command) on the heap.
const ON_STACK: usize = 32;

/// `word` in ASCII upper case (`upper`) or lower case, given to `f`.
pub(crate) fn with_ascii_case<R>(word: &str, upper: bool, f: impl FnOnce(&str) -> R) -> R {
    let mut buf = [0u8; ON_STACK];
    match buf.get_mut(..word.len()) {
        Some(bytes) => {
            bytes.copy_from_slice(word.as_bytes());
            if upper {
                bytes.make_ascii_uppercase();
            } else {
                bytes.make_ascii_lowercase();
            }
            // ASCII case changes keep UTF-8 valid.
            f(std::str::from_utf8(bytes).unwrap_or(word))
        }
        None if upper => f(&word.to_ascii_uppercase()),
        None => f(&word.to_ascii_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::with_ascii_case;

    #[test]
    fn short_and_long_words_change_case_alike() {
        assert_eq!(with_ascii_case("PrivMsg", true, str::to_owned), "PRIVMSG");
        assert_eq!(with_ascii_case("MiXeD", false, str::to_owned), "mixed");
        let long = "aB".repeat(40);
        assert_eq!(with_ascii_case(&long, true, str::to_owned), "AB".repeat(40));
        assert_eq!(
            with_ascii_case(&long, false, str::to_owned),
            "ab".repeat(40)
        );
        assert_eq!(with_ascii_case("é-x", true, str::to_owned), "é-X");
    }
}
