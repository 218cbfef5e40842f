//! The cluster bridge against a real `nats-server`: appends with message
//! ids and expected sequences, ordered consumers from a sequence, key-value
//! create / update / watch, and the broker going away and coming back.

mod broker;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use chat_net_mio::cluster::{
    Append, Bridge, BridgeConfig, BrokerState, BucketSpec, Event, KvEntry, Op, OpError,
    StreamEntry, StreamSpec, Written,
};

const WAIT: Duration = Duration::from_secs(20);

fn bridge(url: &str) -> Bridge {
    let bridge = Bridge::start(BridgeConfig::new(url, "test"), Arc::new(|| {})).unwrap();
    assert_eq!(
        next(&bridge, |e| matches!(e, Event::Broker(_))),
        Event::Broker(BrokerState::Up)
    );
    bridge
}

thread_local! {
    /// Events read while waiting for another, for a later wait: a test
    /// waiting for an append's answer must not lose a consumer's entry.
    static STASH: std::cell::RefCell<std::collections::HashMap<usize, Vec<Event>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// The next event that `want` accepts; the others are kept for later
/// waits (except connection changes, which only their own waits want).
fn next(bridge: &Bridge, want: impl Fn(&Event) -> bool) -> Event {
    // Each bridge's own events.
    let key = bridge as *const Bridge as usize;
    let stashed = STASH.with(|s| {
        let mut s = s.borrow_mut();
        let mine = s.entry(key).or_default();
        let i = mine.iter().position(&want)?;
        Some(mine.remove(i))
    });
    if let Some(event) = stashed {
        return event;
    }
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = bridge.next_event(left).expect("no event in time");
        if want(&event) {
            return event;
        }
        if !matches!(event, Event::Broker(_)) {
            STASH.with(|s| s.borrow_mut().entry(key).or_default().push(event));
        }
    }
}

/// The answer to the operation with `token`.
fn done(bridge: &Bridge, token: u64) -> Result<Written, OpError> {
    match next(
        bridge,
        |e| matches!(e, Event::Done { token: t, .. } if *t == token),
    ) {
        Event::Done { result, .. } => result,
        _ => unreachable!(),
    }
}

fn stream(bridge: &Bridge, name: &str) {
    bridge.submit(Op::EnsureStream {
        token: 0,
        spec: StreamSpec {
            name: name.into(),
            subjects: vec![format!("{name}.>")],
            max_per_subject: None,
            replicas: 1,
            duplicate_window: Duration::from_secs(120),
        },
    });
    done(bridge, 0).unwrap();
}

fn append(
    bridge: &Bridge,
    token: u64,
    subject: &str,
    id: &str,
    expect: Option<u64>,
) -> Result<Written, OpError> {
    bridge.submit(Op::Append {
        token,
        append: Append {
            subject: subject.into(),
            msg_id: id.into(),
            expect_last_subject_seq: expect,
            payload: Bytes::from(format!("line {id}")),
        },
    });
    done(bridge, token)
}

fn entry(bridge: &Bridge, consumer: u64) -> StreamEntry {
    match next(
        bridge,
        |e| matches!(e, Event::Entry { consumer: c, .. } if *c == consumer),
    ) {
        Event::Entry { entry, .. } => entry,
        _ => unreachable!(),
    }
}

#[test]
fn an_append_retried_with_its_message_id_is_stored_once() {
    let b = bridge(&broker::shared_url());
    let name = broker::unique("dedup");
    stream(&b, &name);
    let subject = format!("{name}.room.a");
    let first = append(&b, 1, &subject, "node1-1", None).unwrap();
    assert!(!first.duplicate);
    let again = append(&b, 2, &subject, "node1-1", None).unwrap();
    assert_eq!(again.seq, first.seq, "a retry names the first copy");
    assert!(again.duplicate);
    let other = append(&b, 3, &subject, "node1-2", None).unwrap();
    assert_eq!(other.seq, first.seq + 1);
}

