//! The command set, each command declared once: its variant of
//! [`Command`], who may use it, what it costs against the command budget,
//! and how it is typed (`/name`, aliases, arguments, the row `/help`
//! shows). chat/1's parser and encoder, `/help`, the terminal client's
//! Tab completion, the engine's budget and admin check, and the test that
//! holds `PROTOCOL.md`'s tables to it all read this.
//!
//! Adding a command is one entry here and its handler in the engine (a
//! `match` arm in `engine/commands.rs`, which the compiler asks for).
//!
//! The order is `/help`'s: commands for everyone, then for admins.

use super::{Answer, HistoryRange, HistoryTarget, Standing, TopicChange};
use crate::{ClientTags, Grant, MessageKind, ModeEdit};

commands! {
    /// A room message (or, during the login dialog, an answer): any line
    /// not starting with `/` (`//text` says `/text`).
    Say(&'a str) => { who: Anyone, cost: Line, }

    /// `/help`: the commands you may use.
    Help => {
        who: Anyone, cost: Listing,
        chat1: "help" [] => "this list",
    }

    /// `/viewusers [page]`, `/users [page]`: who is online.
    ViewUsers {
        /// The page, from 1.
        page: u64,
    } => {
        who: Anyone, cost: Listing,
        chat1: "viewusers" | "users" [page: Page("page")]
            => "who is online, a page at a time",
    }

    /// `/whois <user>` (IRC's `WHOIS`): who a user online is, a
    /// [`Reply::WhoIs`](crate::reply::Reply::WhoIs), or `no-such-user`.
    WhoIs {
        /// The name as typed.
        name: &'a str,
    } => {
        who: Anyone, cost: Line,
        chat1: "whois" [name: OneWord("user")]
            => "who a user online is: role, status, rooms, since when",
    }

    /// `/messageto <user> <text>`, `/msg`: a private message (IRC's
    /// `PRIVMSG`, `NOTICE` or an `ACTION` to a nick).
    MessageTo {
        /// The recipient as typed.
        to: &'a str,
        /// The message.
        text: &'a str,
        /// Said, a notice (never answered, errors included), an action,
        /// or tags alone (IRC's `TAGMSG`, whose text is empty).
        kind: MessageKind,
        /// The client-only tags sent with it (IRC's `+name=value`).
        tags: ClientTags<'a>,
    } => {
        who: Anyone, cost: Line,
        chat1: "messageto" | "msg" [to: OneWord("user"), text: Text("text")]
            { kind: MessageKind::Said, tags: ClientTags::NONE }
            => "a private message",
    }

    /// `/busy [message]`: hold room lines (IRC's `AWAY :message`).
    Busy {
        /// The away message, if given.
        text: Option<&'a str>,
    } => {
        who: Anyone, cost: Line,
        chat1: "busy" [text: OptText("message")]
            => "hold room lines until /free (the message tells those who write to you why)",
    }

    /// `/free`: replay held room lines.
    Free => {
        who: Anyone, cost: Line,
        chat1: "free" [] => "replay held room lines",
    }

    /// `/viewkickusers [page]`: the kick list.
    ViewKicked {
        /// The page, from 1.
        page: u64,
    } => {
        who: Anyone, cost: Listing,
        chat1: "viewkickusers" [page: Page("page")] => "the kick list, a page at a time",
    }

    /// `/changepassword <old> <new>`.
    ChangePassword {
        /// The current password.
        old: &'a str,
        /// The new password (the rest of the line).
        new: &'a str,
    } => {
        who: Anyone, cost: Line,
        chat1: "changepassword" [old: OneWord("old"), new: Text("new")]
            => "change your password",
    }

    /// `/changepassword` without arguments: ask for the passwords by
    /// `ASK` steps, so a client can hide them and they may hold spaces.
    ChangePasswordDialog => {
        who: Anyone, cost: Line,
        chat1: "changepassword" [] => "change your password, asked step by step",
    }

    /// `/ping [token]`.
    Ping {
        /// Echoed back in `PONG`.
        token: Option<&'a str>,
    } => {
        who: Anyone, cost: Line,
        chat1: "ping" [token: OptText("token")] => "answered with PONG",
    }

    /// Extension: `/create <room>`: a new room, whose operator you are.
    CreateRoom {
        /// The name as typed.
        room: &'a str,
    } => {
        who: Anyone, cost: Line,
        chat1: "create" [room: OneWord("room")]
            => "create a room (you are its operator) and join it",
    }

    /// Extension: `/join <room> [key]`.
    JoinRoom {
        /// The name as typed.
        room: &'a str,
        /// The room's key (`+k`), if given.
        key: Option<&'a str>,
    } => {
        who: Anyone, cost: Line,
        chat1: "join" [room: OneWord("room"), key: OptText("key")]
            => "join a room (with its key if it has one); its last lines are replayed",
    }

    /// Extension: `/part <room> [message]`.
    PartRoom {
        /// The name as typed.
        room: &'a str,
        /// The part message others see (IRC's `PART #room :text`), if
        /// given.
        reason: Option<&'a str>,
    } => {
        who: Anyone, cost: Line,
        chat1: "part" [room: OneWord("room"), reason: OptText("message")] => "leave a room",
    }

    /// Extension: `/rooms [page]`.
    ListRooms {
        /// The page, from 1.
        page: u64,
    } => {
        who: Anyone, cost: Listing,
        chat1: "rooms" [page: Page("page")] => "the rooms, a page at a time",
    }

    /// Extension: `/names <room>`: who is in a room, as `USER` rows
    /// (IRC's `NAMES #room`, `WHO #room`).
    RoomMembers {
        /// The name as typed.
        room: &'a str,
    } => {
        who: Anyone, cost: Listing,
        chat1: "names" [room: OneWord("room")] => "who is in a room",
    }

    /// Extension: `/say <room> <text>`: a line in a room you are in
    /// (IRC's `PRIVMSG`, `NOTICE` or an `ACTION` to a channel).
    SayIn {
        /// The name as typed.
        room: &'a str,
        /// The message.
        text: &'a str,
        /// Said, a notice (never answered, errors included), an action,
        /// or tags alone (IRC's `TAGMSG`, whose text is empty).
        kind: MessageKind,
        /// The client-only tags sent with it (IRC's `+name=value`).
        tags: ClientTags<'a>,
    } => {
        who: Anyone, cost: Line,
        chat1: "say" [room: OneWord("room"), text: Text("text")]
            { kind: MessageKind::Said, tags: ClientTags::NONE }
            => "say something in a room",
    }

    /// Extension: `/topic <room> [text]` shows or sets a topic,
    /// `/cleartopic <room>` clears it.
    Topic {
        /// The name as typed.
        room: &'a str,
        /// What to do.
        change: TopicChange<'a>,
    } => {
        who: Anyone, cost: Line,
        chat1: "topic" [room: OneWord("room"), change: TopicText("text")]
            => "show a room's topic, or set it (its operator)",
        chat1: "cleartopic" [room: OneWord("room")] { change: TopicChange::Clear }
            => "clear a room's topic (its operator)",
    }

    /// Extension: `/remove <room> <user> [reason]`: take a user out of a
    /// room (its operator, or an admin).
    RemoveFromRoom {
        /// The room as typed.
        room: &'a str,
        /// The user as typed.
        user: &'a str,
        /// Why, if given.
        reason: Option<&'a str>,
    } => {
        who: Anyone, cost: Line,
        chat1: "remove" [room: OneWord("room"), user: OneWord("user"), reason: OptText("reason")]
            => "take a user out of a room (its operator)",
    }

    /// Extension: `/op`, `/deop`, `/voice`, `/devoice <room> <user>`: give
    /// or take a member's standing in a room (its operators, or an
    /// admin). A standing lasts while the member stays in the room.
    SetStanding {
        /// The room as typed.
        room: &'a str,
        /// The member as typed.
        user: &'a str,
        /// Which standing.
        standing: Standing,
        /// Given (true) or taken.
        on: bool,
    } => {
        who: Anyone, cost: Line,
        chat1: "op" [room: OneWord("room"), user: OneWord("user")]
            { standing: Standing::Operator, on: true }
            => "make a member an operator of a room (its operators)",
        chat1: "deop" [room: OneWord("room"), user: OneWord("user")]
            { standing: Standing::Operator, on: false }
            => "take a member's operator standing (its operators)",
        chat1: "voice" [room: OneWord("room"), user: OneWord("user")]
            { standing: Standing::Voice, on: true }
            => "voice a member of a room (its operators)",
        chat1: "devoice" [room: OneWord("room"), user: OneWord("user")]
            { standing: Standing::Voice, on: false }
            => "take a member's voice (its operators)",
    }

    /// Extension: `/invite <user> <room>`: let a user join a room, told
    /// so (a member; its operators when it is invite-only). IRC's
    /// `INVITE`.
    Invite {
        /// The user as typed.
        user: &'a str,
        /// The room as typed.
        room: &'a str,
    } => {
        who: Anyone, cost: Line,
        chat1: "invite" [user: OneWord("user"), room: OneWord("room")]
            => "let a user join a room you are in",
    }

    /// Extension: `/mode <room> [change]`: show a room's modes, or change
    /// them (its operators, or an admin); IRC's `MODE #room [change]`.
    RoomModes {
        /// The room as typed.
        room: &'a str,
        /// The change, `None` to show them.
        change: Option<ModeEdit<'a>>,
    } => {
        who: Anyone, cost: Line,
        chat1: "mode" [room: OneWord("room"), change: ModeText("change")]
            => "show or change a room's modes (its operators): t topic, s secret, i invited only, m moderated, k key, l limit",
    }

    /// Extension: `/closeroom <room>`: remove a room and its history (its
    /// operator, or an admin).
    CloseRoom {
        /// The name as typed.
        room: &'a str,
    } => {
        who: Anyone, cost: Line,
        chat1: "closeroom" [room: OneWord("room")]
            => "remove a room and its history (its operator)",
    }

    /// Extension: `/history <room|@user> [count] [<range>]`.
    History {
        /// Whose history.
        of: HistoryTarget<'a>,
        /// How many lines at most (`None`: the configured page).
        count: Option<u64>,
        /// Which lines.
        range: HistoryRange,
    } => {
        who: Anyone, cost: Listing,
        chat1: "history" [
            of: Target("room|@user"),
            count: Count("count"),
            range: Range("<range>")
        ] => "earlier lines of a room or of private messages; a <range> is before, after, around or since a <point>, or between two; a <point> is id=<id> or <ts>",
    }

    /// Extension: `/conversations [count] [<range>]`: the rooms you are in
    /// and the users you have private history with, each by its latest
    /// line, oldest first (IRC's `CHATHISTORY TARGETS`). The range is of
    /// those latest lines, as `/history`'s.
    Conversations {
        /// How many at most (`None`: the configured page).
        count: Option<u64>,
        /// Which: those whose latest line is in this range.
        range: HistoryRange,
    } => {
        who: Anyone, cost: Listing,
        chat1: "conversations" [
            count: Count("count"),
            range: Range("<range>")
        ] => "the rooms and users you have history with, by their latest line; <range> as for /history",
    }

    /// Extension: `/tags <on|off>`: message ids on lines (`@id=<id> ...`).
    /// chat/1's own (its codec answers it, before login too); the engine
    /// never sees it.
    Tags {
        /// On or off.
        on: bool,
    } => {
        who: Anyone, cost: Line,
        chat1: "tags" [on: OnOff("on|off")] => "message ids on lines (@id=<id> ...)",
    }

    /// `/disconnect [message]`, `/quit [message]`.
    Quit {
        /// The quit message others see (IRC's `QUIT :text`), if given.
        reason: Option<&'a str>,
    } => {
        who: Anyone, cost: Line,
        chat1: "disconnect" | "quit" [reason: OptText("message")] => "leave",
    }

    /// `/changegrant <user> <0|1>`.
    ChangeGrant {
        /// The account as typed.
        user: &'a str,
        /// The new grant.
        grant: Grant,
    } => {
        who: Admin, cost: Line,
        chat1: "changegrant" [user: OneWord("user"), grant: GrantWord("0|1")]
            => "make a user admin (0) or user (1)",
    }

    /// `/kickuser <user> [reason]`.
    Kick {
        /// The account as typed.
        user: &'a str,
        /// Why, if given.
        reason: Option<&'a str>,
    } => {
        who: Admin, cost: Line,
        chat1: "kickuser" [user: OneWord("user"), reason: OptText("reason")]
            => "disconnect a user and bar them",
    }

    /// `/unkick <user>`.
    Unkick {
        /// The account as typed.
        user: &'a str,
    } => {
        who: Admin, cost: Line,
        chat1: "unkick" [user: OneWord("user")] => "take a user off the kick list",
    }

    /// `/restart`.
    Restart => {
        who: Admin, cost: Line,
        chat1: "restart" [] => "restart the server",
    }

    /// Extension: `/roomsof <user> [page]`: the rooms a user created that
    /// still exist.
    RoomsOf {
        /// The account as typed.
        user: &'a str,
        /// The page, from 1.
        page: u64,
    } => {
        who: Admin, cost: Listing,
        chat1: "roomsof" [user: OneWord("user"), page: Page("page")]
            => "the rooms a user created, a page at a time",
    }

    /// Extension: `/closeroomsof <user>`: close every room a user created.
    CloseRoomsOf {
        /// The account as typed.
        user: &'a str,
    } => {
        who: Admin, cost: Line,
        chat1: "closeroomsof" [user: OneWord("user")]
            => "close every room a user created, with its history",
    }

    /// `/register <name> <password>`.
    Register {
        /// The name as typed.
        name: &'a str,
        /// The password (the rest of the line).
        password: &'a str,
    } => {
        who: LoggedOut, cost: Line,
        chat1: "register" [name: OneWord("name"), password: Text("password")]
            => "create an account and log in",
    }

    /// `/login <name> <password>`; once logged in, logging in again
    /// switches the session to that account (IRC's SASL
    /// reauthentication).
    Login {
        /// The name as typed.
        name: &'a str,
        /// The password (the rest of the line).
        password: &'a str,
    } => {
        who: LoggedOut, cost: Line,
        chat1: "login" [name: OneWord("name"), password: Text("password")] => "log in",
    }

    /// Chat without an account under `name` (IRC, after registration,
    /// on a server that takes guests).
    Guest {
        /// The nick as typed.
        name: &'a str,
    } => { who: LoggedOut, cost: Line, }

    /// The answer to the question the server asked last on this
    /// connection (a step of the login dialog or of `/changepassword`).
    /// Only a codec that remembers what it asked produces it.
    Answer(Answer<'a>) => { who: Anyone, cost: Line, }

    /// Join a room, creating it first when there is none (IRC's `JOIN`;
    /// a chat/1 client says `/create`, then `/join`).
    EnterRoom {
        /// The name as typed.
        room: &'a str,
        /// The room's key (`+k`), if given.
        key: Option<&'a str>,
    } => { who: Anyone, cost: Line, }

    /// The users online whose names match any of `masks` (IRC's `WHO
    /// <mask>` and `USERHOST`): masks separated by spaces or commas, `*`
    /// any run of characters and `?` any one, case folded; listed as a
    /// page of `/viewusers`.
    FindUsers {
        /// The masks.
        masks: &'a str,
    } => { who: Anyone, cost: Listing, }

    /// IRC's `OPER <name> <password>`: the connection acts with an admin's
    /// rights until it closes, once the password of `name`, an admin's
    /// account, is checked as a login's (the nick stays as it is).
    Oper {
        /// The admin's account, as typed.
        name: &'a str,
        /// Its password.
        password: &'a str,
    } => { who: Anyone, cost: Line, }

    /// IRC's user mode `+i` (or `-i`): left out of `WHO` by mask, except
    /// by those who share a room with the user besides the lobby.
    Invisible {
        /// On or off.
        on: bool,
    } => { who: Anyone, cost: Line, }

    /// A login checked before the client finished registering (IRC's SASL
    /// before `CAP END`): the client is ready, enter now.
    Ready => { who: LoggedOut, cost: Line, }
}

/// Every command, in the order `/help` lists them.
///
/// ```
/// use chat_core::command::{catalogue, Permission};
/// let admin: Vec<&str> = catalogue()
///     .iter()
///     .filter(|c| c.permission == Permission::Admin)
///     .flat_map(|c| c.forms)
///     .map(|f| f.name)
///     .collect();
/// assert_eq!(
///     admin,
///     ["changegrant", "kickuser", "unkick", "restart", "roomsof", "closeroomsof"]
/// );
/// ```
pub fn catalogue() -> &'static [&'static super::CommandSpec] {
    CATALOGUE
}

/// The typed forms, in catalogue order.
pub fn forms() -> impl Iterator<Item = &'static super::Form> {
    CATALOGUE.iter().flat_map(|c| c.forms)
}

