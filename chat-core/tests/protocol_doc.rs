//! `PROTOCOL.md` against the catalogues it documents: every command form
//! the server reads is a row of its command tables, with its aliases and
//! who may use it, and every row is a form, so the specification cannot
//! drift from the code.

use chat_core::command::{catalogue, Permission};

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
