//! Property tests: both directions of chat/1 read back what they write.
//! Every single server line a client may read, words of newer servers
//! included: `parse_reply(render(x)) == x`; the server's `render` of each
//! `Reply` reads back as that reply, as far as chat/1 carries it. Every
//! client command: `wire::parse(encode_command(c)) == c`.

use chat_core::reply::{
    AskField, AskStep, Control, Done, HistoryMark, HistoryOf, Identity, LeaveReason, Listing,
    MemberStatus, Page, Presence, Profile, Reply, WhoIs, Word,
};
use chat_core::wire::{
    encode_command, parse, parse_reply, render, render_tagged, split_tags, Tags, WireWord,
};
use chat_core::{
    client_tags, ClientTags, Command, ErrorCode, Grant, HistoryPoint, HistoryRange, HistoryTarget,
    MessageKind, Millis, MsgId, TopicChange, LOBBY,
};
use proptest::prelude::*;

/// Everything a generated line is built from.
#[derive(Debug, Clone)]
struct Parts {
    sel: usize,
    idx: usize,
    known: bool,
    w1: String,
    w2: String,
    text: String,
    nonempty: String,
    unknown: String,
    n1: u64,
    n2: u64,
    admin: bool,
    some: bool,
}

fn parts() -> impl Strategy<Value = Parts> {
    (
        (0usize..1024, any::<usize>(), any::<bool>()),
        (
            "[A-Za-z][A-Za-z0-9_.-]{0,8}",
            "[^ \n\r]{1,8}",
            "[^\n\r]{0,20}",
            "[^\n\r]{1,20}",
            "x-[a-z]{1,6}",
        ),
        (any::<u64>(), any::<u64>(), any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |((sel, idx, known), (w1, w2, text, nonempty, unknown), (n1, n2, admin, some))| Parts {
                sel,
                idx,
                known,
                w1,
                w2,
                text,
                nonempty,
                unknown,
                n1,
                n2,
                admin,
                some,
            },
        )
}

fn pick<T: WireWord>(i: usize) -> T {
    T::ALL[i % T::ALL.len()]
}

fn word<T: WireWord>(p: &Parts) -> Word<'_, T> {
    if p.known {
        Word::Known(pick(p.idx))
    } else {
        Word::Unknown(&p.unknown)
    }
}

fn grant(p: &Parts) -> Grant {
    if p.admin {
        Grant::Admin
    } else {
        Grant::User
    }
}

fn reason(p: &Parts) -> Option<&str> {
    p.some.then_some(p.nonempty.as_str())
}

fn done(p: &Parts) -> Done<'_> {
    let u = p.w1.as_str();
    match p.idx % 14 {
        13 => Done::Tags(p.some),
        7 => Done::Created(u),
        8 => Done::Joined(u),
        9 => Done::Parted(u),
        10 => Done::TopicSet(u),
        11 => Done::Removed(u, &p.w2),
        12 => Done::Closed(u),
        0 => Done::Registered(u),
        1 => Done::Login(u),
        2 => Done::Sent { to: u, id: None },
        3 => Done::Grant(u, grant(p)),
        4 => Done::Kicked(u),
        5 => Done::Unkicked(u),
        _ => Done::PasswordChanged,
    }
}

fn listing(p: &Parts) -> Listing<'_> {
    let page = Page {
        shown: p.n1,
        total: p.n2,
        next: p.some.then_some(p.n1 ^ p.n2),
    };
    match p.idx % 8 {
        6 => Listing::RoomsPage(page),
        7 => Listing::History {
            shown: p.n1,
            // What a line holds: an id or a time.
            next: p.some.then_some(HistoryMark {
                id: p.known.then_some(MsgId(p.n2)),
                at: (!p.known).then_some(Millis(p.n2)),
            }),
        },
        0 => Listing::Users,
        1 => Listing::Kicked,
        2 => Listing::Help,
        3 => Listing::UsersPage(page),
        4 => Listing::KickedPage(page),
        _ => Listing::Held {
            replayed: p.n1,
            dropped: p.n2,
        },
    }
}

fn control(p: &Parts) -> Control<'_> {
    match p.idx % 9 {
        8 => Control::Removed {
            room: &p.w1,
            by: &p.w2,
            reason: reason(p),
        },
        7 => Control::Takeover,
        0 => Control::Busy,
        1 => Control::Free,
        2 => Control::Grant(grant(p)),
        3 => Control::Kick {
            by: &p.w1,
            reason: reason(p),
        },
        4 => Control::Disconnect,
        5 => Control::Shutdown,
        _ => Control::Restart,
    }
}

