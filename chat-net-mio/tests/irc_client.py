"""Drives our IRC listener with the `irc` package from PyPI (jaraco/irc),
an IRC client implementation written elsewhere.

Usage: irc_client.py <port> <nick> <password>

Logs in with SASL PLAIN, checks the names on join list `bob`, asks for
`server-time`, says "hello from python-irc" to #lobby and "pm from
python-irc" to bob, then waits for bob's room line "hello python" (tagged
with its time) and private "pm back", and for a server PING (which the
package answers by itself; the server pings after a short silence), and
quits.
Prints what it saw; exits 0 on success, 1 on a failure or after 20 s.
"""

import re
import sys
import threading

import irc.client

port, nick, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
seen = {"names": False, "pub": False, "priv": False, "time": False, "ping": False}
ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
failures = []


def log(*parts):
    print(*parts, flush=True)


def on_welcome(conn, event):
    log("welcome", event.target)


def on_join(conn, event):
    log("join", event.source.nick, event.target)


def on_namreply(conn, event):
    log("names", event.arguments)
    if "bob" in event.arguments[-1].split():
        seen["names"] = True


def on_endofnames(conn, event):
    if not seen["names"]:
        failures.append("bob not in the names")
    conn.cap("REQ", "server-time")
    conn.privmsg("#lobby", "hello from python-irc")
    conn.privmsg("bob", "pm from python-irc")


def on_pubmsg(conn, event):
    log("pubmsg", event.source.nick, event.target, event.arguments[0])
    if event.source.nick == "bob" and event.arguments[0] == "hello python":
        seen["pub"] = True
        times = [t["value"] for t in event.tags or [] if t["key"] == "time"]
        log("tags", event.tags)
        seen["time"] = len(times) == 1 and bool(ISO_TIME.match(times[0]))
    done(conn)


def on_privmsg(conn, event):
    log("privmsg", event.source.nick, event.arguments[0])
    if event.source.nick == "bob" and event.arguments[0] == "pm back":
        seen["priv"] = True
    done(conn)


def on_ping(conn, event):
    log("ping", event.target)
    seen["ping"] = True
    done(conn)


def on_login_failed(conn, event):
    failures.append(f"login failed: {event.arguments}")
    conn.quit()


def done(conn):
    if seen["pub"] and seen["priv"] and seen["ping"]:
        conn.quit("bye")


def on_disconnect(conn, event):
    log("disconnect", event.arguments)
    ok = not failures and all(seen.values())
    log("result", "ok" if ok else f"failed: {failures} {seen}")
    sys.exit(0 if ok else 1)


def give_up():
    log("timed out", seen)
    import os

    os._exit(1)


timer = threading.Timer(20, give_up)
timer.daemon = True
timer.start()
reactor = irc.client.Reactor()
conn = reactor.server().connect(
    "127.0.0.1", port, nick, password=password, sasl_login=nick
)
for name, handler in [
    ("welcome", on_welcome),
    ("join", on_join),
    ("namreply", on_namreply),
    ("endofnames", on_endofnames),
    ("pubmsg", on_pubmsg),
    ("privmsg", on_privmsg),
    ("ping", on_ping),
    ("login_failed", on_login_failed),
    ("disconnect", on_disconnect),
]:
    conn.add_global_handler(name, handler)
reactor.process_forever()
