//! A node's online list as the presence bucket holds it: one value
//! (`list.<node>`) while it fits in the configured size, parts
//! (`part.<node>.<i>`) beyond, so no value passes the broker's largest
//! message. Nodes of an earlier build write it without profiles (IRC's
//! user and real names, login times): such a list is read as having none.
//! Profiles come last, so those nodes read a list with them and ignore
//! the rest.

use std::collections::HashMap;

use chat_core::cluster::{NodeId, NodePresence, PresentProfile, PresentUser};
use chat_core::Millis;
use serde::{Deserialize, Serialize};

/// The list as nodes of an earlier build write it.
#[derive(Deserialize)]
struct WithoutProfiles {
    node: NodeId,
    at: Millis,
    users: Vec<PresentUser>,
}

/// Reads an online list (opened: no longer sealed) in either form.
pub(super) fn read(plain: &[u8]) -> Option<NodePresence> {
    if let Ok(presence) = postcard::from_bytes::<NodePresence>(plain) {
        return Some(presence);
    }
    let old: WithoutProfiles = postcard::from_bytes(plain).ok()?;
    Some(NodePresence {
        node: old.node,
        at: old.at,
        users: old.users,
        profiles: Vec::new(),
    })
}

/// One part of a node's online list. A list whose value would pass
/// [`Layout::presence_part_bytes`](super::link::Layout) is written as
/// `parts` values (`part.<node>.<index>`), each user in part
/// `hash(name) % parts`: no value then passes the broker's largest
/// message (NATS: 1 MiB by default), and a change rewrites only the parts
/// it touched. The list's own fields come first, so a node of an earlier
/// build reads a part as a list (of that part's users).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Part {
    node: NodeId,
    at: Millis,
    users: Vec<PresentUser>,
    profiles: Vec<PresentProfile>,
    /// Which part, `0..parts`.
    index: u32,
    /// How many parts the list is split into.
    parts: u32,
}

/// What a node writes to the presence bucket for its list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Write {
    /// A value (not yet sealed) at a key.
    Put {
        /// The key.
        key: String,
        /// The value, serialized.
        plain: Vec<u8>,
    },
    /// A key no longer used.
    Delete {
        /// The key.
        key: String,
    },
}

/// The key of a node's whole list.
fn list_key(node: &NodeId) -> String {
    format!("list.{}", node.name)
}

/// The key of part `index` of a node's list.
fn part_key(node: &NodeId, index: usize) -> String {
    format!("part.{}.{index}", node.name)
}

/// The node name a part's key names (`part.<node>.<index>`).
pub(super) fn part_key_node(key: &str) -> Option<(&str, u32)> {
    let rest = key.strip_prefix("part.")?;
    let (node, index) = rest.rsplit_once('.')?;
    Some((node, index.parse().ok()?))
}

/// A user's part among `parts`: the same on every node and in every
/// version.
fn part_of(user: &PresentUser, parts: u32) -> usize {
    (super::link::fnv(user.name.key().as_str().as_bytes()) % u64::from(parts.max(1))) as usize
}

/// The users and profiles of each of `parts` parts.
fn split(list: &NodePresence, parts: u32) -> Vec<(Vec<PresentUser>, Vec<PresentProfile>)> {
    let mut out = vec![(Vec::new(), Vec::new()); parts as usize];
    for (i, user) in list.users.iter().enumerate() {
        let (users, profiles) = &mut out[part_of(user, parts)];
        users.push(user.clone());
        if let Some(profile) = list.profiles.get(i) {
            profiles.push(profile.clone());
        }
    }
    out
}

/// What a part's value adds to its users and profiles (node, time,
/// index): room to spare.
const PART_OVERHEAD: usize = 128;

/// Turns a node's online lists into writes: one value while the list
/// fits in `max_bytes`, parts beyond, and then only the parts that
/// changed.
#[derive(Debug)]
pub(super) struct Publisher {
    /// The content (users and profiles, serialized) of each part last
    /// written; empty while the list is written whole.
    written: Vec<Vec<u8>>,
    /// Whether a whole list may be under `list.<node>` (at start: it may,
    /// from an earlier run).
    whole: bool,
}

impl Default for Publisher {
    fn default() -> Self {
        Publisher {
            written: Vec::new(),
            whole: true,
        }
    }
}

