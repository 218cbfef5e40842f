//! The command parser on arbitrary lines: no panic, and what it returns
//! obeys the protocol's shape.

#![no_main]

use chat_core::reply::Reply;
use chat_core::wire::{parse, render};
use chat_core::{Command, ErrorCode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The framer hands the parser UTF-8 lines without `\n`.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for line in text.split('\n') {
        check(line);
    }
});

fn check(line: &str) {
    let parsed = parse(line);
    // The command word is case-insensitive: its upper-case spelling parses
    // the same way.
    let upper = upper_command_word(line);
    let again = parse(&upper);
    match (&parsed, &again) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "{line:?} vs {upper:?}"),
        (Err(a), Err(b)) => assert_eq!(a.code, b.code, "{line:?} vs {upper:?}"),
        _ => panic!("{line:?} and {upper:?} parse differently"),
    }
    match parsed {
        Ok(cmd) => check_command(line, &cmd),
        Err(refusal) => {
            assert!(
                matches!(
                    refusal.code,
                    ErrorCode::UnknownCommand | ErrorCode::BadArgument
                ),
                "{line:?}: {:?}",
                refusal.code
            );
            // The refusal goes back as one line, whatever the input held.
            let mut out = Vec::new();
            render(
                &Reply::Err {
                    code: refusal.code.into(),
                    text: &refusal.text,
                    retry: None,
                },
                &mut out,
            );
            assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);
            assert_eq!(out.last(), Some(&b'\n'));
        }
    }
}

fn check_command(line: &str, cmd: &Command<'_>) {
    // Only `/` starts a command; `//` escapes a room message.
    if !line.starts_with('/') {
        assert_eq!(cmd, &Command::Say(line));
        return;
    }
    if let Some(rest) = line.strip_prefix("//") {
        assert_eq!(cmd, &Command::Say(&line[1..]), "{rest:?}");
        return;
    }
    match *cmd {
        Command::Say(_) => panic!("{line:?} is a command, parsed as a message"),
        Command::MessageTo { to, text } => {
            word(line, to);
            part(line, text);
            assert!(!text.is_empty());
        }
        Command::ChangeGrant { user, .. } => word(line, user),
        Command::Kick { user, reason } => {
            word(line, user);
            if let Some(r) = reason {
                trimmed(line, r);
            }
        }
        Command::Unkick { user } => word(line, user),
        Command::ChangePassword { old, new } => {
            word(line, old);
            part(line, new);
            assert!(!new.is_empty());
        }
        Command::Ping { token: Some(t) } => trimmed(line, t),
        Command::Register { name, password } | Command::Login { name, password } => {
            word(line, name);
            part(line, password);
            assert!(!password.is_empty());
        }
        _ => {}
    }
    assert_eq!(
        cmd.needs_admin(),
        matches!(
            cmd,
            Command::ChangeGrant { .. }
                | Command::Kick { .. }
                | Command::Unkick { .. }
                | Command::Restart
        )
    );
}

/// `s` is borrowed from `line` (the parser copies nothing).
fn part(line: &str, s: &str) {
    let (start, end) = (line.as_ptr() as usize, line.as_ptr() as usize + line.len());
    let p = s.as_ptr() as usize;
    assert!(
        p >= start && p + s.len() <= end,
        "{s:?} is not part of {line:?}"
    );
}

/// A single non-empty word of `line`.
fn word(line: &str, s: &str) {
    part(line, s);
    assert!(!s.is_empty() && !s.contains(' '), "{s:?} in {line:?}");
}

/// A non-empty argument without surrounding white space of `line`.
fn trimmed(line: &str, s: &str) {
    part(line, s);
    assert!(!s.is_empty() && s.trim() == s, "{s:?} in {line:?}");
}

/// `line` with the command word after `/` in ASCII upper case.
fn upper_command_word(line: &str) -> String {
    match line.strip_prefix('/') {
        Some(rest) if !rest.starts_with('/') => {
            let end = rest.find(' ').unwrap_or(rest.len());
            format!("/{}{}", rest[..end].to_ascii_uppercase(), &rest[end..])
        }
        _ => line.to_owned(),
    }
}
