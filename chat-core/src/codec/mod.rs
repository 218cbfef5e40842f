//! The codecs the crate brings, opened through the engine's seam
//! ([`crate::seam`]): chat/1 ([`crate::wire`]) and IRC ([`crate::irc`]).
//! [`open`] opens a connection's codec for its protocol, and
//! [`Engine::new`] is an engine that opens these.

pub use crate::irc::RoomCaps;
pub use crate::seam::{Codec, CodecOptions, Protocol, Rendering};

use crate::config::{Config, ConfigError};
use crate::irc::IrcCodec;
use crate::wire::ServerCodec;
use crate::{Engine, StoreSnapshot};

/// Why a line could not be framed (too long, not UTF-8).
pub use crate::framing::FrameError as LineError;

/// Opens the codec of a connection speaking `protocol`.
///
/// ```
/// use chat_core::codec::{open, CodecOptions, Protocol};
/// let codec = open(Protocol::Irc, &CodecOptions::new(4096, "irc.example".into()));
/// assert_eq!(codec.protocol(), Protocol::Irc);
/// assert!(codec.wants_keepalive());
/// ```
pub fn open(protocol: Protocol, options: &CodecOptions) -> Box<dyn Codec> {
    match protocol {
        Protocol::Chat1 => Box::new(ServerCodec::new(options)),
        Protocol::Irc => Box::new(IrcCodec::new(options)),
    }
}

/// Every rendering of the crate's codecs, in slot order: a broadcast is
/// rendered once for each in use.
///
/// ```
/// use chat_core::codec::RENDERINGS;
/// use chat_core::reply::{Identity, Reply};
/// use chat_core::Millis;
/// let who = Identity { user_name: Some("ann1"), ..Identity::default() };
/// let line = Reply::RoomJoin { room: "den", at: Millis(0), user: "ann", who };
/// let irc_with_time = RENDERINGS.iter().find(|r| r.name() == "IRC with server-time").unwrap();
/// assert_eq!(
///     &irc_with_time.render("irc.example", &[line])[..],
///     b"@time=1970-01-01T00:00:00.000Z :ann!ann1@irc.example JOIN #den\r\n"
/// );
/// ```
pub const RENDERINGS: [Rendering; 14] = [
    crate::wire::RENDERING,
    crate::irc::RENDERINGS[0],
    crate::irc::RENDERINGS[1],
    crate::irc::RENDERINGS[2],
    crate::irc::RENDERINGS[3],
    crate::wire::RENDERING_TAGGED,
    crate::irc::RENDERINGS[4],
    crate::irc::RENDERINGS[5],
    crate::irc::RENDERINGS[6],
    crate::irc::RENDERINGS[7],
    crate::irc::RENDERINGS[8],
    crate::irc::RENDERINGS[9],
    crate::irc::RENDERINGS[10],
    crate::irc::RENDERINGS[11],
];

impl Engine {
    /// An engine over what the store holds at start (`snapshot`): users,
    /// the kick list, rooms and their topics, and history (trimmed to the
    /// configured retention), whose connections speak chat/1 or IRC.
    ///
    /// ```
    /// use chat_core::{Config, Engine, StoreSnapshot};
    /// let engine = Engine::new(Config::default(), StoreSnapshot::default()).unwrap();
    /// assert_eq!(engine.stats().connections, 0);
    /// ```
    pub fn new(config: Config, snapshot: StoreSnapshot) -> Result<Engine, ConfigError> {
        Engine::with_codecs(config, snapshot, open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rendering_has_a_slot_of_its_own() {
        for (i, rendering) in RENDERINGS.iter().enumerate() {
            assert_eq!(rendering.slot(), i, "{rendering:?}");
        }
    }
}