/// The forms a typed name (without `/`, in any case) names, aliases
/// included, in catalogue order: one, or several of one variant told
/// apart by their arguments, or none.
///
/// ```
/// let forms: Vec<_> = chat_core::command::forms_named("MSG").collect();
/// assert_eq!(forms.len(), 1);
/// assert_eq!(forms[0].name, "messageto");
/// assert_eq!(chat_core::command::forms_named("changepassword").count(), 2);
/// ```
pub fn forms_named(name: &str) -> impl Iterator<Item = &'static super::Form> + '_ {
    name_index()[bucket_of(name.as_bytes())]
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, form)| *form)
}

/// Buckets of [`name_index`]: enough that most hold one name.
const BUCKETS: usize = 64;

/// A name's bucket, from its length and its first and last bytes in any
/// case (every line starting with `/` comes here, so no more).
fn bucket_of(name: &[u8]) -> usize {
    let (Some(first), Some(last)) = (name.first(), name.last()) else {
        return 0;
    };
    let (first, last) = (first.to_ascii_lowercase(), last.to_ascii_lowercase());
    (name.len() * 7 + usize::from(first) * 3 + usize::from(last)) % BUCKETS
}

/// Every name and alias with its form, by bucket, in catalogue order.
fn name_index() -> &'static [Vec<(&'static str, &'static super::Form)>; BUCKETS] {
    type Buckets = [Vec<(&'static str, &'static super::Form)>; BUCKETS];
    static INDEX: std::sync::OnceLock<Buckets> = std::sync::OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index: Buckets = std::array::from_fn(|_| Vec::new());
        for form in forms() {
            for name in std::iter::once(form.name).chain(form.aliases.iter().copied()) {
                index[bucket_of(name.as_bytes())].push((name, form));
            }
        }
        index
    })
}