impl Publisher {
    /// The writes that publish `list`, no value over `max_bytes`.
    pub(super) fn publish(&mut self, list: &NodePresence, max_bytes: usize) -> Vec<Write> {
        let plain = postcard::to_stdvec(list).expect("online lists serialize");
        let mut writes = Vec::new();
        if plain.len() <= max_bytes {
            writes.push(Write::Put {
                key: list_key(&list.node),
                plain,
            });
            for i in 0..self.written.len() {
                writes.push(Write::Delete {
                    key: part_key(&list.node, i),
                });
            }
            self.written.clear();
            self.whole = true;
            return writes;
        }
        // Enough parts that each fits, in powers of two so a user keeps
        // its part while the list grows and shrinks a little.
        let room = max_bytes.saturating_sub(PART_OVERHEAD).max(1);
        let mut parts = (plain.len().div_ceil(room) as u32).next_power_of_two();
        let (split, content) = loop {
            let split = split(list, parts);
            let content: Vec<Vec<u8>> = split
                .iter()
                .map(|p| postcard::to_stdvec(p).expect("online lists serialize"))
                .collect();
            // One user's entry is bounded far below any broker's limit
            // (a name, an away message, its rooms); a part of one user is
            // as small as a split can go.
            let fits = content.iter().all(|c| c.len() <= room);
            if fits || parts as usize >= list.users.len() {
                break (split, content);
            }
            parts *= 2;
        };
        let resplit = self.written.len() != content.len();
        for (i, ((users, profiles), c)) in split.into_iter().zip(&content).enumerate() {
            if !resplit && self.written[i] == *c {
                continue;
            }
            let part = Part {
                node: list.node.clone(),
                at: list.at,
                users,
                profiles,
                index: i as u32,
                parts,
            };
            writes.push(Write::Put {
                key: part_key(&list.node, i),
                plain: postcard::to_stdvec(&part).expect("online lists serialize"),
            });
        }
        for i in content.len()..self.written.len() {
            writes.push(Write::Delete {
                key: part_key(&list.node, i),
            });
        }
        if std::mem::replace(&mut self.whole, false) {
            writes.push(Write::Delete {
                key: list_key(&list.node),
            });
        }
        self.written = content;
        writes
    }
}

/// Puts other nodes' lists back together from their parts.
#[derive(Debug, Default)]
pub(super) struct Assembler {
    /// By node name: the parts heard of its latest run, by index.
    nodes: HashMap<String, Vec<Option<Part>>>,
    /// Nodes with a part changed since [`take`](Assembler::take).
    changed: Vec<String>,
}

impl Assembler {
    /// A part came (in the bucket's order).
    pub(super) fn part(&mut self, key_node: &str, part: Part) {
        let parts = part.parts as usize;
        if part.index as usize >= parts || part.node.name.as_str() != key_node {
            return;
        }
        let slots = self.nodes.entry(key_node.to_owned()).or_default();
        let heard = slots
            .iter()
            .flatten()
            .next()
            .map(|p| (p.node.epoch, p.parts));
        match heard {
            // A part an earlier run left in the bucket.
            Some((epoch, _)) if part.node.epoch < epoch => return,
            Some((epoch, n)) if part.node.epoch == epoch && n == part.parts => {}
            // Another run, or a new split: the parts heard are past.
            _ => *slots = vec![None; parts],
        }
        let index = part.index as usize;
        slots[index] = Some(part);
        if !self.changed.iter().any(|n| n == key_node) {
            self.changed.push(key_node.to_owned());
        }
    }

    /// A part's key was deleted (the list shrank, or is written whole).
    pub(super) fn gone(&mut self, key_node: &str, index: u32) {
        if let Some(slot) = self
            .nodes
            .get_mut(key_node)
            .and_then(|slots| slots.get_mut(index as usize))
        {
            *slot = None;
        }
    }

    /// A whole list came from the node: its parts are past.
    pub(super) fn whole(&mut self, key_node: &str) {
        self.nodes.remove(key_node);
        self.changed.retain(|n| n != key_node);
    }

