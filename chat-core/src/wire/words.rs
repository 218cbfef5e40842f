//! The fixed words of protocol v1 (error codes, leave reasons, presence,
//! login steps), one table per enum, shared by rendering and parsing.
//!
//! Each table is written once, as a list of `variant => "word"`: the
//! renderer's exhaustive `match` and the parser's list of known words come
//! from the same list, so a variant cannot be rendered without also being
//! parsed. Adding one is a one-line change here.

use crate::reply::{AskStep, LeaveReason, Presence};
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

/// What an `ASK` line asks for: its `<step>` word. The server's
/// [`AskStep`] also says which dialog (register or login) it belongs to;
/// on the wire that shows only in the prompt text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AskField {
    /// `account`: register a new account (`y`) or log in (`n`)?
    Account,
    /// `username`: the user name.
    Username,
    /// `password`: the password.
    Password,
    /// `password-again`: the password once more (registration).
    PasswordAgain,
    /// `old-password`: the current password (`/changepassword` without
    /// arguments).
    OldPassword,
    /// `new-password`: the new password.
    NewPassword,
    /// `new-password-again`: the new password once more.
    NewPasswordAgain,
}

wire_words!(AskField {
    AskField::Account => "account",
    AskField::Username => "username",
    AskField::Password => "password",
    AskField::PasswordAgain => "password-again",
    AskField::OldPassword => "old-password",
    AskField::NewPassword => "new-password",
    AskField::NewPasswordAgain => "new-password-again",
});

impl AskField {
    /// Whether the answer is a password (a client should not echo it).
    pub fn is_password(self) -> bool {
        matches!(
            self,
            AskField::Password
                | AskField::PasswordAgain
                | AskField::OldPassword
                | AskField::NewPassword
                | AskField::NewPasswordAgain
        )
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

/// The `ASK` field and prompt text of each dialog step.
pub(crate) fn ask_text(step: AskStep) -> (AskField, &'static str) {
    match step {
        AskStep::Account => (AskField::Account, "Do you want to create a new user? [y/n]"),
        AskStep::RegisterName => (AskField::Username, "(1/3) Write your user name:"),
        AskStep::RegisterPassword => (AskField::Password, "(2/3) Write your password:"),
        AskStep::RegisterPasswordAgain => {
            (AskField::PasswordAgain, "(3/3) Write your password again:")
        }
        AskStep::LoginName => (AskField::Username, "(1/2) Write your user name:"),
        AskStep::LoginPassword => (AskField::Password, "(2/2) Write your password:"),
        AskStep::OldPassword => (AskField::OldPassword, "(1/3) Write your current password:"),
        AskStep::NewPassword => (AskField::NewPassword, "(2/3) Write your new password:"),
        AskStep::NewPasswordAgain => (
            AskField::NewPasswordAgain,
            "(3/3) Write your new password again:",
        ),
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