fn history_of(p: &Parts) -> HistoryOf<'_> {
    if p.admin {
        HistoryOf::Room(&p.w1)
    } else {
        HistoryOf::Private(&p.w1)
    }
}

/// Every kind of single server line a client may read, known words and
/// a newer server's alike (as a client reads them: no ids without tags).
fn server_line(p: &Parts) -> Reply<'_> {
    let at = Millis(p.n1);
    let (w1, w2, text) = (p.w1.as_str(), p.w2.as_str(), p.text.as_str());
    let unknown = p.unknown.as_str();
    match p.sel % 23 {
        22 => whois(p),
        16 => Reply::RoomMsg {
            room: w1,
            id: None,
            at,
            from: w2,
            who: Identity::default(),
            kind: MessageKind::Said,
            text,
            tags: ClientTags::NONE,
        },
        17 => Reply::RoomJoin {
            room: w1,
            at,
            user: w2,
            who: Identity::default(),
        },
        18 => Reply::RoomLeave {
            room: w1,
            at,
            user: w2,
            who: Identity::default(),
            reason: word::<LeaveReason>(p),
            by: None,
            text: None,
        },
        19 => Reply::Topic {
            room: w1,
            at,
            by: w2,
            text: reason(p),
        },
        20 => Reply::Room {
            name: w1,
            members: p.n2,
            // An operator is a user name (never `-`, which the line uses for none).
            operator: p.admin.then_some(w1),
            topic: reason(p),
        },
        21 => Reply::Hist {
            of: history_of(p),
            id: None,
            at,
            from: w2,
            kind: MessageKind::Said,
            text,
        },
        0 => Reply::Hello { server: text },
        1 => Reply::Ask {
            step: word::<AskField>(p),
            prompt: text,
        },
        2 => Reply::Ok(if p.known {
            done(p)
        } else {
            Done::Other(unknown)
        }),
        3 => Reply::Welcome {
            user: w1,
            grant: grant(p),
        },
        4 => Reply::Err {
            code: word::<ErrorCode>(p),
            text,
            retry: p.some.then_some(p.n2),
        },
        5 => Reply::RoomMsg {
            room: LOBBY,
            id: None,
            at,
            from: w1,
            who: Identity::default(),
            kind: MessageKind::Said,
            text,
            tags: ClientTags::NONE,
        },
        6 => Reply::Pm {
            id: None,
            at,
            from: w1,
            who: Identity::default(),
            to: None,
            kind: MessageKind::Said,
            text,
            tags: ClientTags::NONE,
        },
        7 => Reply::RoomJoin {
            room: LOBBY,
            at,
            user: w1,
            who: Identity::default(),
        },
        8 => Reply::RoomLeave {
            room: LOBBY,
            at,
            user: w1,
            who: Identity::default(),
            reason: word::<LeaveReason>(p),
            by: None,
            text: None,
        },
        9 => Reply::Info(text),
        10 => Reply::User {
            name: w1,
            grant: grant(p),
            presence: word::<Presence>(p),
            profile: Profile::default(),
        },
        11 => Reply::Kicked {
            name: w1,
            by: w2,
            at,
            reason: reason(p),
        },
        12 => Reply::End(if p.known {
            listing(p)
        } else {
            Listing::Other(unknown)
        }),
        13 => Reply::Ctl(if p.known {
            control(p)
        } else {
            Control::Other(unknown)
        }),
        14 => Reply::Pong(reason(p)),
        _ => Reply::Unknown(&unknown[2..]),
    }
}

/// A `WHOIS` as chat/1 carries it: no user name or real name, no
/// standing in the lobby.
fn whois(p: &Parts) -> Reply<'_> {
    let room = p.w1.as_str();
    let status = MemberStatus {
        operator: p.admin,
        voice: p.known,
    };
    // Not known for a user of another node of a cluster.
    let idle = (p.idx % 2 == 0).then_some(p.n2);
    Reply::WhoIs(Box::new(WhoIs {
        name: &p.w2,
        grant: grant(p),
        presence: pick(p.idx),
        profile: Profile {
            identity: Identity {
                account: p.known,
                ..Identity::default()
            },
            away: reason(p),
            status: MemberStatus::default(),
            idle_secs: idle,
        },
        rooms: match p.idx % 3 {
            0 => Vec::new(),
            1 => vec![(room, status)],
            _ => vec![(room, status), (room, MemberStatus::default())],
        },
        since: Millis(p.n1),
        idle_secs: idle,
    }))
}

