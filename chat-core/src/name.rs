//! User names: validation and the case-insensitive identity of an account.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ascii_case::with_ascii_case;

/// The longest allowed user name, in characters (all ASCII).
pub const MAX_NAME_LEN: usize = 32;

/// Why a string is not a valid [`UserName`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// The name is empty.
    #[error("a name cannot be empty")]
    Empty,
    /// The name is longer than [`MAX_NAME_LEN`].
    #[error("a name is at most {MAX_NAME_LEN} characters")]
    TooLong,
    /// The first character is not an ASCII letter.
    #[error("a name starts with a letter")]
    BadStart,
    /// A character other than ASCII letters, digits, `_`, `-` and `.`.
    #[error("a name holds only letters, digits, '_', '-' and '.'")]
    BadChar,
}

/// A valid user name, as the user spelled it.
///
/// 1 to 32 characters: ASCII letters, digits, `_`, `-`, `.`, starting with a
/// letter. Two names that differ only in case are the same account: compare
/// accounts through [`UserName::key`].
///
/// ```
/// use chat_core::UserName;
/// let alice = UserName::parse("Alice").unwrap();
/// assert_eq!(alice.as_str(), "Alice");
/// assert_eq!(alice.key(), UserName::parse("aLICE").unwrap().key());
/// assert!(UserName::parse("9lives").is_err());
/// ```
///
/// The text is shared: a clone (the directory's record, a session, the
/// online index) is a reference count, not a copy.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserName(Arc<str>);

/// Written as its text (as a `String` would be), without copying it into
/// one: every stored line names its sender.
impl Serialize for UserName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Reads a name as a string and checks it; from a borrowed string (the
/// store's decoder) it is one allocation, not a `String` and a copy.
impl<'de> Deserialize<'de> for UserName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<UserName, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = UserName;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a user name")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<UserName, E> {
                UserName::parse(s).map_err(E::custom)
            }
            fn visit_string<E: serde::de::Error>(self, s: String) -> Result<UserName, E> {
                UserName::try_from(s).map_err(E::custom)
            }
        }
        d.deserialize_str(Visitor)
    }
}

/// The rules of a name (user or room), without copying it.
fn check(s: &str) -> Result<(), NameError> {
    let mut chars = s.chars();
    let first = chars.next().ok_or(NameError::Empty)?;
    if s.len() > MAX_NAME_LEN {
        return Err(NameError::TooLong);
    }
    if !first.is_ascii_alphabetic() {
        return Err(NameError::BadStart);
    }
    if !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')) {
        return Err(NameError::BadChar);
    }
    Ok(())
}

impl UserName {
    /// Validates `s` as a user name.
    pub fn parse(s: &str) -> Result<UserName, NameError> {
        check(s)?;
        Ok(UserName(Arc::from(s)))
    }

