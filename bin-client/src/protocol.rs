//! Server lines of protocol v1, parsed into values. Unknown tags are kept
//! as `Other`, so a newer server never breaks this client.

/// One line from the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ServerLine {
    Hello {
        server: String,
    },
    Ask {
        step: String,
        prompt: String,
    },
    Ok {
        what: String,
    },
    Welcome {
        user: String,
        grant: String,
    },
    Err {
        code: String,
        text: String,
    },
    Msg {
        ts: i64,
        from: String,
        text: String,
    },
    Pm {
        ts: i64,
        from: String,
        text: String,
    },
    Join {
        ts: i64,
        user: String,
    },
    Leave {
        ts: i64,
        user: String,
        reason: String,
    },
    Info {
        text: String,
    },
    User {
        name: String,
        grant: String,
        presence: String,
    },
    Kicked {
        name: String,
        by: String,
        ts: i64,
        reason: Option<String>,
    },
    End {
        list: String,
        counts: Vec<String>,
    },
    Ctl(Ctl),
    Pong {
        token: Option<String>,
    },
    Other(String),
}

/// A `CTL` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ctl {
    Busy,
    Free,
    Grant(String),
    Kick { by: String, reason: Option<String> },
    Disconnect,
    Shutdown,
    Restart,
    Other(String),
}

/// Splits off `n` words; the rest of the line is the last field.
fn fields(s: &str, n: usize) -> Option<(Vec<&str>, &str)> {
    let mut words = Vec::with_capacity(n);
    let mut rest = s;
    for _ in 0..n {
        let (w, r) = rest.split_once(' ').unwrap_or((rest, ""));
        if w.is_empty() {
            return None;
        }
        words.push(w);
        rest = r;
    }
    Some((words, rest))
}

fn opt(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_owned())
}

pub(crate) fn parse(line: &str) -> ServerLine {
    parse_known(line).unwrap_or_else(|| ServerLine::Other(line.to_owned()))
}