#[test]
fn a_writer_that_has_not_seen_the_last_state_is_refused() {
    let b = bridge(&broker::shared_url());
    let name = broker::unique("expect");
    stream(&b, &name);
    let subject = format!("{name}.room.state");
    let first = append(&b, 1, &subject, "a", Some(0)).unwrap();
    // A second writer that also saw nothing comes too late.
    assert_eq!(
        append(&b, 2, &subject, "b", Some(0)),
        Err(OpError::WrongSequence)
    );
    // One that read the first write goes through.
    let second = append(&b, 3, &subject, "c", Some(first.seq)).unwrap();
    assert!(second.seq > first.seq);
    // Another subject's appends do not count against it.
    append(&b, 4, &format!("{name}.room.lines"), "d", None).unwrap();
    append(&b, 5, &subject, "e", Some(second.seq)).unwrap();
}

#[test]
fn a_consumer_delivers_in_order_from_the_sequence_asked() {
    let b = bridge(&broker::shared_url());
    let name = broker::unique("consume");
    stream(&b, &name);
    for i in 1..=5u64 {
        let subject = format!("{name}.room.{}", i % 2);
        assert_eq!(
            append(&b, i, &subject, &format!("m{i}"), None).unwrap().seq,
            i
        );
    }
    b.submit(Op::Consume {
        consumer: 7,
        stream: name.clone(),
        filter: None,
        from_seq: 3,
    });
    for seq in 3..=5 {
        let e = entry(&b, 7);
        assert_eq!(e.seq, seq);
        assert_eq!(e.msg_id.as_deref(), Some(format!("m{seq}").as_str()));
        assert_eq!(e.payload, Bytes::from(format!("line m{seq}")));
    }
    // Lines appended later follow, from another bridge too.
    let other = bridge(&broker::shared_url());
    append(&other, 6, &format!("{name}.room.x"), "m6", None).unwrap();
    let e = entry(&b, 7);
    assert_eq!(
        (e.seq, e.subject.as_str()),
        (6, format!("{name}.room.x").as_str())
    );
    // A filtered consumer sees one subject.
    b.submit(Op::Consume {
        consumer: 8,
        stream: name.clone(),
        filter: Some(format!("{name}.room.1")),
        from_seq: 1,
    });
    let seqs: Vec<u64> = (0..3).map(|_| entry(&b, 8).seq).collect();
    assert_eq!(seqs, [1, 3, 5]);
    b.submit(Op::StopConsume { consumer: 8 });
}

fn bucket(b: &Bridge, name: &str) {
    b.submit(Op::EnsureBucket {
        token: 0,
        spec: BucketSpec {
            name: name.into(),
            replicas: 1,
            max_age: None,
        },
    });
    done(b, 0).unwrap();
}

fn kv(b: &Bridge, watch: u64) -> KvEntry {
    match next(
        b,
        |e| matches!(e, Event::Kv { watch: w, .. } if *w == watch),
    ) {
        Event::Kv { entry, .. } => entry,
        _ => unreachable!(),
    }
}

