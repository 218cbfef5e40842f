//! The chat page follows every server line: its tables of server-line
//! kinds (`LINES` in `src/web/app.js`, with `DONE`, `CONTROLS` and `LISTS`
//! for the words of `OK`, `CTL` and `END`) name exactly what PROTOCOL.md
//! lists. A tag or word added to the protocol without a place on the page
//! fails here, and so does a handler for one the protocol no longer has.

use std::collections::BTreeSet;

const APP_JS: &str = include_str!("../src/web/app.js");
const PROTOCOL: &str = include_str!("../../PROTOCOL.md");

/// The keys of `const <name> = { ... };` in app.js: one handler a line,
/// written `  KEY(...) {` or `  "key-word"(...) {`.
fn page_table(name: &str) -> BTreeSet<String> {
    let start = format!("const {name} = {{\n");
    let at = APP_JS
        .find(&start)
        .unwrap_or_else(|| panic!("app.js has no `const {name} = {{`"));
    let body = &APP_JS[at + start.len()..];
    let end = body
        .find("\n};\n")
        .unwrap_or_else(|| panic!("`const {name}` in app.js does not end in `}};`"));
    body[..end]
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| {
            let key = l.split('(').next()?.trim_matches('"');
            let ok = !key.is_empty()
                && key
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            (ok && l.contains('(')).then(|| key.to_owned())
        })
        .collect()
}

/// Section 2 of PROTOCOL.md, "Server lines".
fn server_lines_section() -> &'static str {
    let start = PROTOCOL
        .find("## 2. Server lines")
        .expect("PROTOCOL.md has a section 2, Server lines");
    let rest = &PROTOCOL[start..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |e| e + 3);
    &rest[..end]
}

/// The first word after `` `PREFIX `` in every table row of `section` that
/// starts with one (`| `TAG` |`, `| `OK joined <room>` |`).
fn table_words(section: &str, prefix: &str) -> BTreeSet<String> {
    let cell = format!("| `{prefix}");
    section
        .lines()
        .filter_map(|l| l.strip_prefix(&cell))
        .filter_map(|rest| {
            let word: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect();
            (!word.is_empty()).then_some(word)
        })
        .collect()
}

/// The tags of the table of server lines: its rows are `| `TAG` | ...`.
fn protocol_tags() -> BTreeSet<String> {
    table_words(server_lines_section(), "")
        .into_iter()
        .filter(|t| t.chars().all(|c| c.is_ascii_uppercase()))
        .collect()
}

/// The lists `END` ends: every `` `END <list> `` the section names.
fn protocol_lists() -> BTreeSet<String> {
    server_lines_section()
        .split("`END ")
        .skip(1)
        .filter_map(|rest| {
            let word: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                .collect();
            (!word.is_empty()).then_some(word)
        })
        .collect()
}

fn same(what: &str, page: BTreeSet<String>, protocol: BTreeSet<String>) {
    assert!(!protocol.is_empty(), "found no {what} in PROTOCOL.md");
    let missing: Vec<_> = protocol.difference(&page).collect();
    let stale: Vec<_> = page.difference(&protocol).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "{what}: the page has no place for {missing:?}; it handles {stale:?}, which PROTOCOL.md does not list"
    );
}

#[test]
fn every_tag_has_a_handler() {
    let tags = protocol_tags();
    // The table is read right: the tags every client sees are in it.
    for tag in ["HELLO", "OK", "ERR", "MSG", "END", "CTL", "HIST"] {
        assert!(tags.contains(tag), "{tag} not read from PROTOCOL.md");
    }
    same("server-line tags", page_table("LINES"), tags);
}

#[test]
fn every_ok_ctl_and_end_word_has_a_handler() {
    let section = server_lines_section();
    same("OK words", page_table("DONE"), table_words(section, "OK "));
    same(
        "CTL words",
        page_table("CONTROLS"),
        table_words(section, "CTL "),
    );
    same("END lists", page_table("LISTS"), protocol_lists());
}

#[test]
fn a_tag_without_a_handler_is_caught() {
    // The comparison itself: a protocol with one more tag than the page.
    let mut tags = page_table("LINES");
    let page = tags.clone();
    tags.insert("NEWTAG".to_owned());
    let caught = std::panic::catch_unwind(|| same("tags", page, tags));
    assert!(caught.is_err());
}
