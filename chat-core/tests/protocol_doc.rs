//! `PROTOCOL.md` against the catalogues it documents: every command form
//! the server reads is a row of its command tables, with its aliases and
//! who may use it, and every row is a form; every server line the server
//! writes is a row of the tag table with its fields, every kind of `OK`,
//! `CTL` and `END` a row of theirs, every leave reason a row of its
//! table, and the other way round. So the specification cannot drift
//! from the code.

use std::collections::BTreeMap;

use chat_core::command::{catalogue, Permission};
use chat_core::reply::LeaveReason;
use chat_core::wire::{server_lines, WireWord};

const PROTOCOL: &str = include_str!("../../PROTOCOL.md");

/// The rows of every table whose header starts with `head`: its cells,
/// `\|` read as `|`.
fn rows(head: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut inside = false;
    for line in PROTOCOL.lines() {
        if line.starts_with(head) {
            inside = true;
            continue;
        }
        if !line.starts_with('|') {
            inside = false;
            continue;
        }
        if inside && !line.starts_with("|---") {
            let cells = line
                .replace("\\|", "\u{0}")
                .split('|')
                .map(|c| c.trim().replace('\u{0}', "|"))
                .collect::<Vec<_>>();
            rows.push(cells[1..cells.len() - 1].to_vec());
        }
    }
    rows
}

/// The `backticked` spans of a cell.
fn spans(cell: &str) -> Vec<&str> {
    cell.split('`').skip(1).step_by(2).collect()
}

#[test]
fn the_command_tables_are_the_catalogue() {
    let rows = rows("| command | who |");
    assert!(rows.len() > 20, "the command tables were not found");
    let mut documented: Vec<&str> = Vec::new();
    for command in catalogue() {
        for form in command.forms {
            let usage = form.usage();
            let row = rows
                .iter()
                .find(|r| spans(&r[0]).contains(&usage.as_str()))
                .unwrap_or_else(|| panic!("PROTOCOL.md has no row for `{usage}`"));
            for alias in form.aliases {
                let alias = format!("/{alias}");
                assert!(
                    spans(&row[0]).contains(&alias.as_str()),
                    "PROTOCOL.md's row of `{usage}` does not name its alias `{alias}`"
                );
            }
            let who = row[1].as_str();
            let agrees = match command.permission {
                Permission::Anyone => ["all", "members", "operator"].contains(&who),
                other => who == other.as_str(),
            };
            assert!(
                agrees,
                "PROTOCOL.md says `{usage}` is for {who}; the catalogue: {:?}",
                command.permission
            );
            documented.push(form.name);
        }
    }
    for row in &rows {
        for span in spans(&row[0]) {
            let known = catalogue()
                .iter()
                .flat_map(|c| c.forms)
                .any(|f| f.usage() == span || f.aliases.iter().any(|a| span == format!("/{a}")));
            assert!(
                known,
                "PROTOCOL.md documents `{span}`, which the server does not read"
            );
        }
    }
    assert!(!documented.is_empty());
}

/// The first cell's first span of each row of the tables headed `head`,
/// with the row's second cell.
fn first_spans(head: &str) -> BTreeMap<String, String> {
    rows(head)
        .into_iter()
        .filter_map(|r| Some((spans(&r[0]).first()?.to_string(), r[1].clone())))
        .collect()
}

/// Both sides name the same things; a clear message when not.
fn same(what: &str, doc: Vec<String>, code: Vec<String>) {
    let missing: Vec<_> = code.iter().filter(|c| !doc.contains(c)).collect();
    let stale: Vec<_> = doc.iter().filter(|d| !code.contains(d)).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "{what}: PROTOCOL.md lacks {missing:?}; it documents {stale:?}, which the server does not write"
    );
}

#[test]
fn the_tag_table_is_the_catalogue_of_lines() {
    let doc: Vec<String> = rows("| tag | fields |")
        .iter()
        .map(|r| format!("{} {}", spans(&r[0]).concat(), spans(&r[1]).concat()))
        .collect();
    assert!(doc.len() > 15, "the tag table was not found");
    let code: Vec<String> = server_lines()
        .iter()
        .map(|l| format!("{} {}", l.tag, l.fields.join(" ")))
        .collect();
    same("server lines", doc, code);
}

#[test]
fn the_ok_ctl_and_end_tables_are_their_kinds() {
    for (tag, head) in [
        ("OK", "| line | answers |"),
        ("CTL", "| line | meaning |"),
        ("END", "| line | after |"),
    ] {
        let doc: Vec<String> = first_spans(head)
            .into_keys()
            .filter(|line| line.starts_with(&format!("{tag} ")))
            .collect();
        let line = server_lines().iter().find(|l| l.tag == tag).unwrap();
        assert!(!line.kinds.is_empty(), "{tag} has kinds");
        let code: Vec<String> = line
            .kinds
            .iter()
            .map(|k| {
                let mut text = format!("{tag} {}", k.word);
                for field in k.fields {
                    text.push(' ');
                    text.push_str(field);
                }
                text
            })
            .collect();
        same(&format!("{tag} lines"), doc, code);
    }
}

#[test]
fn the_leave_reasons_are_the_words_of_leave_reason() {
    let doc: Vec<String> = first_spans("| reason | meaning |").into_keys().collect();
    let code: Vec<String> = LeaveReason::ALL
        .iter()
        .map(|r| r.word().to_owned())
        .collect();
    same("leave reasons", doc, code);
}