/// Said, a notice or an action (what a message line may be that
/// carries text).
fn kind(p: &Parts) -> MessageKind {
    [MessageKind::Said, MessageKind::Notice, MessageKind::Action][p.idx % 3]
}

/// Every single-line reply the server renders.
fn reply(p: &Parts) -> Reply<'_> {
    let at = Millis(p.n1);
    let (w1, w2, text) = (p.w1.as_str(), p.w2.as_str(), p.text.as_str());
    let steps = [
        AskStep::Account,
        AskStep::RegisterName,
        AskStep::RegisterPassword,
        AskStep::RegisterPasswordAgain,
        AskStep::LoginName,
        AskStep::LoginPassword,
    ];
    match p.sel % 22 {
        21 => whois(p),
        15 => Reply::RoomMsg {
            room: w1,
            id: p.some.then_some(MsgId(p.n2)),
            at,
            from: w2,
            who: Identity::default(),
            kind: kind(p),
            text,
            tags: ClientTags::NONE,
        },
        16 => Reply::RoomJoin {
            room: w1,
            at,
            user: w2,
            who: Identity::default(),
        },
        17 => Reply::RoomLeave {
            room: w1,
            at,
            user: w2,
            who: Identity::default(),
            reason: Word::Known(pick(p.idx)),
            by: None,
            text: None,
        },
        18 => Reply::Topic {
            room: w1,
            at,
            by: w2,
            text: reason(p),
        },
        19 => Reply::Room {
            name: w1,
            members: p.n2,
            // An operator is a user name (never `-`, which the line uses for none).
            operator: p.admin.then_some(w1),
            topic: reason(p),
        },
        20 => Reply::Hist {
            of: history_of(p),
            id: p.some.then_some(MsgId(p.n2)),
            at,
            from: w2,
            kind: kind(p),
            text,
        },
        0 => Reply::Hello { server: text },
        1 => Reply::ask(steps[p.idx % steps.len()]),
        2 => Reply::Ok(done(p)),
        3 => Reply::Welcome {
            user: w1,
            grant: grant(p),
        },
        4 => Reply::Err {
            code: Word::Known(pick(p.idx)),
            text,
            retry: None,
        },
        5 => Reply::RoomMsg {
            room: LOBBY,
            id: p.some.then_some(MsgId(p.n2)),
            at,
            from: w1,
            who: Identity::default(),
            kind: kind(p),
            text,
            tags: ClientTags::NONE,
        },
        6 => Reply::Pm {
            id: p.some.then_some(MsgId(p.n2)),
            at,
            from: w1,
            who: Identity::default(),
            to: None,
            kind: kind(p),
            text,
            tags: ClientTags::NONE,
        },
        7 => Reply::RoomJoin {
            room: LOBBY,
            at,
            user: w1,
            who: Identity::default(),
        },
        8 => Reply::RoomLeave {
            room: LOBBY,
            at,
            user: w1,
            who: Identity::default(),
            reason: Word::Known(pick(p.idx)),
            by: None,
            text: None,
        },
        9 => Reply::Info(text),
        10 => Reply::User {
            name: w1,
            grant: grant(p),
            presence: Word::Known(pick(p.idx)),
            profile: Profile::default(),
        },
        11 => Reply::Kicked {
            name: w1,
            by: w2,
            at,
            reason: reason(p),
        },
        12 => Reply::End(match listing(p) {
            // What the engine sends: both.
            Listing::History { shown, next } if p.admin => Listing::History {
                shown,
                next: next.map(|_| HistoryMark {
                    id: Some(MsgId(p.n2)),
                    at: Some(Millis(p.n1)),
                }),
            },
            other => other,
        }),
        13 => Reply::Ctl(control(p)),
        _ => Reply::Pong(reason(p)),
    }
}