    /// The whole lists of the nodes whose parts changed since last time
    /// and are all in: one list per node however many of its parts came
    /// together.
    pub(super) fn take(&mut self) -> Vec<NodePresence> {
        let mut lists = Vec::new();
        for name in std::mem::take(&mut self.changed) {
            let Some(slots) = self.nodes.get(&name) else {
                continue;
            };
            let Some(first) = slots.iter().flatten().next() else {
                continue;
            };
            if slots.iter().any(Option::is_none) {
                continue;
            }
            let mut list = NodePresence {
                node: first.node.clone(),
                at: Millis(0),
                users: Vec::new(),
                profiles: Vec::new(),
            };
            for p in slots.iter().flatten() {
                list.at = list.at.max(p.at);
                list.users.extend(p.users.iter().cloned());
                list.profiles.extend(p.profiles.iter().cloned());
            }
            lists.push(list);
        }
        lists
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::cluster::NodeName;
    use chat_core::{Grant, UserName};

    /// The earlier form, as those nodes write it.
    #[derive(Serialize)]
    struct Earlier<'a> {
        node: &'a NodeId,
        at: Millis,
        users: &'a [PresentUser],
    }

    fn list() -> NodePresence {
        let user = PresentUser {
            name: UserName::parse("ann").unwrap(),
            grant: Grant::User,
            busy: true,
            away: Some("lunch".into()),
            guest: false,
            rooms: Vec::new(),
        };
        NodePresence {
            node: NodeId {
                name: NodeName::parse("a").unwrap(),
                epoch: 7,
            },
            at: Millis(5),
            users: vec![user.clone(), user],
            profiles: vec![
                PresentProfile {
                    user_name: Some("ann".into()),
                    real_name: Some("Ann Smith".into()),
                    since: Millis(3),
                    invisible: true,
                },
                PresentProfile::default(),
            ],
        }
    }

    #[test]
    fn a_list_of_an_earlier_build_reads_without_profiles() {
        let new = list();
        let earlier = Earlier {
            node: &new.node,
            at: new.at,
            users: &new.users,
        };
        let read = read(&postcard::to_stdvec(&earlier).unwrap()).unwrap();
        assert_eq!(read.users, new.users);
        assert!(read.profiles.is_empty());
    }

    #[test]
    fn a_list_with_profiles_reads_whole_and_as_an_earlier_build_reads_it() {
        let new = list();
        let bytes = postcard::to_stdvec(&new).unwrap();
        assert_eq!(read(&bytes).unwrap(), new);
        // A node of an earlier build ignores what follows its fields.
        let old: WithoutProfiles = postcard::from_bytes(&bytes).unwrap();
        assert_eq!((old.node, old.at, old.users), (new.node, new.at, new.users));
    }

    fn user(name: &str) -> PresentUser {
        PresentUser {
            name: UserName::parse(name).unwrap(),
            grant: Grant::User,
            busy: false,
            away: None,
            guest: false,
            rooms: Vec::new(),
        }
    }

    fn profile(name: &str) -> PresentProfile {
        PresentProfile {
            user_name: Some(name.into()),
            real_name: Some(format!("{name} of the load")),
            since: Millis(3),
            invisible: false,
        }
    }

    fn big_list(epoch: u64, users: usize) -> NodePresence {
        let names: Vec<String> = (0..users).map(|i| format!("user{i}")).collect();
        NodePresence {
            node: NodeId {
                name: NodeName::parse("a").unwrap(),
                epoch,
            },
            at: Millis(9),
            users: names.iter().map(|n| user(n)).collect(),
            profiles: names.iter().map(|n| profile(n)).collect(),
        }
    }

    /// The writes' puts, by key, opened as the reader opens them.
    fn puts(writes: &[Write]) -> Vec<(String, Vec<u8>)> {
        writes
            .iter()
            .filter_map(|w| match w {
                Write::Put { key, plain } => Some((key.clone(), plain.clone())),
                Write::Delete { .. } => None,
            })
            .collect()
    }

    fn deletes(writes: &[Write]) -> Vec<String> {
        writes
            .iter()
            .filter_map(|w| match w {
                Write::Delete { key } => Some(key.clone()),
                Write::Put { .. } => None,
            })
            .collect()
    }

    /// Feeds the parts to an assembler: the lists it completes.
    fn assemble(a: &mut Assembler, puts: &[(String, Vec<u8>)]) -> Vec<NodePresence> {
        for (key, plain) in puts {
            let (node, _) = part_key_node(key).unwrap();
            a.part(node, postcard::from_bytes(plain).unwrap());
        }
        a.take()
    }