#[test]
fn a_create_has_one_winner_and_an_update_needs_the_last_revision() {
    let a = bridge(&broker::shared_url());
    let b = bridge(&broker::shared_url());
    let name = broker::unique("accounts");
    bucket(&a, &name);
    let create = |br: &Bridge, token, value: &'static str| {
        br.submit(Op::KvCreate {
            token,
            bucket: name.clone(),
            key: "alice".into(),
            value: Bytes::from_static(value.as_bytes()),
        });
    };
    // Two nodes register one name at once: one wins.
    create(&a, 1, "from a");
    create(&b, 1, "from b");
    let results = [done(&a, 1), done(&b, 1)];
    let won: Vec<_> = results.iter().filter(|r| r.is_ok()).collect();
    assert_eq!(won.len(), 1, "{results:?}");
    assert!(results.contains(&Err(OpError::Exists)), "{results:?}");
    let revision = won[0].as_ref().unwrap().seq;

    a.submit(Op::KvGet {
        token: 2,
        bucket: name.clone(),
        key: "alice".into(),
    });
    let Event::Got { result, .. } = next(&a, |e| matches!(e, Event::Got { token: 2, .. })) else {
        unreachable!()
    };
    assert_eq!(result.unwrap().unwrap().revision, revision);

    let update = |br: &Bridge, token, revision| {
        br.submit(Op::KvUpdate {
            token,
            bucket: name.clone(),
            key: "alice".into(),
            value: Bytes::from_static(b"changed"),
            revision,
        });
    };
    update(&a, 3, revision);
    let newer = done(&a, 3).unwrap().seq;
    // A writer still holding the old revision is refused.
    update(&b, 4, revision);
    assert_eq!(done(&b, 4), Err(OpError::WrongSequence));
    update(&b, 5, newer);
    done(&b, 5).unwrap();
}

#[test]
fn a_watch_gives_the_current_values_then_the_changes() {
    let b = bridge(&broker::shared_url());
    let name = broker::unique("presence");
    bucket(&b, &name);
    // An empty bucket is current at once.
    b.submit(Op::KvWatch {
        watch: 1,
        bucket: name.clone(),
    });
    next(&b, |e| matches!(e, Event::KvCurrent { watch: 1 }));
    for (token, key) in [(1, "n1"), (2, "n2")] {
        b.submit(Op::KvPut {
            token,
            bucket: name.clone(),
            key: key.into(),
            value: Bytes::from_static(b"up"),
        });
        done(&b, token).unwrap();
        assert_eq!(kv(&b, 1).key, key);
    }
    // A second watch sees both, then is current.
    b.submit(Op::KvWatch {
        watch: 2,
        bucket: name.clone(),
    });
    let mut keys = vec![kv(&b, 2).key, kv(&b, 2).key];
    keys.sort();
    assert_eq!(keys, ["n1", "n2"]);
    next(&b, |e| matches!(e, Event::KvCurrent { watch: 2 }));
    b.submit(Op::KvDelete {
        token: 3,
        bucket: name.clone(),
        key: "n1".into(),
        revision: None,
    });
    done(&b, 3).unwrap();
    let gone = kv(&b, 2);
    assert_eq!((gone.key.as_str(), gone.value), ("n1", None));
}

#[test]
fn a_consumer_resumes_after_the_broker_comes_back_without_gap_or_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = broker::NatsServer::start(broker::free_port(), dir.path());
    let b = bridge(&server.url());
    let name = broker::unique("resume");
    stream(&b, &name);
    let subject = format!("{name}.room.a");
    append(&b, 1, &subject, "1", None).unwrap();
    b.submit(Op::Consume {
        consumer: 1,
        stream: name.clone(),
        filter: None,
        from_seq: 1,
    });
    assert_eq!(entry(&b, 1).seq, 1);

    server.kill();
    next(&b, |e| *e == Event::Broker(BrokerState::Down));
    // While it is away an append is not acknowledged.
    assert!(append(&b, 2, &subject, "2", None).is_err());
    server.restart();
    next(&b, |e| *e == Event::Broker(BrokerState::Up));

    // The unacknowledged append, retried with its id, is stored once.
    let deadline = Instant::now() + WAIT;
    let two = loop {
        match append(&b, 3, &subject, "2", None) {
            Ok(w) => break w,
            Err(e) => assert!(Instant::now() < deadline, "append after restart: {e}"),
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let three = append(&b, 4, &subject, "3", None).unwrap();
    assert_eq!(three.seq, two.seq + 1);
    // The consumer goes on from where it was: every later line once.
    let mut seen = Vec::new();
    while seen.last() != Some(&three.seq) {
        seen.push(entry(&b, 1).seq);
    }
    assert_eq!(seen, (2..=three.seq).collect::<Vec<_>>());
}