fn parse_known(line: &str) -> Option<ServerLine> {
    let (tag, rest) = line.split_once(' ').unwrap_or((line, ""));
    let ts = |s: &str| s.parse::<i64>().ok();
    Some(match tag {
        "HELLO" => {
            let (w, server) = fields(rest, 1)?;
            let _protocol = w[0];
            ServerLine::Hello {
                server: server.to_owned(),
            }
        }
        "ASK" => {
            let (w, prompt) = fields(rest, 1)?;
            ServerLine::Ask {
                step: w[0].to_owned(),
                prompt: prompt.to_owned(),
            }
        }
        "OK" => ServerLine::Ok {
            what: rest.to_owned(),
        },
        "WELCOME" => {
            let (w, grant) = fields(rest, 1)?;
            ServerLine::Welcome {
                user: w[0].to_owned(),
                grant: grant.to_owned(),
            }
        }
        "ERR" => {
            let (w, text) = fields(rest, 1)?;
            ServerLine::Err {
                code: w[0].to_owned(),
                text: text.to_owned(),
            }
        }
        "MSG" | "PM" => {
            let (w, text) = fields(rest, 2)?;
            let (ts, from, text) = (ts(w[0])?, w[1].to_owned(), text.to_owned());
            if tag == "MSG" {
                ServerLine::Msg { ts, from, text }
            } else {
                ServerLine::Pm { ts, from, text }
            }
        }
        "JOIN" => {
            let (w, user) = fields(rest, 1)?;
            ServerLine::Join {
                ts: ts(w[0])?,
                user: user.to_owned(),
            }
        }
        "LEAVE" => {
            let (w, reason) = fields(rest, 2)?;
            ServerLine::Leave {
                ts: ts(w[0])?,
                user: w[1].to_owned(),
                reason: reason.to_owned(),
            }
        }
        "INFO" => ServerLine::Info {
            text: rest.to_owned(),
        },
        "USER" => {
            let (w, presence) = fields(rest, 2)?;
            ServerLine::User {
                name: w[0].to_owned(),
                grant: w[1].to_owned(),
                presence: presence.to_owned(),
            }
        }
        "KICKED" => {
            let (w, reason) = fields(rest, 3)?;
            ServerLine::Kicked {
                name: w[0].to_owned(),
                by: w[1].to_owned(),
                ts: ts(w[2])?,
                reason: opt(reason),
            }
        }
        "END" => {
            let mut words = rest.split(' ').filter(|w| !w.is_empty());
            let list = words.next()?.to_owned();
            ServerLine::End {
                list,
                counts: words.map(str::to_owned).collect(),
            }
        }
        "CTL" => {
            let (what, args) = rest.split_once(' ').unwrap_or((rest, ""));
            ServerLine::Ctl(match what {
                "busy" => Ctl::Busy,
                "free" => Ctl::Free,
                "grant" => Ctl::Grant(args.to_owned()),
                "kick" => {
                    let (by, reason) = args.split_once(' ').unwrap_or((args, ""));
                    Ctl::Kick {
                        by: by.to_owned(),
                        reason: opt(reason),
                    }
                }
                "disconnect" => Ctl::Disconnect,
                "shutdown" => Ctl::Shutdown,
                "restart" => Ctl::Restart,
                _ => Ctl::Other(rest.to_owned()),
            })
        }
        "PONG" => ServerLine::Pong { token: opt(rest) },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tag() {
        assert_eq!(
            parse("HELLO chat/1 lab"),
            ServerLine::Hello {
                server: "lab".into()
            }
        );
        assert_eq!(
            parse("ASK password (2/3) Write your password:"),
            ServerLine::Ask {
                step: "password".into(),
                prompt: "(2/3) Write your password:".into()
            }
        );
        assert_eq!(
            parse("OK sent bob"),
            ServerLine::Ok {
                what: "sent bob".into()
            }
        );
        assert_eq!(
            parse("WELCOME al 0"),
            ServerLine::Welcome {
                user: "al".into(),
                grant: "0".into()
            }
        );
        assert_eq!(
            parse("ERR bad-name a name starts with a letter"),
            ServerLine::Err {
                code: "bad-name".into(),
                text: "a name starts with a letter".into()
            }
        );
        assert_eq!(
            parse("MSG 5 al hi there"),
            ServerLine::Msg {
                ts: 5,
                from: "al".into(),
                text: "hi there".into()
            }
        );
        assert_eq!(
            parse("PM 6 al x"),
            ServerLine::Pm {
                ts: 6,
                from: "al".into(),
                text: "x".into()
            }
        );
        assert_eq!(
            parse("JOIN 7 al"),
            ServerLine::Join {
                ts: 7,
                user: "al".into()
            }
        );
        assert_eq!(
            parse("LEAVE 8 al too-slow"),
            ServerLine::Leave {
                ts: 8,
                user: "al".into(),
                reason: "too-slow".into()
            }
        );
        assert_eq!(
            parse("INFO some text"),
            ServerLine::Info {
                text: "some text".into()
            }
        );
        assert_eq!(
            parse("USER al 1 busy"),
            ServerLine::User {
                name: "al".into(),
                grant: "1".into(),
                presence: "busy".into()
            }
        );
        assert_eq!(
            parse("KICKED bo al 9 spam spam"),
            ServerLine::Kicked {
                name: "bo".into(),
                by: "al".into(),
                ts: 9,
                reason: Some("spam spam".into())
            }
        );
        assert_eq!(
            parse("KICKED bo al 9"),
            ServerLine::Kicked {
                name: "bo".into(),
                by: "al".into(),
                ts: 9,
                reason: None
            }
        );
        assert_eq!(
            parse("END held 2 1"),
            ServerLine::End {
                list: "held".into(),
                counts: vec!["2".into(), "1".into()]
            }
        );
        assert_eq!(
            parse("CTL kick al go away"),
            ServerLine::Ctl(Ctl::Kick {
                by: "al".into(),
                reason: Some("go away".into())
            })
        );
        assert_eq!(
            parse("CTL kick al"),
            ServerLine::Ctl(Ctl::Kick {
                by: "al".into(),
                reason: None
            })
        );
        assert_eq!(
            parse("CTL grant 0"),
            ServerLine::Ctl(Ctl::Grant("0".into()))
        );
        for (l, c) in [
            ("CTL busy", Ctl::Busy),
            ("CTL free", Ctl::Free),
            ("CTL disconnect", Ctl::Disconnect),
            ("CTL shutdown", Ctl::Shutdown),
            ("CTL restart", Ctl::Restart),
        ] {
            assert_eq!(parse(l), ServerLine::Ctl(c));
        }
        assert_eq!(parse("PONG"), ServerLine::Pong { token: None });
        assert_eq!(
            parse("PONG t"),
            ServerLine::Pong {
                token: Some("t".into())
            }
        );
    }

    #[test]
    fn unknown_and_malformed_lines_are_kept() {
        assert_eq!(parse("TOPIC new"), ServerLine::Other("TOPIC new".into()));
        assert_eq!(
            parse("MSG notanumber al hi"),
            ServerLine::Other("MSG notanumber al hi".into())
        );
        assert_eq!(parse(""), ServerLine::Other(String::new()));
    }
}