/// Every name a logged-in user may type, with its `/`, aliases included,
/// each once, in catalogue order (what a client completes).
///
/// ```
/// let names = chat_core::command::typed_names();
/// assert!(names.contains(&"/msg".to_string()) && names.contains(&"/join".to_string()));
/// assert!(!names.contains(&"/login".to_string()));
/// ```
pub fn typed_names() -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for command in CATALOGUE {
        if command.permission == super::Permission::LoggedOut {
            continue;
        }
        for name in command.forms.iter().flat_map(super::Form::slash_names) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{encode_command, parse};

    /// Every form reads its example as a command of its own variant (so
    /// forms sharing a name, as `/changepassword`'s two, are told apart),
    /// which writes back as the same line; its aliases read the same
    /// command.
    #[test]
    fn every_form_reads_and_writes_its_example() {
        for command in catalogue() {
            for form in command.forms {
                let example = form.example();
                let cmd = parse(&example).unwrap_or_else(|e| panic!("{example}: {e}"));
                assert_eq!(cmd.spec().variant, command.variant, "{example}");
                let mut out = Vec::new();
                encode_command(&cmd, &mut out).unwrap();
                assert_eq!(String::from_utf8(out).unwrap(), format!("{example}\n"));
                for alias in form.aliases {
                    let aliased = example.replacen(form.name, alias, 1);
                    assert_eq!(parse(&aliased).unwrap(), cmd, "{aliased}");
                }
            }
        }
    }
}
