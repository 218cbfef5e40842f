//! A room's modes: the rules its operators set beyond who is in it, as
//! IRC's channel modes name them (`+t`, `+s`, `+i`, `+m`, `+k`, `+l`). Stored
//! with the room ([`RoomRecord::modes`](crate::RoomRecord)), kept by the
//! engine, shown and changed the same way from chat/1 (`/mode`) and IRC
//! (`MODE`).

use std::fmt;

use serde::{Deserialize, Serialize};

/// The most members a `+l` limit may name (more is no limit at all).
pub const MAX_ROOM_LIMIT: u32 = 1_000_000;

/// The longest `+k` key, in bytes.
pub const MAX_ROOM_KEY_LEN: usize = 32;

/// A room's modes, stored with it. The default is a new room's: only its
/// operators set the topic (`+t`), it is listed (`-s`), every member
/// speaks (`-m`), no key, no limit.
///
/// Stored as the list of the modes that differ from the default, so a
/// mode added later is one more kind in the list and records written
/// before it still read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<StoredMode>", into = "Vec<StoredMode>")]
pub struct RoomModes {
    /// `-t`: any member sets the topic (by default only its operators).
    pub open_topic: bool,
    /// `+s`: secret: only its members see it in lists of rooms, its
    /// members' listings and a user's rooms.
    pub secret: bool,
    /// `+m`: moderated: only its operators and voiced members speak.
    pub moderated: bool,
    /// `+k`: joining takes this key.
    pub key: Option<String>,
    /// `+l`: at most this many members.
    pub limit: Option<u32>,
    /// `+i`: invite-only: only those invited (`/invite`) join.
    pub invite_only: bool,
}

/// One mode as stored (see [`RoomModes`]); a new one goes last.
#[derive(Clone, Debug, Serialize, Deserialize)]
enum StoredMode {
    OpenTopic,
    Secret,
    Moderated,
    Key(String),
    Limit(u32),
    InviteOnly,
}

impl From<Vec<StoredMode>> for RoomModes {
    fn from(list: Vec<StoredMode>) -> RoomModes {
        let mut modes = RoomModes::default();
        for mode in list {
            match mode {
                StoredMode::OpenTopic => modes.open_topic = true,
                StoredMode::Secret => modes.secret = true,
                StoredMode::Moderated => modes.moderated = true,
                StoredMode::Key(key) => modes.key = Some(key),
                StoredMode::Limit(n) => modes.limit = Some(n),
                StoredMode::InviteOnly => modes.invite_only = true,
            }
        }
        modes
    }
}

impl From<RoomModes> for Vec<StoredMode> {
    fn from(modes: RoomModes) -> Vec<StoredMode> {
        let flags = [
            (modes.open_topic, StoredMode::OpenTopic),
            (modes.secret, StoredMode::Secret),
            (modes.moderated, StoredMode::Moderated),
            (modes.invite_only, StoredMode::InviteOnly),
        ];
        let mut list: Vec<StoredMode> = flags.into_iter().filter(|f| f.0).map(|f| f.1).collect();
        list.extend(modes.key.map(StoredMode::Key));
        list.extend(modes.limit.map(StoredMode::Limit));
        list
    }
}

impl RoomModes {
    /// The modes as a line shows them, borrowed.
    pub fn view(&self) -> Modes<'_> {
        Modes {
            open_topic: self.open_topic,
            secret: self.secret,
            moderated: self.moderated,
            key: self.key.as_deref(),
            limit: self.limit,
            invite_only: self.invite_only,
        }
    }

    /// The modes after `edit`.
    pub fn edited(&self, edit: &ModeEdit<'_>) -> RoomModes {
        RoomModes {
            open_topic: edit.open_topic.unwrap_or(self.open_topic),
            secret: edit.secret.unwrap_or(self.secret),
            moderated: edit.moderated.unwrap_or(self.moderated),
            key: edit
                .key
                .map_or_else(|| self.key.clone(), |k| k.map(str::to_owned)),
            limit: edit.limit.unwrap_or(self.limit),
            invite_only: edit.invite_only.unwrap_or(self.invite_only),
        }
    }
}

/// A room's modes as a reply carries them (borrowed from the room, or
/// from a chat/1 line read back). Written as IRC writes them:
/// `+nt`, `+ntsk key`, `+nmsl 20` (`n`, no messages from outside, holds
/// in every room).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Modes<'a> {
    /// `-t`: any member sets the topic.
    pub open_topic: bool,
    /// `+s`: secret.
    pub secret: bool,
    /// `+m`: moderated.
    pub moderated: bool,
    /// `+k`: the key.
    pub key: Option<&'a str>,
    /// `+l`: the limit.
    pub limit: Option<u32>,
    /// `+i`: invite-only.
    pub invite_only: bool,
}

