//! The fixed words of protocol v1 (error codes, leave reasons, presence,
//! login steps), one table per enum, shared by rendering and parsing.
//!
//! Each table is written once, as a list of `variant => "word"`: the
//! renderer's exhaustive `match` and the parser's list of known words come
//! from the same list, so a variant cannot be rendered without also being
//! parsed. Adding one is a one-line change here.

use crate::reply::{AskField, LeaveReason, Presence, Word};
use crate::ErrorCode;

/// An enum whose values appear on the wire as fixed words.
pub trait WireWord: Copy + Sized + 'static {
    /// Every value, in table order.
    const ALL: &'static [Self];

    /// The word on the wire.
    fn word(self) -> &'static str;

    /// The value for a wire word, if this side knows it.
    fn from_word(word: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.word() == word)
    }
}

/// Builds the [`WireWord`] impl for `$ty` from one `variant => word` list.
macro_rules! wire_words {
    ($ty:ty { $($variant:path => $word:literal,)+ }) => {
        impl WireWord for $ty {
            const ALL: &'static [Self] = &[$($variant,)+];

            fn word(self) -> &'static str {
                match self {
                    $($variant => $word,)+
                }
            }
        }
    };
}

wire_words!(LeaveReason {
    LeaveReason::Quit => "quit",
    LeaveReason::Kicked => "kicked",
    LeaveReason::Lost => "lost",
    LeaveReason::TooSlow => "too-slow",
    LeaveReason::Timeout => "timeout",
    LeaveReason::Shutdown => "shutdown",
    LeaveReason::TakenOver => "takeover",
    LeaveReason::Parted => "part",
    LeaveReason::Removed => "removed",
    LeaveReason::Closed => "closed",
});

wire_words!(Presence {
    Presence::Free => "free",
    Presence::Busy => "busy",
});

wire_words!(AskField {
    AskField::Account => "account",
    AskField::Username => "username",
    AskField::Password => "password",
    AskField::PasswordAgain => "password-again",
    AskField::OldPassword => "old-password",
    AskField::NewPassword => "new-password",
    AskField::NewPasswordAgain => "new-password-again",
});

impl<'a, T: WireWord> Word<'a, T> {
    /// The word as on the wire, known or not.
    ///
    /// ```
    /// use chat_core::reply::{LeaveReason, Word};
    /// assert_eq!(Word::Known(LeaveReason::TooSlow).as_str(), "too-slow");
    /// assert_eq!(Word::<LeaveReason>::Unknown("banned").as_str(), "banned");
    /// ```
    pub fn as_str(self) -> &'a str {
        match self {
            Word::Known(v) => v.word(),
            Word::Unknown(w) => w,
        }
    }
}

/// The answer to `ASK account`: `y` to register a new account, `n` to log
/// in (the server also takes `yes` and `no`, in any case).
pub fn account_answer(register: bool) -> &'static str {
    if register {
        "y"
    } else {
        "n"
    }
}

// Error codes keep their words in `ErrorCode::as_str` and their list in
// `ErrorCode::ALL` (the engine's own table); the parser reads both.
impl WireWord for ErrorCode {
    const ALL: &'static [Self] = &ErrorCode::ALL;

    fn word(self) -> &'static str {
        self.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn round_trips<T: WireWord + PartialEq + std::fmt::Debug>() {
        let mut seen = HashSet::new();
        for v in T::ALL {
            assert!(seen.insert(v.word()), "duplicate word {}", v.word());
            assert_eq!(T::from_word(v.word()), Some(*v));
        }
        assert_eq!(T::from_word("no-such-word"), None);
    }

    #[test]
    fn every_table_round_trips() {
        round_trips::<LeaveReason>();
        round_trips::<Presence>();
        round_trips::<AskField>();
        round_trips::<ErrorCode>();
    }
}