    /// The name as the user spelled it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The account identity: the name folded to lower case.
    pub fn key(&self) -> NameKey {
        NameKey::of(&self.0)
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for UserName {
    type Error = NameError;
    /// Validates the string and moves it into a shared one.
    fn try_from(s: String) -> Result<Self, NameError> {
        check(&s)?;
        Ok(UserName(Arc::from(s)))
    }
}

impl From<UserName> for String {
    fn from(n: UserName) -> String {
        n.0.as_ref().to_owned()
    }
}

/// The case-folded identity of an account; two [`UserName`]s with the same
/// key are the same account.
///
/// Shared like a [`UserName`]: a clone is a reference count.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NameKey(Arc<str>);

impl NameKey {
    /// The key of an arbitrary string, for lookups of names typed by a
    /// client that may not be valid (crate-private: a public key comes
    /// from a checked [`UserName::key`]).
    pub(crate) fn of(s: &str) -> NameKey {
        let mut key: Arc<str> = Arc::from(s);
        // Just made, so not shared: folded in place (one allocation).
        match Arc::get_mut(&mut key) {
            Some(text) => text.make_ascii_lowercase(),
            None => key = Arc::from(s.to_ascii_lowercase()),
        }
        NameKey(key)
    }

    /// The folded name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The longest allowed room name, in characters (all ASCII).
pub const MAX_ROOM_NAME_LEN: usize = 32;

/// The name of the lobby: the room everyone is in from login to logout
/// (the one room of protocol v1). Its lines are written with this name,
/// exactly, so a renderer tells them from other rooms' lines by it.
pub const LOBBY: &str = "lobby";

/// A valid room name, as its creator spelled it, without any protocol
/// prefix (IRC shows `lobby` as `#lobby`).
///
/// The same rules as a [`UserName`]: 1 to 32 ASCII letters, digits, `_`,
/// `-`, `.`, starting with a letter; names that differ only in case are the
/// same room (compare through [`RoomName::key`]).
///
/// ```
/// use chat_core::RoomName;
/// let rust = RoomName::parse("Rust").unwrap();
/// assert_eq!(rust.key(), RoomName::parse("rust").unwrap().key());
/// assert!(RoomName::parse("#rust").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct RoomName(String);

/// Written as its text, without a copy.
impl Serialize for RoomName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl RoomName {
    /// Validates `s` as a room name (the rules of [`UserName::parse`]).
    pub fn parse(s: &str) -> Result<RoomName, NameError> {
        check(s)?;
        Ok(RoomName(s.to_owned()))
    }

    /// The name as its creator spelled it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lobby's name ([`LOBBY`]).
    ///
    /// ```
    /// use chat_core::{RoomName, LOBBY};
    /// assert_eq!(RoomName::lobby().as_str(), LOBBY);
    /// ```
    pub fn lobby() -> RoomName {
        RoomName(LOBBY.to_owned())
    }

    /// The room's identity: the name folded to lower case.
    pub fn key(&self) -> RoomKey {
        RoomKey::fold(&self.0)
    }

    /// `s` checked as [`parse`](RoomName::parse) checks it and folded on
    /// the stack, for `look_up` to find its room's key by (no allocation:
    /// a line said in a room names it).
    pub(crate) fn find_key<R>(s: &str, look_up: impl FnOnce(&str) -> R) -> Result<R, NameError> {
        check(s)?;
        Ok(with_ascii_case(s, false, look_up))
    }
}

impl fmt::Display for RoomName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RoomName {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, NameError> {
        check(&s)?;
        Ok(RoomName(s))
    }
}

impl From<RoomName> for String {
    fn from(n: RoomName) -> String {
        n.0
    }
}

/// The case-folded identity of a room.
///
/// Shared like a [`UserName`]: a clone is a reference count (every line
/// of a room names its room's key).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoomKey(Arc<str>);

/// A key is looked up by its folded text (its hash and order are the
/// text's).
impl std::borrow::Borrow<str> for RoomKey {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl RoomKey {
    /// `name` folded to lower case, in one allocation.
    fn fold(name: &str) -> RoomKey {
        with_ascii_case(name, false, |folded| RoomKey(Arc::from(folded)))
    }

    /// The folded name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A newtype struct around its string, as when it held a `String`: the
/// store's records keep their bytes.
impl Serialize for RoomKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_newtype_struct("RoomKey", &*self.0)
    }
}

impl<'de> Deserialize<'de> for RoomKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RoomKey, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename = "RoomKey")]
        struct Stored(String);
        let Stored(key) = Stored::deserialize(d)?;
        Ok(RoomKey(Arc::from(key)))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn a_room_is_found_by_its_name_in_any_case_without_a_key_of_its_own() {
        let den = RoomName::parse("Den").unwrap().key();
        let rooms: HashMap<RoomKey, u32> = HashMap::from([(den.clone(), 7)]);
        for typed in ["den", "DEN", "dEn"] {
            let found = RoomName::find_key(typed, |folded| rooms.get_key_value(folded));
            assert_eq!(found.unwrap(), Some((&den, &7)), "{typed}");
        }
        assert_eq!(
            RoomName::find_key("cellar", |f| rooms.get(f)).unwrap(),
            None
        );
        assert!(RoomName::find_key("#den", |f| rooms.get(f)).is_err());
    }

    #[test]
    fn folding_on_the_stack_or_the_heap_gives_one_key() {
        assert_eq!(RoomKey::fold("MiXeD").as_str(), "mixed");
        let long = "A".repeat(MAX_ROOM_NAME_LEN + 5);
        assert_eq!(RoomKey::fold(&long).as_str(), long.to_ascii_lowercase());
    }
}