/// Every client command.
fn command(p: &Parts) -> Command<'_> {
    let (w1, w2, nonempty) = (p.w1.as_str(), p.w2.as_str(), p.nonempty.as_str());
    // A trailing field the server trims: no spaces at its ends.
    let trimmed = p.some.then_some(p.w1.as_str());
    match p.sel % 27 {
        17 => Command::CreateRoom { room: w1 },
        18 => Command::JoinRoom {
            room: w1,
            key: trimmed,
        },
        19 => Command::PartRoom {
            room: w1,
            reason: trimmed,
        },
        20 => Command::ListRooms {
            page: 1 + p.n1 % 1000,
        },
        21 => Command::SayIn {
            room: w1,
            text: nonempty,
            kind: MessageKind::Said,
            tags: ClientTags::NONE,
        },
        22 => Command::Topic {
            room: w1,
            change: match p.idx % 3 {
                0 => TopicChange::Show,
                1 => TopicChange::Set(w1),
                _ => TopicChange::Clear,
            },
        },
        23 => Command::RemoveFromRoom {
            room: w1,
            user: w2,
            reason: trimmed,
        },
        24 => Command::CloseRoom { room: w1 },
        25 => Command::History {
            of: if p.admin {
                HistoryTarget::Room(w1)
            } else {
                HistoryTarget::Private(w2)
            },
            count: p.known.then_some(1 + p.n1 % 1000),
            range: history_range(p),
        },
        16 => Command::ChangePasswordDialog,
        0 => Command::Say(&p.text),
        1 => Command::Help,
        2 => Command::ViewUsers {
            page: 1 + p.n2 % 1000,
        },
        3 => Command::MessageTo {
            to: w2,
            text: nonempty,
            kind: MessageKind::Said,
            tags: ClientTags::NONE,
        },
        4 => Command::Busy { text: trimmed },
        5 => Command::Free,
        6 => Command::ChangeGrant {
            user: w1,
            grant: grant(p),
        },
        7 => Command::Kick {
            user: w2,
            reason: trimmed,
        },
        8 => Command::Unkick { user: w2 },
        9 => Command::ViewKicked {
            page: 1 + p.n1 % 1000,
        },
        10 => Command::ChangePassword {
            old: w2,
            new: nonempty,
        },
        11 => Command::Restart,
        12 => Command::Quit { reason: trimmed },
        13 => Command::Ping { token: trimmed },
        14 => Command::Register {
            name: w2,
            password: nonempty,
        },
        _ => Command::Login {
            name: w2,
            password: nonempty,
        },
    }
}

/// A history point and range of every form.
fn history_range(p: &Parts) -> HistoryRange {
    let point = |n: u64, id: bool| {
        if id {
            HistoryPoint::Id(MsgId(n))
        } else {
            HistoryPoint::Time(Millis(n))
        }
    };
    let (a, b) = (point(p.n1, p.some), point(p.n2, p.admin));
    match p.idx % 6 {
        0 => HistoryRange::Latest(None),
        1 => HistoryRange::Latest(Some(a)),
        2 => HistoryRange::Before(a),
        3 => HistoryRange::After(a),
        4 => HistoryRange::Around(a),
        _ => HistoryRange::Between(a, b),
    }
}