impl<'a> Modes<'a> {
    /// Reads modes as [`Display`](fmt::Display) writes them: the letters,
    /// then the key and limit in the letters' order. `None` if they do not
    /// read so.
    pub fn parse(letters: &str, args: &mut impl Iterator<Item = &'a str>) -> Option<Modes<'a>> {
        let mut modes = Modes {
            open_topic: true,
            ..Modes::default()
        };
        for c in letters.strip_prefix('+')?.chars() {
            match c {
                'n' => {}
                't' => modes.open_topic = false,
                's' => modes.secret = true,
                'i' => modes.invite_only = true,
                'm' => modes.moderated = true,
                'k' => modes.key = Some(args.next()?),
                'l' => modes.limit = Some(args.next()?.parse().ok()?),
                _ => return None,
            }
        }
        Some(modes)
    }
}

impl fmt::Display for Modes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("+n")?;
        for (on, c) in [
            (!self.open_topic, "t"),
            (self.secret, "s"),
            (self.invite_only, "i"),
            (self.moderated, "m"),
            (self.key.is_some(), "k"),
            (self.limit.is_some(), "l"),
        ] {
            if on {
                f.write_str(c)?;
            }
        }
        if let Some(key) = self.key {
            write!(f, " {key}")?;
        }
        if let Some(limit) = self.limit {
            write!(f, " {limit}")?;
        }
        Ok(())
    }
}

/// A change to a room's modes: each mode set, unset, or left as it is
/// (`None`). Written as IRC writes a change, `+sk-t key`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ModeEdit<'a> {
    /// `-t` (`Some(true)`) or `+t` (`Some(false)`).
    pub open_topic: Option<bool>,
    /// `+s` or `-s`.
    pub secret: Option<bool>,
    /// `+m` or `-m`.
    pub moderated: Option<bool>,
    /// `+k <key>` or `-k`.
    pub key: Option<Option<&'a str>>,
    /// `+l <n>` or `-l`.
    pub limit: Option<Option<u32>>,
    /// `+i` or `-i`.
    pub invite_only: Option<bool>,
}

/// Why a change of modes does not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ModeError {
    /// A letter that is no room mode.
    #[error("{0} is not a room mode")]
    Unknown(char),
    /// `+k` or `+l` without its argument.
    #[error("+{0} needs an argument")]
    Missing(char),
    /// A key that is empty, too long or holds a comma or control
    /// character, or a limit that is no number from 1 to 1,000,000.
    #[error("+{0}: that argument cannot be used")]
    Bad(char),
    /// `n` cannot be unset: a room never takes lines from outside.
    #[error("-n cannot be set: only members speak in a room")]
    Fixed,
    /// Words left after the arguments the letters take.
    #[error("more arguments than the modes take")]
    Extra,
}

