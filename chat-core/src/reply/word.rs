//! A word of an open set: known to this side, or kept as it came.

/// One of a fixed set of words (an error code, a leave reason, a dialog
/// step, a presence), or one this side does not know: what a newer
/// server may send. Extensions then never break an older client, which
/// can still show the word.
///
/// ```
/// use chat_core::reply::{LeaveReason, Word};
/// let known: Word<'_, LeaveReason> = LeaveReason::Quit.into();
/// assert_eq!(known.known(), Some(LeaveReason::Quit));
/// assert_eq!(Word::<LeaveReason>::Unknown("banned").known(), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Word<'a, T> {
    /// A value this side knows.
    Known(T),
    /// A word this side does not know, as it came.
    Unknown(&'a str),
}

impl<T> Word<'_, T> {
    /// The known value, if it is one.
    pub fn known(self) -> Option<T> {
        match self {
            Word::Known(v) => Some(v),
            Word::Unknown(_) => None,
        }
    }
}

impl<T> From<T> for Word<'_, T> {
    fn from(value: T) -> Self {
        Word::Known(value)
    }
}
