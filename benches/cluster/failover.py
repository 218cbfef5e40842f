#!/usr/bin/env python3
"""Failover times of a cluster: clients on one node, watchers on the others;
the node is killed (-9) and we time (a) until every watcher has seen every
one of that node's users who stay away leave (`LEAVE ... lost`: presence
settled; those who come back elsewhere show as joining again instead) and
(b) until each of the others, moving to the next address as the client
library does, is logged in on another node and sees its own line echoed
(talking again). Half the clients stay away, half move. Prints one JSON
object. Stops by itself."""

import argparse, json, os, signal, socket, statistics, sys, threading, time

PASSWORD = "failover-password"


def lines(sock, buf):
    """Complete lines from the socket (buf keeps the partial one)."""
    data = sock.recv(65536)
    if not data:
        raise ConnectionError("closed")
    buf.extend(data)
    out = []
    while b"\n" in buf:
        i = buf.index(b"\n")
        out.append(buf[:i].decode(errors="replace"))
        del buf[: i + 1]
    return out


def login(addr, name, verb, timeout=20.0):
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=timeout)
    s.settimeout(timeout)
    s.sendall(f"/{verb} {name} {PASSWORD}\n".encode())
    buf = bytearray()
    end = time.time() + timeout
    while time.time() < end:
        for l in lines(s, buf):
            if l.startswith("WELCOME "):
                return s, buf
            if l.startswith("ERR "):
                raise RuntimeError(f"{name}: {l}")
    raise TimeoutError(name)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--victim", required=True, help="chat/1 address of the node to kill")
    ap.add_argument("--victim-pid", type=int, required=True)
    ap.add_argument("--others", required=True, help="comma-separated chat/1 addresses")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--tag", default=str(os.getpid()))
    args = ap.parse_args()
    others = args.others.split(",")
    victims = [f"v{args.tag}x{i}" for i in range(args.clients)]
    # The first half move to another node; the others stay away.
    movers = victims[: len(victims) // 2]
    away = victims[len(victims) // 2 :]
    socks = {}
    for v in victims:
        socks[v] = login(args.victim, v, "register")
    watchers = []
    for i, addr in enumerate(others):
        watchers.append(login(addr, f"w{args.tag}x{i}", "register"))
    # Let the online lists go out (a few times a second).
    time.sleep(1.5)

    settled = {}
    def watch(idx, sock, buf):
        gone = set()
        sock.settimeout(0.5)
        end = time.time() + 60
        while time.time() < end and len(gone) < len(away):
            try:
                for l in lines(sock, buf):
                    parts = l.split(" ")
                    if os.environ.get("FAILOVER_DEBUG"): print(f"{time.time():.3f} w{idx}: {l}", file=sys.stderr)
                    if parts[0] == "LEAVE" and len(parts) >= 4 and parts[2] in away and parts[3] == "lost":
                        gone.add(parts[2])
            except socket.timeout:
                pass
        settled[idx] = time.time() if len(gone) == len(away) else None

    back = {}
    kept = []
    def roam(name):
        sock, buf = socks[name]
        sock.settimeout(30)
        try:
            while True:
                lines(sock, buf)
        except (ConnectionError, OSError):
            pass
        end = time.time() + 60
        while time.time() < end:
            for addr in others:
                try:
                    s, b = login(addr, name, "login", timeout=5)
                    text = f"back {name}"
                    s.sendall(f"{text}\n".encode())
                    while True:
                        if any(l.startswith("MSG ") and l.endswith(text) for l in lines(s, b)):
                            back[name] = time.time()
                            # Stays connected: its leave would be news.
                            kept.append(s)
                            return
                except (OSError, RuntimeError, TimeoutError, ConnectionError):
                    continue
            time.sleep(0.05)

    threads = [threading.Thread(target=watch, args=(i, s, b)) for i, (s, b) in enumerate(watchers)]
    threads += [threading.Thread(target=roam, args=(v,)) for v in movers]
    for t in threads:
        t.start()
    t0 = time.time()
    os.kill(args.victim_pid, signal.SIGKILL)
    for t in threads:
        t.join()
    presence = [settled[i] - t0 for i in settled if settled[i] is not None]
    talking = sorted(back[v] - t0 for v in back)
    print(json.dumps({
        "clients": len(victims),
        "stayed_away": len(away),
        "presence_settled_s": max(presence) if len(presence) == len(watchers) else None,
        "talking_again_median_s": statistics.median(talking) if talking else None,
        "talking_again_max_s": talking[-1] if len(talking) == len(movers) else None,
        "moved": len(talking),
    }))


if __name__ == "__main__":
    sys.exit(main())