impl<'a> ModeEdit<'a> {
    /// Reads one letter of a change, `on` for `+`, taking its argument
    /// from `arg` if it has one. `Ok(false)` for a letter that is no room
    /// mode (IRC's standings, `o` and `v`, are read by its codec).
    pub fn letter(
        &mut self,
        c: char,
        on: bool,
        arg: impl FnOnce() -> Option<&'a str>,
    ) -> Result<bool, ModeError> {
        match c {
            'n' if on => {}
            'n' => return Err(ModeError::Fixed),
            't' => self.open_topic = Some(!on),
            's' => self.secret = Some(on),
            'i' => self.invite_only = Some(on),
            'm' => self.moderated = Some(on),
            'k' if on => {
                let key = arg().ok_or(ModeError::Missing('k'))?;
                let bad = key.is_empty()
                    || key.len() > MAX_ROOM_KEY_LEN
                    || key
                        .chars()
                        .any(|c| c == ',' || c.is_whitespace() || c.is_control());
                if bad {
                    return Err(ModeError::Bad('k'));
                }
                self.key = Some(Some(key));
            }
            // `-k` takes the key as an argument in IRC; it is not checked.
            'k' => {
                let _ = arg();
                self.key = Some(None);
            }
            'l' if on => {
                let n = arg().ok_or(ModeError::Missing('l'))?;
                match n.parse::<u32>() {
                    Ok(n) if (1..=MAX_ROOM_LIMIT).contains(&n) => self.limit = Some(Some(n)),
                    _ => return Err(ModeError::Bad('l')),
                }
            }
            'l' => self.limit = Some(None),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Reads a whole change, `+sk-t key` (the letters, then their
    /// arguments, and nothing more).
    pub fn parse(text: &'a str) -> Result<ModeEdit<'a>, ModeError> {
        let mut words = text.split_whitespace();
        let letters = words.next().unwrap_or_default();
        let mut edit = ModeEdit::default();
        let mut on = true;
        for c in letters.chars() {
            match c {
                '+' | '-' => on = c == '+',
                c => {
                    if !edit.letter(c, on, || words.next())? {
                        return Err(ModeError::Unknown(c));
                    }
                }
            }
        }
        match words.next() {
            Some(_) => Err(ModeError::Extra),
            None => Ok(edit),
        }
    }

    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        *self == ModeEdit::default()
    }

    /// What changes from `was` to `now`, every mode that differs.
    pub fn between(was: &Modes<'a>, now: &Modes<'a>) -> ModeEdit<'a> {
        let differs = |a: bool, b: bool| (a != b).then_some(b);
        ModeEdit {
            open_topic: differs(was.open_topic, now.open_topic),
            secret: differs(was.secret, now.secret),
            moderated: differs(was.moderated, now.moderated),
            key: (was.key != now.key).then_some(now.key),
            limit: (was.limit != now.limit).then_some(now.limit),
            invite_only: differs(was.invite_only, now.invite_only),
        }
    }
}

impl fmt::Display for ModeEdit<'_> {
    /// `+sk-t key`: the modes set, then those unset, then the arguments
    /// of those set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letters = [
            (self.open_topic.map(|open| !open), 't'),
            (self.secret, 's'),
            (self.invite_only, 'i'),
            (self.moderated, 'm'),
            (self.key.map(|k| k.is_some()), 'k'),
            (self.limit.map(|l| l.is_some()), 'l'),
        ];
        for sign in [true, false] {
            let mut any = false;
            for (set, c) in letters {
                if set == Some(sign) {
                    if !any {
                        f.write_str(if sign { "+" } else { "-" })?;
                        any = true;
                    }
                    write!(f, "{c}")?;
                }
            }
        }
        if let Some(Some(key)) = self.key {
            write!(f, " {key}")?;
        }
        if let Some(Some(limit)) = self.limit {
            write!(f, " {limit}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_reads_applies_and_writes_back() {
        let edit = ModeEdit::parse("+sk-t+li sesame 20").unwrap();
        assert_eq!(edit.to_string(), "+sikl-t sesame 20");
        let modes = RoomModes::default().edited(&edit);
        assert!(modes.secret && modes.open_topic && modes.invite_only);
        assert_eq!(modes.view().to_string(), "+nsikl sesame 20");
        let written = edit.to_string();
        assert_eq!(ModeEdit::parse(&written).unwrap(), edit);
        let back = ModeEdit::parse("-ki+t").unwrap();
        let plain = modes.edited(&back);
        assert_eq!(plain.view().to_string(), "+ntsl 20");
        assert_eq!(
            ModeEdit::between(&modes.view(), &plain.view()).to_string(),
            "+t-ik"
        );
    }

    #[test]
    fn bad_changes_say_why() {
        assert_eq!(ModeEdit::parse("+x"), Err(ModeError::Unknown('x')));
        assert_eq!(ModeEdit::parse("+k"), Err(ModeError::Missing('k')));
        assert_eq!(ModeEdit::parse("+l 0"), Err(ModeError::Bad('l')));
        assert_eq!(ModeEdit::parse("+k a,b"), Err(ModeError::Bad('k')));
        assert_eq!(ModeEdit::parse("-n"), Err(ModeError::Fixed));
        assert_eq!(ModeEdit::parse("+s -t"), Err(ModeError::Extra));
    }

    #[test]
    fn modes_read_back_as_written() {
        let modes = RoomModes {
            secret: true,
            key: Some("k3y".into()),
            limit: Some(5),
            ..RoomModes::default()
        };
        let text = modes.view().to_string();
        let mut words = text.split(' ');
        let letters = words.next().unwrap();
        assert_eq!(Modes::parse(letters, &mut words), Some(modes.view()));
    }

    #[test]
    fn stored_as_the_modes_that_differ() {
        let modes = RoomModes {
            moderated: true,
            limit: Some(7),
            ..RoomModes::default()
        };
        let bytes = postcard::to_stdvec(&modes).unwrap();
        assert_eq!(postcard::from_bytes::<RoomModes>(&bytes).unwrap(), modes);
        let none = postcard::to_stdvec(&RoomModes::default()).unwrap();
        assert_eq!(none, vec![0], "the default is an empty list");
    }
}