    /// Users with their profiles, by name: what a list says, in any order.
    fn by_name(list: &NodePresence) -> Vec<(String, Option<String>)> {
        let mut v: Vec<_> = list
            .users
            .iter()
            .zip(&list.profiles)
            .map(|(u, p)| (u.name.to_string(), p.real_name.clone()))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_list_that_fits_is_one_value_in_the_earlier_form() {
        let list = big_list(1, 10);
        let writes = Publisher::default().publish(&list, 1 << 20);
        assert_eq!(puts(&writes).len(), 1);
        assert_eq!(puts(&writes)[0].0, "list.a");
        assert_eq!(read(&puts(&writes)[0].1).unwrap(), list);
        assert!(deletes(&writes).is_empty());
    }

    #[test]
    fn a_list_too_large_for_one_value_goes_in_parts_and_reads_whole() {
        let list = big_list(1, 500);
        let whole = postcard::to_stdvec(&list).unwrap().len();
        let max = 4096;
        let mut publisher = Publisher::default();
        let writes = publisher.publish(&list, max);
        let parts = puts(&writes);
        assert!(parts.len() >= whole / max, "{} parts", parts.len());
        assert!(parts
            .iter()
            .all(|(k, p)| k.starts_with("part.a.") && p.len() <= max));
        // The whole list an earlier run may have left goes.
        assert_eq!(deletes(&writes), ["list.a"]);
        let mut reader = Assembler::default();
        // Not whole until the last part is in.
        assert!(assemble(&mut reader, &parts[..parts.len() - 1]).is_empty());
        let lists = assemble(&mut reader, &parts[parts.len() - 1..]);
        assert_eq!(lists.len(), 1);
        assert_eq!(lists[0].node, list.node);
        assert_eq!(by_name(&lists[0]), by_name(&list));

        // One user leaves: one part is written again, and read whole.
        let mut less = list.clone();
        less.users.remove(7);
        less.profiles.remove(7);
        let writes = publisher.publish(&less, max);
        assert_eq!(puts(&writes).len(), 1, "{:?}", deletes(&writes));
        assert!(deletes(&writes).is_empty());
        let lists = assemble(&mut reader, &puts(&writes));
        assert_eq!(by_name(&lists[0]), by_name(&less));
        // Nothing changed: nothing written.
        assert!(publisher.publish(&less, max).is_empty());

        // Back to a list that fits: whole again, the parts deleted.
        let small = big_list(1, 3);
        let writes = publisher.publish(&small, max);
        assert_eq!(puts(&writes)[0].0, "list.a");
        assert_eq!(deletes(&writes).len(), parts.len());
    }

    #[test]
    fn parts_of_an_earlier_run_or_split_are_not_mixed_in() {
        let max = 4096;
        let old = puts(&Publisher::default().publish(&big_list(1, 900), max));
        let new_list = big_list(2, 500);
        let new = puts(&Publisher::default().publish(&new_list, max));
        assert!(old.len() > new.len());
        let mut reader = Assembler::default();
        // The bucket gives the new run's parts, then parts of the earlier
        // run's larger split that nobody deleted (it was killed).
        assert_eq!(assemble(&mut reader, &new).len(), 1);
        let stale: Vec<_> = old[new.len()..].to_vec();
        assert!(assemble(&mut reader, &stale).is_empty());
        // The new run's next change still completes its list.
        let mut fewer = new_list.clone();
        fewer.users.pop();
        fewer.profiles.pop();
        let mut publisher = Publisher::default();
        publisher.publish(&new_list, max);
        let lists = assemble(&mut reader, &puts(&publisher.publish(&fewer, max)));
        assert_eq!(by_name(&lists[0]), by_name(&fewer));
    }

    #[test]
    fn a_new_run_replaces_the_parts_an_earlier_run_left() {
        let max = 4096;
        let old = puts(&Publisher::default().publish(&big_list(1, 900), max));
        let new_list = big_list(2, 500);
        let new = puts(&Publisher::default().publish(&new_list, max));
        let mut reader = Assembler::default();
        // In the bucket's order: what the killed run left first.
        assert!(assemble(&mut reader, &old[new.len()..]).is_empty());
        let lists = assemble(&mut reader, &new);
        assert_eq!(lists.len(), 1);
        assert_eq!(lists[0].node.epoch, 2);
        assert_eq!(by_name(&lists[0]), by_name(&new_list));
    }
}
