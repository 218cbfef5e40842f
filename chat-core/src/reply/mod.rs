//! What the server tells a client, independent of the wire format:
//! [`Reply`], the one typed vocabulary of server lines. The server renders
//! it (each codec its own way, through the engine's seam,
//! [`Codec`](crate::seam::Codec)); a client reads chat/1's lines back into
//! it (chat/1's `parse_reply`).
//!
//! Where the protocol lets a newer server add words (codes, reasons,
//! steps, presences: one word each; `OK`, `CTL` and `END` kinds: the rest
//! of the line), a value read from the wire keeps a word this side does
//! not know: a one-word field is a [`Word`], a kind has an `Other`
//! variant. What the engine sends is always known.

mod ask;
mod reason;
mod word;

pub use ask::{AskField, AskStep};
pub use reason::{FullScope, LimitScope, Notice, Reason, RoomLimit};
pub use word::Word;

use crate::{ClientTags, ErrorCode, Grant, MessageKind, Millis, MsgId};

/// An `OK` reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Done<'a> {
    /// `OK registered <user>`.
    Registered(&'a str),
    /// `OK login <user>`.
    Login(&'a str),
    /// `OK sent <user>`: a private message was delivered.
    Sent {
        /// The recipient.
        to: &'a str,
        /// The message's id, in the pair's sequence.
        id: Option<MsgId>,
    },
    /// `OK grant <user> <grant>`.
    Grant(&'a str, Grant),
    /// `OK kicked <user>`.
    Kicked(&'a str),
    /// `OK unkicked <user>`.
    Unkicked(&'a str),
    /// `OK password-changed`.
    PasswordChanged,
    /// Extension: `OK created <room>` (the room is durable).
    Created(&'a str),
    /// Extension: `OK joined <room>`.
    Joined(&'a str),
    /// Extension: `OK parted <room>`.
    Parted(&'a str),
    /// Extension: `OK topic <room>` (the topic is durable).
    TopicSet(&'a str),
    /// Extension: `OK removed <room> <user>`.
    Removed(&'a str, &'a str),
    /// Extension: `OK closed <room>` (the room and its history are gone).
    Closed(&'a str),
    /// Extension: `OK invited <room> <user>`: the user may join the room
    /// (invite-only or not) and was told.
    Invited(&'a str, &'a str),
    /// Extension: `OK tags on|off`: lines carry tags (message ids) from
    /// now on, or no longer.
    Tags(bool),
    /// A kind this side does not know (from a newer server): the rest of
    /// the line after `OK `.
    Other(&'a str),
}

/// Why a user left the room (the `<reason>` of `LEAVE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LeaveReason {
    /// The user quit.
    Quit,
    /// An admin kicked the user.
    Kicked,
    /// The connection was lost.
    Lost,
    /// The user did not read fast enough and was dropped.
    TooSlow,
    /// The user was idle too long.
    Timeout,
    /// The server shut down.
    Shutdown,
    /// Extension: the owner logged in again elsewhere and took the account
    /// over (`takeover`).
    TakenOver,
    /// Extension, rooms only: the user left the room (`part`).
    Parted,
    /// Extension, rooms only: the room's operator or an admin removed the
    /// user (`removed`).
    Removed,
    /// Extension, rooms only: the room was closed (`closed`).
    Closed,
}

/// Whether a user's room lines are delivered or held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Presence {
    /// Room lines are delivered as they come.
    Free,
    /// Room lines are held until `/free`.
    Busy,
}

/// A `CTL` line: control for the client program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Control<'a> {
    /// `CTL busy`.
    Busy,
    /// `CTL free`.
    Free,
    /// `CTL grant <grant>`.
    Grant(Grant),
    /// `CTL kick <by> [reason]`.
    Kick {
        /// The admin.
        by: &'a str,
        /// Why, if given.
        reason: Option<&'a str>,
    },
    /// `CTL disconnect`.
    Disconnect,
    /// `CTL shutdown`.
    Shutdown,
    /// `CTL restart`.
    Restart,
    /// Extension: `CTL takeover`: the account logged in on another
    /// connection; this one is closed (a client should not reconnect).
    Takeover,
    /// Extension: `CTL removed <room> <by> [reason]`: you were removed
    /// from a room (you may join it again).
    Removed {
        /// The room.
        room: &'a str,
        /// The operator or admin.
        by: &'a str,
        /// Why, if given.
        reason: Option<&'a str>,
    },
    /// Extension: `CTL invited <room> <by>`: you were invited to a room
    /// (`/join` it, even when it is invite-only).
    Invited {
        /// The room.
        room: &'a str,
        /// Who invited you.
        by: &'a str,
        /// What IRC shows of them (chat/1 has no field for it).
        who: Identity<'a>,
        /// When (chat/1 has no field for it).
        at: Millis,
    },
    /// A kind this side does not know (from a newer server): the rest of
    /// the line after `CTL `.
    Other(&'a str),
}

/// Which listing an `END` line ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Listing<'a> {
    /// `END users`.
    Users,
    /// `END kicked`.
    Kicked,
    /// `END help`.
    Help,
    /// Extension: `END users <shown> <total> [next-page]`: a page of
    /// `/viewusers [page]`; `next-page` is there only when more rows remain.
    UsersPage(Page),
    /// Extension: `END kicked <shown> <total> [next-page]`, as for users.
    KickedPage(Page),
    /// `END held <replayed> <dropped>`.
    Held {
        /// Lines replayed.
        replayed: u64,
        /// Lines dropped because the hold queue was full.
        dropped: u64,
    },
    /// Extension: `END rooms <shown> <total> [next-page]`, a page of
    /// `/rooms [page]`.
    RoomsPage(Page),
    /// Extension: `END history <shown> [<next>]`: the end of `HIST`
    /// lines; `next` is there only when more lines remain in the
    /// direction the page went (older ones, but newer ones for
    /// `/history ... after` and a `between` that runs forwards): the line
    /// of this page to continue from.
    History {
        /// Lines shown.
        shown: u64,
        /// Where to continue, if more lines remain.
        next: Option<HistoryMark>,
    },
    /// Extension: `END conversations <shown>`: the end of `CONV` rows.
    Conversations {
        /// Rows shown.
        shown: u64,
    },
    /// A kind this side does not know (from a newer server): the rest of
    /// the line after `END `.
    Other(&'a str),
}

/// What IRC shows of a user beside the name: `USER`'s user name and real
/// name, and whether the name is an account's. chat/1 has no field for
/// any of it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Identity<'a> {
    /// `USER`'s user name (IRC's ident), if the client gave one.
    pub user_name: Option<&'a str>,
    /// The real name (`USER`'s last parameter, or `SETNAME`), if given.
    pub real_name: Option<&'a str>,
    /// Whether the name is an account's (false: a guest, or unknown).
    pub account: bool,
}

/// A member's standing in a room: its operators run it (topic, removal,
/// modes), its voiced members may speak when it is moderated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MemberStatus {
    /// An operator of the room (the lobby's are the admins).
    pub operator: bool,
    /// Voiced: may speak in a moderated room.
    pub voice: bool,
}

/// What a listing row shows of a user beside the name, grant and
/// presence (IRC's `WHO`, `NAMES`, `USERHOST`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Profile<'a> {
    /// User name, real name, account.
    pub identity: Identity<'a>,
    /// The away message, when busy with one.
    pub away: Option<&'a str>,
    /// Standing in the room listed (the lobby's for a listing of users).
    pub status: MemberStatus,
    /// Seconds since they last said or did something, when known (IRC's
    /// WHOX `l`).
    pub idle_secs: Option<u64>,
}

/// Who a user is: the answer to IRC's `WHOIS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WhoIs<'a> {
    /// The user.
    pub name: &'a str,
    /// Their grant (admins are IRC operators).
    pub grant: Grant,
    /// Free or busy.
    pub presence: Presence,
    /// User name, real name, account and away message.
    pub profile: Profile<'a>,
    /// The rooms they are in that the asker may see, besides the lobby,
    /// with their standing in each.
    pub rooms: Vec<(&'a str, MemberStatus)>,
    /// When they logged in.
    pub since: Millis,
    /// Seconds since they last said or did something, when known (not
    /// for a user of another node of a cluster).
    pub idle_secs: Option<u64>,
}

/// A line of a history page to continue from ([`Listing::History`]): by
/// its id and by its time. The engine gives both; a codec writes the one
/// its client reads (chat/1: the id once the client turned tags on, else
/// the time), so a line read back may hold only one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HistoryMark {
    /// The line's id.
    pub id: Option<MsgId>,
    /// When it was said.
    pub at: Option<Millis>,
}

/// Whose history a `HIST` line is from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistoryOf<'a> {
    /// A room (chat/1 writes its name).
    Room(&'a str),
    /// Private messages with this user (chat/1 writes `@<user>`).
    Private(&'a str),
}

/// The counts of one page of a listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    /// Rows on this page.
    pub shown: u64,
    /// Rows in the whole listing.
    pub total: u64,
    /// The page to ask for next, if more rows remain.
    pub next: Option<u64>,
}

/// One line from the server, as data. Rendering it to bytes is the
/// connection's codec's job ([`Codec::render`](crate::seam::Codec::render),
/// and a [`Rendering`](crate::seam::Rendering) for room lines).
///
/// Every room is on the same variants, the lobby included (its name is
/// [`LOBBY`](crate::LOBBY)); a codec may write the lobby's lines in forms
/// of their own (chat/1's `MSG`, `JOIN`, `LEAVE`). Room lines, private
/// messages and history lines carry their [`MsgId`]: always `Some` in
/// what the engine sends, `None` only in a line read from a server that
/// sent none.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reply<'a> {
    /// `HELLO chat/1 <server-name>`.
    Hello {
        /// The server's name.
        server: &'a str,
    },
    /// `ASK <step> <prompt>`: a question of the login dialog or of
    /// `/changepassword`; the engine asks with [`Reply::ask`].
    Ask {
        /// What is asked for.
        step: Word<'a, AskField>,
        /// Text for people.
        prompt: &'a str,
    },
    /// `OK ...`.
    Ok(Done<'a>),
    /// `WELCOME <user> <grant>`.
    Welcome {
        /// The user.
        user: &'a str,
        /// Their grant.
        grant: Grant,
    },
    /// `ERR <code> <text>`, as a client reads it (the engine refuses with
    /// [`Reply::Refused`], whose code and text the codec writes).
    /// Extension: a refusal for now (code `rate-limited` or
    /// `server-busy`) ends in `; retry in <n> s`, `<n>` whole seconds.
    Err {
        /// The code.
        code: Word<'a, ErrorCode>,
        /// Text for people (without the retry ending).
        text: &'a str,
        /// Seconds to wait before trying again (at least 1), for a
        /// refusal for now.
        retry: Option<u64>,
    },
    /// `PM <ts> <from> <text>`: a private message to you.
    Pm {
        /// Its id, in the sequence of the pair of users.
        id: Option<MsgId>,
        /// When.
        at: Millis,
        /// The sender.
        from: &'a str,
        /// What IRC shows of the sender beside the name.
        who: Identity<'a>,
        /// The recipient when it is not you: your own message to them,
        /// shown back to you (IRC's `echo-message`; chat/1 is never sent
        /// one, its `OK sent` says as much).
        to: Option<&'a str>,
        /// Said, a notice, an action, or tags alone (extension:
        /// `TAGMSG`, whose text is empty; shown only to clients that read
        /// client tags).
        kind: MessageKind,
        /// The message.
        text: &'a str,
        /// The client-only tags it carries (IRC's `+name=value`; chat/1
        /// writes them after its id, for a client with tags on).
        tags: ClientTags<'a>,
    },
    /// `INFO <text>`.
    Info(&'a str),
    /// The lines of `/help` (`INFO` lines then `END help`).
    Help {
        /// Whether to list the admin commands too.
        admin: bool,
    },
    /// `USER <name> <grant> <free|busy>`.
    User {
        /// The user.
        name: &'a str,
        /// Their grant.
        grant: Grant,
        /// Free or busy.
        presence: Word<'a, Presence>,
        /// What IRC shows beside (chat/1 has no field for it).
        profile: Profile<'a>,
    },
    /// Extension: `USER <name> <grant> guest` (or `guest-busy`): a guest
    /// (an IRC user the server lets chat without an account) in a
    /// listing; its grant is a user's unless IRC's `OPER` made the
    /// session an admin's.
    GuestUser {
        /// The nick.
        name: &'a str,
        /// Their session's grant.
        grant: Grant,
        /// Free or busy.
        presence: Presence,
        /// What IRC shows beside (chat/1 has no field for it).
        profile: Profile<'a>,
    },
    /// Who a user is (IRC's `WHOIS`): a `USER` row in chat/1.
    WhoIs(Box<WhoIs<'a>>),
    /// The members of a room follow, as `USER` rows (IRC's `NAMES #room`
    /// and `WHO #room`, which name the room as it is spelled); chat/1 has
    /// no such line.
    Members {
        /// The room, as its creator spelled it.
        room: &'a str,
        /// Whether it is secret (`+s`; IRC's `353` says `@`).
        secret: bool,
    },
    /// `KICKED <name> <by> <ts> [reason]`.
    Kicked {
        /// The kicked user.
        name: &'a str,
        /// The admin.
        by: &'a str,
        /// When.
        at: Millis,
        /// Why, if given.
        reason: Option<&'a str>,
    },
    /// `END <list> [counts]`.
    End(Listing<'a>),
    /// `CTL ...`.
    Ctl(Control<'a>),
    /// `PONG [token]`.
    Pong(Option<&'a str>),
    /// A refusal as data: `ERR <code> <text>` (with `; retry in <n> s`
    /// for a refusal for now); the text is the codec's.
    Refused(Reason<'a>),
    /// A notice as data (`INFO <text>`); the text is the codec's.
    Notice(Notice<'a>),
    /// A line said in a room. chat/1 writes the lobby's as
    /// `MSG <ts> <from> <text>` and other rooms' as (extension)
    /// `RMSG <room> <ts> <from> <text>`.
    RoomMsg {
        /// The room, as its creator spelled it; [`LOBBY`](crate::LOBBY)
        /// for the lobby.
        room: &'a str,
        /// Its id, in the room's sequence.
        id: Option<MsgId>,
        /// When.
        at: Millis,
        /// The sender.
        from: &'a str,
        /// What IRC shows of the sender beside the name.
        who: Identity<'a>,
        /// Said, a notice or an action (chat/1 writes them alike), or
        /// tags alone (extension: `TAGMSG`, whose text is empty; shown
        /// only to clients that read client tags).
        kind: MessageKind,
        /// The message.
        text: &'a str,
        /// The client-only tags it carries (IRC's `+name=value`; chat/1
        /// writes them after its id, for a client with tags on).
        tags: ClientTags<'a>,
    },
    /// A user entered a room: chat/1 `JOIN <ts> <user>` for the lobby
    /// (logged in), (extension) `RJOIN <room> <ts> <user>` for others.
    RoomJoin {
        /// The room ([`LOBBY`](crate::LOBBY) for the lobby).
        room: &'a str,
        /// When.
        at: Millis,
        /// Who.
        user: &'a str,
        /// What IRC shows of them beside the name (`extended-join`).
        who: Identity<'a>,
    },
    /// A user left a room: chat/1 `LEAVE <ts> <user> <reason>` for the
    /// lobby (logged out), (extension) `RLEAVE <room> <ts> <user> <reason>`
    /// for others.
    RoomLeave {
        /// The room ([`LOBBY`](crate::LOBBY) for the lobby).
        room: &'a str,
        /// When.
        at: Millis,
        /// Who.
        user: &'a str,
        /// What IRC shows of them beside the name.
        who: Identity<'a>,
        /// Why.
        reason: Word<'a, LeaveReason>,
        /// Who took them out (a removal: the room's operator or an
        /// admin), if someone did.
        by: Option<&'a str>,
        /// Their words (a part or quit message, a removal's reason), if
        /// any; chat/1 has no field for them.
        text: Option<&'a str>,
    },
    /// Extension: `TOPIC <room> <ts> <by> [text]`: a room's topic (no text:
    /// cleared).
    Topic {
        /// The room.
        room: &'a str,
        /// When it was set.
        at: Millis,
        /// Who set it.
        by: &'a str,
        /// The topic, `None` when cleared.
        text: Option<&'a str>,
    },
    /// Extension: `STANDING <room> <ts> <by> <user> <op|deop|voice|devoice>`:
    /// a member's standing in a room was given or taken.
    Standing {
        /// The room.
        room: &'a str,
        /// When.
        at: Millis,
        /// Who changed it.
        by: &'a str,
        /// The member.
        user: &'a str,
        /// Which standing.
        standing: crate::Standing,
        /// Given (true) or taken.
        on: bool,
    },
    /// Extension: `MODE <room> <ts> <by> <change>`: a room's modes were
    /// changed (`+sk-t key`: set, then unset, then the arguments).
    ModeChanged {
        /// The room.
        room: &'a str,
        /// When.
        at: Millis,
        /// Who changed them.
        by: &'a str,
        /// What changed.
        change: crate::ModeEdit<'a>,
    },
    /// Extension: `MODES <room> <modes>`: a room's modes, as asked
    /// (`+nt`, `+ntsk key`).
    RoomModes {
        /// The room.
        room: &'a str,
        /// Its modes.
        modes: crate::Modes<'a>,
    },
    /// Extension: `ROOM <name> <members> <operator> [topic]`, a row of
    /// `/rooms` (the lobby's operator is `-`).
    Room {
        /// The room.
        name: &'a str,
        /// Members now.
        members: u64,
        /// Its operator, `None` for the lobby.
        operator: Option<&'a str>,
        /// Its topic, if set.
        topic: Option<&'a str>,
    },
    /// Extension: `HIST <room|@user> <ts> <from> <text>`: a kept line, said
    /// at `at`, replayed on join or by `/history`.
    Hist {
        /// Where it was said.
        of: HistoryOf<'a>,
        /// Its id, as when it was said.
        id: Option<MsgId>,
        /// When it was said.
        at: Millis,
        /// Who said it.
        from: &'a str,
        /// Said, a notice or an action, as it was said live (chat/1 with
        /// tags on writes a notice's or an action's as the `kind` tag).
        kind: MessageKind,
        /// What was said.
        text: &'a str,
    },
    /// Extension: `CONV <room|@user> <ts>`, a row of `/conversations`: a
    /// room or a user the asker has history with, and its latest line
    /// (its id with `/tags on`, as on `HIST`).
    Conversation {
        /// The room, or the other user.
        of: HistoryOf<'a>,
        /// The latest line's id.
        id: Option<MsgId>,
        /// When the latest line was said.
        at: Millis,
    },
    /// A room line: an admin kicked `user` out. chat/1 writes it as
    /// `LEAVE <ts> <user> kicked`, as ever (its wire names no actor); IRC
    /// as the admin's `KICK` with the reason.
    KickedOut {
        /// When.
        at: Millis,
        /// Who was kicked.
        user: &'a str,
        /// The admin.
        by: &'a str,
        /// Why, if given.
        reason: Option<&'a str>,
    },
    /// A room line: an admin changed `user`'s grant. chat/1 says nothing
    /// here (the user gets `CTL grant`); IRC shows the admin's `MODE`.
    GrantChanged {
        /// When.
        at: Millis,
        /// Whose grant.
        user: &'a str,
        /// The admin.
        by: &'a str,
        /// The new grant.
        grant: Grant,
    },
    /// A room line: a member went busy or free. Only IRC clients that
    /// asked for `away-notify` see it (`AWAY`); chat/1 says nothing.
    Away {
        /// When.
        at: Millis,
        /// Who.
        user: &'a str,
        /// What IRC shows of them beside the name.
        who: Identity<'a>,
        /// Busy (true) or free again.
        busy: bool,
        /// The away message, if they gave one.
        text: Option<&'a str>,
    },
    /// The server asks an idle connection whether it is alive (IRC
    /// `PING :<token>`); chat/1 clients are never asked.
    Ping {
        /// Any traffic answers it; a `PONG` echoes it.
        token: u64,
    },
    /// A line this side does not read: its tag is a newer server's (a
    /// client ignores it). Never sent by the engine.
    Unknown(&'a str),
}

impl Reply<'_> {
    /// The message id the line carries: a room line's, a private
    /// message's (and its `OK sent`), a history line's.
    pub fn id(&self) -> Option<MsgId> {
        match *self {
            Reply::RoomMsg { id, .. }
            | Reply::Pm { id, .. }
            | Reply::Hist { id, .. }
            | Reply::Conversation { id, .. }
            | Reply::Ok(Done::Sent { id, .. }) => id,
            _ => None,
        }
    }

    /// The client-only tags the line carries (a room line's or a private
    /// message's).
    pub fn client_tags(&self) -> ClientTags<'_> {
        match *self {
            Reply::RoomMsg { tags, .. } | Reply::Pm { tags, .. } => tags,
            _ => ClientTags::NONE,
        }
    }

    /// How a message line is meant: a room line's, a private message's,
    /// a history line's kind; [`MessageKind::Said`] for any other line.
    pub fn kind(&self) -> MessageKind {
        match *self {
            Reply::RoomMsg { kind, .. } | Reply::Pm { kind, .. } | Reply::Hist { kind, .. } => kind,
            _ => MessageKind::Said,
        }
    }

    /// Gives a message line (not one of tags alone) this kind (a client
    /// reading it from the line's tags); other lines are left as they
    /// are.
    pub fn set_kind(&mut self, new: MessageKind) {
        if let Reply::RoomMsg { kind, .. } | Reply::Pm { kind, .. } | Reply::Hist { kind, .. } =
            self
        {
            if !kind.is_tags_only() && !new.is_tags_only() {
                *kind = new;
            }
        }
    }

    /// Whether it is a message of tags alone (`TAGMSG`), which a client
    /// that does not read client tags is never shown.
    pub fn is_tags_only(&self) -> bool {
        matches!(
            self,
            Reply::RoomMsg { kind, .. } | Reply::Pm { kind, .. } if kind.is_tags_only()
        )
    }

    /// Gives a line that carries a message id this one (a client reading
    /// the id from the line's tags); other lines are left as they are.
    pub fn set_id(&mut self, new: MsgId) {
        if let Reply::RoomMsg { id, .. }
        | Reply::Pm { id, .. }
        | Reply::Hist { id, .. }
        | Reply::Conversation { id, .. }
        | Reply::Ok(Done::Sent { id, .. }) = self
        {
            *id = Some(new);
        }
    }
}

impl<'a> Reply<'a> {
    /// Gives a room line or a private message these client-only tags (a
    /// client reading them from the line's tags); other lines are left as
    /// they are.
    pub fn set_client_tags(&mut self, new: ClientTags<'a>) {
        if let Reply::RoomMsg { tags, .. } | Reply::Pm { tags, .. } = self {
            *tags = new;
        }
    }
}

impl Reply<'static> {
    /// The question of a dialog step: its word and its prompt.
    pub fn ask(step: AskStep) -> Reply<'static> {
        Reply::Ask {
            step: Word::Known(step.field()),
            prompt: step.prompt(),
        }
    }
}