/// What a client reads of a line the server renders: ids and kinds only
/// with tags on; `END history` continues from an id with tags on, from a
/// time without.
fn as_read(mut reply: Reply<'_>, tags: bool) -> Reply<'_> {
    if let Reply::End(Listing::History { shown, next }) = reply {
        let next = next
            .map(|m| HistoryMark {
                id: m.id.filter(|_| tags),
                at: m.at.filter(|_| !tags || m.id.is_none()),
            })
            .filter(|m| m.id.is_some() || m.at.is_some());
        return Reply::End(Listing::History { shown, next });
    }
    match &mut reply {
        Reply::RoomMsg { id, .. }
        | Reply::Pm { id, .. }
        | Reply::Hist { id, .. }
        | Reply::Ok(Done::Sent { id, .. })
            if !tags =>
        {
            *id = None
        }
        _ => {}
    }
    if !tags {
        reply.set_kind(MessageKind::Said);
    }
    reply
}

/// The id a rendered reply carries as its tag.
fn tagged_id(reply: &Reply<'_>) -> Option<MsgId> {
    match reply {
        Reply::RoomMsg { id, .. }
        | Reply::Pm { id, .. }
        | Reply::Hist { id, .. }
        | Reply::Ok(Done::Sent { id, .. }) => *id,
        _ => None,
    }
}

fn strip(out: &[u8]) -> &str {
    let text = std::str::from_utf8(out).unwrap();
    let line = text.strip_suffix('\n').expect("ends in a newline");
    assert!(!line.contains('\n'), "one line: {text:?}");
    line
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn every_server_line_reads_back(p in parts()) {
        let line = server_line(&p);
        let mut out = Vec::new();
        render(&line, &mut out);
        prop_assert_eq!(parse_reply(strip(&out)).unwrap(), as_read(line, false));
    }

    #[test]
    fn every_rendered_reply_reads_back(p in parts()) {
        let reply = reply(&p);
        let mut out = Vec::new();
        render(&reply, &mut out);
        prop_assert_eq!(split_tags(strip(&out)).0, Tags::default());
        prop_assert_eq!(parse_reply(strip(&out)).unwrap(), as_read(reply, false));
    }

    #[test]
    fn every_tagged_reply_reads_back(p in parts()) {
        let reply = reply(&p);
        let mut out = Vec::new();
        render_tagged(&reply, &mut out);
        let (tags, _) = split_tags(strip(&out));
        prop_assert_eq!(tags.id(), tagged_id(&reply));
        prop_assert_eq!(parse_reply(strip(&out)).unwrap(), as_read(reply, true));
    }

    /// Client tags read back after the id with tags on, tags alone as
    /// `TAGMSG`; without tags a message reads as ever and tags alone are
    /// nothing.
    #[test]
    fn client_tags_read_back_with_tags_on(p in parts()) {
        let raw = client_tags::canonical(&format!("+a={};+x.y/b-c={}", p.text, p.w2));
        let tags = ClientTags::new(&raw).unwrap();
        let (kind, text) = if p.some {
            (MessageKind::TagsOnly, "")
        } else {
            (kind(&p), p.text.as_str())
        };
        let (id, at, from) = (Some(MsgId(p.n2)), Millis(p.n1), p.w1.as_str());
        let who = Identity::default();
        let reply = match p.sel % 3 {
            0 => Reply::RoomMsg { room: LOBBY, id, at, from, who, kind, text, tags },
            1 => Reply::RoomMsg { room: "rust", id, at, from, who, kind, text, tags },
            _ => Reply::Pm { id, at, from, who, to: None, kind, text, tags },
        };
        let mut out = Vec::new();
        render_tagged(&reply, &mut out);
        let (read, _) = split_tags(strip(&out));
        prop_assert_eq!(read.client(), tags);
        prop_assert_eq!(parse_reply(strip(&out)).unwrap(), reply.clone());
        let mut out = Vec::new();
        render(&reply, &mut out);
        if p.some {
            prop_assert!(out.is_empty());
        } else {
            let mut plain = as_read(reply, false);
            plain.set_client_tags(ClientTags::NONE);
            prop_assert_eq!(parse_reply(strip(&out)).unwrap(), plain);
        }
    }

    #[test]
    fn every_command_reads_back(p in parts()) {
        let cmd = command(&p);
        let mut out = Vec::new();
        encode_command(&cmd, &mut out).unwrap();
        prop_assert_eq!(parse(strip(&out)).unwrap(), cmd);
    }
}

#[test]
fn help_is_info_lines_then_end_help() {
    for admin in [false, true] {
        let mut out = Vec::new();
        render(&Reply::Help { admin }, &mut out);
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<_> = text.lines().map(|l| parse_reply(l).unwrap()).collect();
        let (last, rows) = lines.split_last().unwrap();
        assert_eq!(*last, Reply::End(Listing::Help));
        assert!(rows.iter().all(|l| matches!(l, Reply::Info(_))));
    }
}

#[test]
fn every_ask_step_is_a_known_field() {
    for step in [
        AskStep::Account,
        AskStep::RegisterName,
        AskStep::RegisterPassword,
        AskStep::RegisterPasswordAgain,
        AskStep::LoginName,
        AskStep::LoginPassword,
    ] {
        let mut out = Vec::new();
        render(&Reply::ask(step), &mut out);
        match parse_reply(strip(&out)).unwrap() {
            Reply::Ask {
                step: Word::Known(field),
                prompt,
            } => assert_eq!((field, prompt), (step.field(), step.prompt())),
            other => panic!("{step:?} gave {other:?}"),
        }
    }
}
