//! Message ids and history paging over real sockets: a burst of lines
//! said in one millisecond pages back to its start with nothing lost or
//! repeated, and keeps its ids across a restart on the same data folder.

mod support;

use chat_client::{Client, Event};
use chat_core::reply::{Listing, Reply};
use chat_core::{HistoryTarget, MsgId, LOBBY};
use chat_net_mio::ServerConfig;
use support::TestServer;

/// The tests' config without flood control: one write carries a burst.
fn burst_config() -> ServerConfig {
    let mut config = support::config(&["root"]);
    config.limits.messages_per_second = 0;
    config
}

/// The next line that `keep` picks out, with its id; the others are
/// passed over.
fn next_where<T>(
    c: &mut Client,
    mut keep: impl FnMut(&Reply<'_>) -> Option<T>,
) -> (Option<MsgId>, T) {
    loop {
        match c.next_event().unwrap() {
            Some(Event::Line(line)) => {
                let typed = line.reply().unwrap();
                if let Some(t) = keep(&typed) {
                    return (line.id(), t);
                }
            }
            Some(_) => {}
            None => panic!("the server closed the connection"),
        }
    }
}

/// A line of a history page.
enum Item {
    Line(String),
    /// `END history`: whether older lines remain.
    End(bool),
}

/// A page of history: its lines (ids and texts), and whether `END
/// history` says older ones remain.
fn read_page(c: &mut Client) -> (Vec<(MsgId, String)>, bool) {
    let mut lines = Vec::new();
    loop {
        let (id, item) = next_where(c, |l| match l {
            Reply::Hist { text, .. } => Some(Item::Line(text.to_string())),
            Reply::End(Listing::History { next, .. }) => {
                assert!(next.is_none_or(|n| n.id.is_some()), "END gives an id");
                Some(Item::End(next.is_some()))
            }
            _ => None,
        });
        match item {
            Item::Line(text) => lines.push((id.expect("a HIST line with its id"), text)),
            Item::End(more) => return (lines, more),
        }
    }
}

/// Pages a room's history back to its start, by ids, from the last lines.
fn page_back(c: &mut Client, room: &str) -> Vec<(MsgId, String)> {
    let mut all: Vec<(MsgId, String)> = Vec::new();
    loop {
        c.older_lines(HistoryTarget::Room(room), Some(40)).unwrap();
        let (page, more) = read_page(c);
        all.splice(0..0, page);
        if !more {
            return all;
        }
    }
}

#[test]
fn a_burst_pages_back_without_loss_across_a_restart() {
    let s = TestServer::start(burst_config());
    let mut alice = s.register("alice");
    alice.request_ids().unwrap();
    alice.send("/create den").unwrap();
    next_where(&mut alice, |l| {
        matches!(l, Reply::RoomJoin { room, .. } if *room != LOBBY).then_some(())
    });
    // 120 lines in one write: the engine reads them at one instant.
    let burst: String = (1..=120).map(|i| format!("/say den b{i}\n")).collect();
    alice.send_raw(burst.as_bytes()).unwrap();
    let mut live = Vec::new();
    for _ in 0..120 {
        let (id, (at, text)) = next_where(&mut alice, |l| match l {
            Reply::RoomMsg { room, at, text, .. } if *room != LOBBY => {
                Some((*at, text.to_string()))
            }
            _ => None,
        });
        live.push((id.expect("an id"), at, text));
    }
    assert!(live.windows(2).all(|w| w[0].0 < w[1].0), "ids increase");
    let instants: std::collections::HashSet<_> = live.iter().map(|l| l.1).collect();
    assert!(
        instants.len() < 120,
        "lines shared milliseconds: {instants:?}"
    );

    let mut bob = s.register("bob");
    bob.request_ids().unwrap();
    bob.send("/join den").unwrap();
    let (joined, more) = read_page(&mut bob);
    assert_eq!((joined.len(), more), (50, true));
    let mut all = page_back(&mut bob, "den");
    all.extend(joined);
    let want: Vec<(MsgId, String)> = live.iter().map(|(id, _, t)| (*id, t.clone())).collect();
    assert_eq!(
        all, want,
        "the join's page and every older one, each line once"
    );

    let dir = s.stop();
    let s = TestServer::start_in(dir, burst_config());
    let mut alice = s.login("alice").unwrap();
    alice.request_ids().unwrap();
    alice.send("/join den").unwrap();
    read_page(&mut alice);
    let burst: String = (1..=30).map(|i| format!("/say den a{i}\n")).collect();
    alice.send_raw(burst.as_bytes()).unwrap();
    let mut after = Vec::new();
    for _ in 0..30 {
        let (id, text) = next_where(&mut alice, |l| match l {
            Reply::RoomMsg { room, text, .. } if *room != LOBBY => Some(text.to_string()),
            _ => None,
        });
        after.push((id.expect("an id"), text));
    }
    let mut fresh = s.register("erin");
    fresh.request_ids().unwrap();
    fresh.send("/join den").unwrap();
    let (joined, _) = read_page(&mut fresh);
    let mut all = page_back(&mut fresh, "den");
    assert!(all.is_empty() || all.last().unwrap().0 < joined[0].0);
    all.extend(joined);
    let mut want = want;
    want.extend(after);
    assert_eq!(all, want, "ids survive the restart; paging crosses it");
}
