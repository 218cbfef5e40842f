//! Embeds the chat server in another program: starts it on a thread,
//! observes its events, makes an announcement, and shuts it down.
//!
//! `cargo run -p examples --example embed-server`

use chat_client::Client;
use chat_core::password::HashParams;
use chat_core::ChatEvent;
use chat_net_mio::store::KeySource;
use chat_net_mio::{Server, ServerConfig};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = std::env::temp_dir().join(format!("chat-embed-{}", std::process::id()));
    let server = Server::builder()
        .bind("127.0.0.1:0".parse()?)
        .data_dir(&data)
        .config(ServerConfig {
            server_name: "embedded".into(),
            // Cheap hashing keeps the example quick; never use it for real.
            hash: HashParams::cheap(),
            ..ServerConfig::default()
        })
        .store_key(KeySource::Raw([42; 32]))
        .build()?;
    let addr = server.local_addr();
    let handle = server.handle();
    let events = handle.subscribe();
    let running = std::thread::spawn(move || server.run());
    println!("server on {addr}");

    // An audit log on its own thread.
    let audit = std::thread::spawn(move || {
        for event in events {
            match event {
                ChatEvent::Joined { room, user, .. } => println!("[audit] {user} joined #{room}"),
                ChatEvent::Left {
                    room, user, reason, ..
                } => {
                    println!("[audit] {user} left #{room} ({reason:?})")
                }
                ChatEvent::Message {
                    room, from, text, ..
                } => println!("[audit] #{room} {from}: {text}"),
                ChatEvent::Private { from, to, .. } => println!("[audit] {from} -> {to} (private)"),
                ChatEvent::Announcement { text, .. } => println!("[audit] announced: {text}"),
                _ => {}
            }
        }
    });

    let mut alice = Client::register(addr, "alice", "correct-horse")?;
    let mut bob = Client::register(addr, "bob", "battery-staple")?;
    alice.send("hi bob")?;
    println!("bob got: {}", bob.wait_for("MSG ")?.0);
    handle.announce("the server stops in a moment");
    println!("alice got: {}", alice.wait_for("INFO ")?.0);

    handle.shutdown();
    println!("alice got: {}", alice.wait_for("CTL ")?.0);
    drop((alice, bob));
    running.join().expect("server thread")?;
    audit.join().expect("audit thread");
    let _ = std::fs::remove_dir_all(&data);
    Ok(())
}
