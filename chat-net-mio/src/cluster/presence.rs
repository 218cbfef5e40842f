//! A node's online list as the presence bucket holds it. Nodes of an
//! earlier build write it without profiles (IRC's user and real names,
//! login times): such a list is read as having none. Profiles come last,
//! so those nodes read a list with them and ignore the rest.

use chat_core::cluster::{NodeId, NodePresence, PresentUser};
use chat_core::Millis;
use serde::Deserialize;

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

#[cfg(test)]
mod tests {
    use super::*;
    use chat_core::cluster::{NodeName, PresentProfile};
    use chat_core::{Grant, UserName};
    use serde::Serialize;

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
}
