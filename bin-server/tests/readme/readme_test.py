#!/usr/bin/env python3
"""Runs the README's commands, in order, in a fresh folder, as a newcomer
would, so the README cannot go stale.

Every fenced block of README.md is run:

- ```sh: each command (a `\\` continues it on the next line) from a fresh
  folder that sees the checkout (symlinks) but has its own ./chat-data.
  `cargo` runs against the checkout (--manifest-path added), so its
  commands build into the checkout's target/. How a command runs depends
  on what it starts:
  - a server (chat-server without a subcommand, an example that serves)
    runs in the background until the next server is started or the end;
    it must come up on every address it was given, and its log must say
    what the README says it says (the page's address, the missing admin);
  - chat-client without --user is a person at a terminal: it runs in tmux
    and this script types into it (the account's name is the comment after
    the command, `# alice`; passwords are `secret-pw`), checks the welcome,
    and two of them in one block talk to each other;
  - everything else runs to its end and must succeed.
  Commands that the README describes as long (a simulation of thousands of
  seeds, a load of a thousand clients) run at a small scale (SCALE below),
  and the test commands CI runs anyway are checked to be in .ci/run.
- ```irssi, ```weechat: typed into that IRC client (in tmux), which must
  then be in #lobby as the account and talk to a chat/1 user.
- ```ron: a configuration: a server must start with it.
- ```rust: compiled as doctests by `cargo test` (chat-net-mio), not here.
- ```text: output shown for people, not run.

Run it in namespaces of its own, as .ci/run does, so the README's fixed
ports, `pidof chat-server` and the tmux server see only what it starts:

    unshare --pid --fork --mount-proc --net bin-server/tests/readme/readme_test.py

Prints each command with ok or FAIL and exits non-zero on any failure.
"""

import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
README = os.path.join(ROOT, "README.md")
PASSWORD = "secret-pw"
ADMIN_PASSWORD = "a long admin password"
TIMEOUT = 30
BUILD_TIMEOUT = 1800
# Heavy commands at a small scale: (program, flag, value, added when the
# command does not give the flag).
SCALE = [
    ("chat-sim", "--seeds", "2", False),
    ("chat-load", "--clients", "40", False),
    ("chat-load", "--duration", "1", True),
    ("chat-load", "--warmup", "0.5", True),
]
# Programs that serve until stopped, and the log line that says they are up.
SERVICES = {"chat-server": None, "time-bot": "is in the room", "nats-server": "Server is ready"}
# Where Debian puts nats-server (not on a user's PATH everywhere).
SBIN = "/usr/sbin"


def fail(msg):
    raise AssertionError(msg)


def wait_for(what, check, timeout=TIMEOUT, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            fail(f"timed out waiting for {what}")
        time.sleep(interval)


def port_open(addr):
    host, port = addr.rsplit(":", 1)
    host = host.strip("[]")
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
        return True
    except OSError:
        return False


# ------------------------------------------------------------------ README

def blocks(text):
    """(info, first line number, lines) of every fenced block."""
    out, lines = [], text.split("\n")
    i = 0
    while i < len(lines):
        m = re.match(r"^(\s*)```(\S*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        indent, info, start = m.group(1), m.group(2), i + 1
        body = []
        i += 1
        while i < len(lines) and lines[i].strip() != "```":
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        out.append((info, start, body))
        i += 1
    return out


def commands(body):
    """The commands of a sh block: (command, comment), `\\` lines joined."""
    out, acc = [], ""
    for line in body:
        if line.rstrip().endswith("\\"):
            acc += line.rstrip()[:-1] + " "
            continue
        line = acc + line
        acc = ""
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        command, comment = split_comment(line)
        out.append((command.strip(), comment))
    return out


def split_comment(line):
    """The command and its trailing `# comment`, quotes respected."""
    quote = None
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i], line[i + 1:].strip()
    return line, ""


# ------------------------------------------------------------------- world

class World:
    """The fresh folder, the servers and terminals running in it."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="readme-")
        for name in os.listdir(ROOT):
            if name in (".git", "chat-data") or name.startswith("."):
                continue
            os.symlink(os.path.join(ROOT, name), os.path.join(self.dir, name))
        shim = os.path.join(self.dir, ".bin")
        os.mkdir(shim)
        real = shutil.which("cargo")
        with open(os.path.join(shim, "cargo"), "w") as f:
            f.write("#!/bin/sh\n# The README's cargo, against the checkout.\n"
                    f'sub="$1"; shift\nexec {shlex.quote(real)} "$sub" '
                    f'--manifest-path {shlex.quote(os.path.join(ROOT, "Cargo.toml"))} "$@"\n')
        os.chmod(os.path.join(shim, "cargo"), 0o755)
        self.env = dict(os.environ, PATH=shim + ":" + os.environ["PATH"] + ":" + SBIN, TERM="xterm-256color",
                        CARGO_NET_OFFLINE="true")
        for k in ("CHAT_PASSWORD", "CHAT_ADMIN_PASSWORD", "CHAT_STORE_KEY"):
            self.env.pop(k, None)
        self.server = None      # (Popen, log path, command)
        self.nodes = []         # cluster nodes started before the last, still up
        self.services = []
        self.accounts = set()
        self.tmux = False
        self.windows = 0
        self.watcher = None
        self.admin_made = False
        self.started_before = False

    # -- processes that run to their end

    def run(self, command, timeout=TIMEOUT):
        p = subprocess.run(["sh", "-c", command], cwd=self.dir, env=self.env,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            fail(f"exit {p.returncode}:\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
        return p

    # -- servers

    def start_server(self, command):
        words = shlex.split(command)
        if "--cluster" in words and self.server and "--cluster" in shlex.split(self.server[2]):
            # Nodes of one cluster run side by side.
            self.nodes.append(self.server)
            self.server = None
        else:
            self.stop_server()
        log = os.path.join(self.dir, f".server-{time.monotonic_ns()}.log")
        proc = subprocess.Popen(["sh", "-c", execed(command)], cwd=self.dir, env=self.env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=open(log, "w"), start_new_session=True)
        self.server = (proc, log, command)
        addrs = [addr_after(words, "--bind") or "127.0.0.1:9797"]
        for flag in ("--tls", "--irc-tls", "--ws", "--wss", "--irc-bind"):
            a = addr_after(words, flag)
            if a:
                addrs.append(a)
        config = value_after(words, "--config")
        if config:
            for a in re.findall(r'bind: "([^"]+)"', open(os.path.join(self.dir, config)).read()):
                addrs.append(a)
        timeout = BUILD_TIMEOUT if words and words[0] == "cargo" else TIMEOUT

        def up():
            if proc.poll() is not None:
                fail(f"the server exited ({proc.returncode}):\n{read(log)}")
            return "listening on" in read(log) and all(port_open(a) for a in addrs if not a.endswith(":0"))
        wait_for(f"the server on {addrs}", up, timeout=timeout)
        said = read(log)
        # What the server says at start, as the README tells it.
        if "--admin" in words and ("CHAT_ADMIN_PASSWORD" in command or "--admin-password-file" in words) \
                and not self.admin_made:
            if "admin account root created" not in said:
                fail(f"no 'admin account root created' in the log:\n{said}")
            self.admin_made = True
        if not self.admin_made and "no admin account" not in said:
            fail(f"a server with no admin does not warn about it:\n{said}")
        for flag, scheme in (("--ws", "http"), ("--wss", "https")):
            a = addr_after(words, flag)
            if a:
                # A listener on every address is opened as localhost.
                host = re.sub(r"^(0\.0\.0\.0|\[::\]):", "localhost:", a)
                url = f"{scheme}://{host}/"
                if f"the chat page is at {url}" not in said:
                    fail(f"the log does not say where the page is ({url}):\n{said}")
                ctx = None
                if scheme == "https":
                    ca = value_after(words, "--tls-cert") or os.path.join("chat-data", "tls-cert.pem")
                    ctx = ssl.create_default_context(cafile=os.path.join(self.dir, ca))
                page = urllib.request.urlopen(url, timeout=10, context=ctx).read().decode()
                if "<title>" not in page:
                    fail(f"{url} is not the page")
        self.watcher = None
        return f"up on {', '.join(addrs)}"

    def stop_server(self):
        nodes, self.nodes = self.nodes, []
        for node in nodes:
            self.stop_one(node)
        if self.server:
            server, self.server = self.server, None
            self.stop_one(server)

    def stop_one(self, server):
        proc, log, command = server
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                proc.kill()
                fail(f"`{command}` did not stop on SIGTERM")
        if proc.returncode != 0:
            fail(f"`{command}` exited {proc.returncode}:\n{read(log)[-2000:]}")

    def start_service(self, command, ready):
        out = os.path.join(self.dir, f".service-{time.monotonic_ns()}.log")
        proc = subprocess.Popen(["sh", "-c", execed(command)], cwd=self.dir, env=self.env,
                                stdin=subprocess.DEVNULL, stdout=open(out, "w"),
                                stderr=subprocess.STDOUT, start_new_session=True)
        self.services.append(proc)

        def up():
            if proc.poll() is not None:
                fail(f"it exited ({proc.returncode}):\n{read(out)}")
            return ready in read(out)
        wait_for(repr(ready), up, timeout=BUILD_TIMEOUT)
        return proc, out

    def stop_all(self):
        for p in self.services:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                p.wait(timeout=TIMEOUT)
        self.services = []
        self.stop_server()
        if self.tmux:
            subprocess.run(self.tmux_cmd("kill-server"), capture_output=True)

    # -- a chat/1 user beside the README's, to see what they do

    def watch(self):
        if self.watcher is None:
            self.watcher = Chat1("127.0.0.1:9797", "watcher", self)
        return self.watcher

    # -- terminals

    def terminal(self, command, name):
        """A tmux window running `command` in the folder; returns its name."""
        if not self.tmux:
            subprocess.run(self.tmux_cmd("-f", "/dev/null", "new-session", "-d", "-s", "readme",
                                         "-x", "110", "-y", "30", "-c", self.dir), check=True, env=self.env)
            self.tmux = True
        self.windows += 1
        window = f"w{self.windows}-{name}"
        shell = f"cd {shlex.quote(self.dir)} && {command}; echo EXIT=$?; sleep 3600"
        subprocess.run(self.tmux_cmd("new-window", "-t", "readme", "-n", window, shell), check=True, env=self.env)
        return window

    def tmux_cmd(self, *args):
        """tmux on a server of this script's own (never the user's)."""
        return ["tmux", "-S", os.path.join(self.dir, ".tmux"), *args]

    def screen(self, window):
        return subprocess.run(self.tmux_cmd("capture-pane", "-p", "-t", f"readme:{window}"),
                              capture_output=True, text=True).stdout

    def keys(self, window, text, enter=True):
        subprocess.run(self.tmux_cmd("send-keys", "-t", f"readme:{window}", "-l", text), check=True)
        if enter:
            subprocess.run(self.tmux_cmd("send-keys", "-t", f"readme:{window}", "Enter"), check=True)

    def see(self, window, text, timeout=TIMEOUT):
        return wait_for(f"{text!r} in {window}", lambda: text in self.screen(window), timeout=timeout) and True


def execed(command):
    """The shell line that becomes `command` (so signals reach it)."""
    return ("exec env " if re.match(r"^[A-Z_]+=", command) else "exec ") + command


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def value_after(words, flag):
    for i, w in enumerate(words):
        if w == flag and i + 1 < len(words):
            return words[i + 1]
        if w.startswith(flag + "="):
            return w.split("=", 1)[1]
    return None


def addr_after(words, flag):
    v = value_after(words, flag)
    return v if v and re.match(r"^[\w.:\[\]-]+:\d+$", v) else None


class Chat1:
    """A chat/1 user on plain TCP."""

    def __init__(self, addr, name, world):
        host, port = addr.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=TIMEOUT)
        self.buf = b""
        how = "login" if name in world.accounts else "register"
        self.send(f"/{how} {name} {PASSWORD}")
        self.expect("WELCOME ")
        world.accounts.add(name)

    def send(self, line):
        self.sock.sendall(line.encode() + b"\n")

    def expect(self, prefix, contains=""):
        while True:
            while b"\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    fail(f"closed while waiting for {prefix!r}")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\n", 1)
            text = line.decode()
            if text.startswith(prefix) and contains in text:
                return text


# ---------------------------------------------------------------- runners

def program(words):
    """The program a command runs: chat-server for
    `cargo run ... --bin chat-server` and `target/release/chat-server`."""
    words = [w for w in words if not re.match(r"^[A-Z_]+=", w)]
    if not words:
        return None, []
    if words[0] == "cargo" and len(words) > 1 and words[1] == "run":
        args = words[words.index("--") + 1:] if "--" in words else []
        for flag in ("--bin", "--example"):
            name = value_after(words, flag)
            if name:
                return name, args
        pkg = value_after(words, "-p")
        return {"bin-server": "chat-server", "bin-client": "chat-client"}.get(pkg, pkg), args
    return os.path.basename(words[0]), words[1:]


def scaled(command, prog):
    for p, flag, value, add in SCALE:
        if p != prog:
            continue
        if re.search(rf"(^|\s){re.escape(flag)}\s+\S+", command):
            command = re.sub(rf"(^|\s){re.escape(flag)}\s+\S+", rf"\g<1>{flag} {value}", command)
        elif add:
            command += f" {flag} {value}"
    return command


def in_ci(command):
    """A test command that .ci/run runs itself."""
    ci = read(os.path.join(ROOT, ".ci", "run"))
    norm = lambda s: re.sub(r"\s+", " ", s.replace("--locked", "")).strip()
    return any(norm(command) == norm(line) for line in ci.split("\n"))


def run_sh(world, command, comment):
    background = command.endswith("&")
    command = command.rstrip("&").strip()
    m = re.match(r"^export ([A-Z_]+)=(.*)$", command)
    if m:
        # The value, as the shell has it, for the commands after it.
        p = world.run(f"{m.group(1)}={m.group(2)}; printf %s \"${m.group(1)}\"")
        world.env[m.group(1)] = p.stdout
        return f"{m.group(1)} set"
    words = shlex.split(command)
    prog, args = program(words)
    bare = [w for w in words if not re.match(r"^[A-Z_]+=", w)]
    if bare[:2] == ["cargo", "test"]:
        if not in_ci(command):
            fail("a test command that .ci/run does not run")
        return "run by .ci/run itself"
    if prog == "chat-server" and {"backup", "restore"} & set(args):
        if "restore" in args:
            # The README says so: with the server stopped.
            world.stop_server()
        world.run(command)
        return "done"
    if prog == "chat-server":
        said = world.start_server(command)
        if "--cluster" in args and world.nodes:
            said += "; " + across_nodes(world)
        return said
    if prog == "chat-client" and "--user" not in args and "<" not in command:
        return talk(world, command, comment)
    if prog in SERVICES or background:
        if prog not in SERVICES:
            fail(f"no way to tell when `{prog}` is up")
        return service(world, command, prog)
    if prog == "run.sh" or command.startswith("chat-core/fuzz/run.sh"):
        return fuzz_script(command)
    small = scaled(command, prog) if prog in ("chat-sim", "chat-load") else command
    timeout = BUILD_TIMEOUT if bare[0] == "cargo" else TIMEOUT
    world.run(small, timeout=timeout)
    return "done" if small == command else f"done, at a small scale: `{small}`"


def across_nodes(world):
    """A line said on the first node of a cluster reaches a user of the
    last one."""
    first = addr_after(shlex.split(world.nodes[0][2]), "--bind") or "127.0.0.1:9797"
    last = addr_after(shlex.split(world.server[2]), "--bind") or "127.0.0.1:9797"
    north = Chat1(first, "north", world)
    south = Chat1(last, "south", world)
    north.send("hello across the cluster")
    south.expect("MSG ", "north hello across the cluster")
    return f"a line said on {first} reached {last}"


def service(world, command, prog):
    proc, out = world.start_service(command, SERVICES[prog])
    if prog == "time-bot":
        w = world.watch()
        w.send("!time")
        w.expect("MSG ", " timebot ")
    return "up"


# The people of the terminals: the comment names them.
def talk(world, command, comment):
    """People at terminals: each logs in by the dialog (registering the
    first time); two in one block talk to each other."""
    name = (comment.split() or ["alice"])[0].strip(",.:")
    if not re.match(r"^[A-Za-z][\w.-]*$", name):
        fail(f"the comment after `{command}` does not name its user")
    window = world.terminal(command, name)
    new = name not in world.accounts
    world.see(window, "[y/n]")
    world.keys(window, "y" if new else "n")
    world.see(window, "name:")
    world.keys(window, name)
    world.see(window, "password:")
    world.keys(window, PASSWORD)
    if new:
        world.see(window, "again:")
        world.keys(window, PASSWORD)
    world.see(window, "Welcome")
    screen = world.screen(window)
    if PASSWORD in screen:
        fail(f"the password is on the screen:\n{screen}")
    world.accounts.add(name)
    world.pending_talkers.append((name, window))
    return f"{name} logged in"


def end_of_block(world):
    """The people of a block talk to each other, then quit."""
    people = world.pending_talkers
    world.pending_talkers = []
    if len(people) >= 2:
        (a, wa), (b, wb) = people[0], people[1]
        world.keys(wa, f"hello {b}, this is {a}")
        world.see(wb, f"hello {b}, this is {a}")
        world.keys(wb, f"hi {a}!")
        world.see(wa, f"hi {a}!")
    elif people:
        name, window = people[0]
        w = world.watch()
        world.keys(window, f"{name} is here")
        w.expect("MSG ", f"{name} is here")
    for _, window in people:
        world.keys(window, "/quit")
        world.see(window, "EXIT=0")


def fuzz_script(command):
    words = shlex.split(command)
    script = os.path.join(ROOT, words[0])
    if subprocess.run(["bash", "-n", script]).returncode != 0:
        fail(f"{words[0]} does not parse")
    targets = re.findall(r'name = "([^"]+)"', read(os.path.join(ROOT, "chat-core", "fuzz", "Cargo.toml")))
    for w in words[1:]:
        if not w.isdigit() and w not in targets:
            fail(f"no fuzz target {w!r} (there are {targets})")
    return "checked: the script parses and names real targets (fuzzing needs a nightly toolchain)"


IRC = {
    # How each IRC client starts with nothing of the user's own.
    "irssi": lambda d: f"irssi --home={shlex.quote(os.path.join(d, '.irssi'))} -n readme",
    "weechat": lambda d: f"weechat --dir {shlex.quote(os.path.join(d, '.weechat'))} -r '/set weechat.startup.display_logo off'",
}


def run_irc(world, client, body):
    """The block's lines typed into the IRC client: it must end up in
    #lobby as the account it names, and talk to a chat/1 user."""
    lines = [l for l in body if l.strip()]
    nick = None
    for line in lines:
        m = re.search(r"sasl_username[= ](\w+)|:\S+ (\w+)$", line)
        if m:
            nick = m.group(1) or m.group(2)
    if not nick:
        fail("the block names no account")
    watcher = world.watch()
    window = world.terminal(IRC[client](world.dir), client)
    time.sleep(1.5)
    for line in lines:
        world.keys(window, line)
        time.sleep(0.5)
    watcher.expect("JOIN ", f" {nick}")
    world.see(window, "#lobby")
    # Each way, through the lobby.
    world.keys(window, f"/msg #lobby hello from {client}")
    watcher.expect("MSG ", f"{nick} hello from {client}")
    watcher.send(f"welcome, {client}")
    world.keys(window, f"/window goto #lobby" if client == "irssi" else "/buffer #lobby")
    world.see(window, f"welcome, {client}")
    world.keys(window, "/quit")
    world.see(window, "EXIT=0")
    watcher.expect("LEAVE ", f" {nick} ")
    return f"{nick} in #lobby, talking"


def run_ron(world, body, n):
    text = "\n".join(body)
    if not text.lstrip().startswith("("):
        text = "(\n" + text + "\n)"
    said = "a server starts with it"
    if re.search(r"^\s*cluster:", text, re.M):
        # A node with it, against the README's one local broker: its
        # servers that broker, one copy of each stream (one NATS server
        # holds one), a prefix of its own beside the README's cluster.
        text = re.sub(r"servers: \[[^\]]*\]", 'servers: ["nats://127.0.0.1:4222"]', text)
        text = re.sub(r"replicas: \d+", "replicas: 1", text)
        text = re.sub(r'prefix: "[^"]*"', 'prefix: "readmeron"', text)
        said = "a cluster node starts with it (servers: the local broker, replicas: 1)"
    path = os.path.join(world.dir, f".config-{n}.ron")
    with open(path, "w") as f:
        f.write(text)
    server = os.path.join(ROOT, "target", "release", "chat-server")
    if not os.path.exists(server):
        fail("no release build to check the configuration with")
    data = os.path.join(world.dir, f".config-{n}-data")
    world.start_server(f"{shlex.quote(server)} --config {shlex.quote(path)} --data-dir {shlex.quote(data)} "
                       f"--bind 127.0.0.1:0 --log-level info")
    world.stop_server()
    return said


def fixtures(world):
    """What the README's examples take as given: a certificate of one's
    own (from a certificate authority) and lines for a script."""
    certs = os.path.join(world.dir, "certs")
    os.mkdir(certs)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1",
                    "-keyout", os.path.join(certs, "privkey.pem"), "-out", os.path.join(certs, "fullchain.pem")],
                   check=True, capture_output=True)
    with open(os.path.join(world.dir, "lines.txt"), "w") as f:
        f.write("hello from a script\n/viewusers\n")


def main():
    text = read(README)
    world = World()
    world.pending_talkers = []
    fixtures(world)
    passed = failed = 0
    print(f"README commands in {world.dir}")
    try:
        for n, (info, line, body) in enumerate(blocks(text)):
            if info in ("", "text") or info.startswith("rust"):
                continue
            steps = []
            if info == "sh":
                steps = [(f"{c}", lambda c=c, k=k: run_sh(world, c, k)) for c, k in commands(body)]
                steps.append(("(the people of the block talk, then quit)", lambda: end_of_block(world)))
            elif info in IRC:
                steps = [(f"{info}: " + " / ".join(l for l in body if l.strip()), lambda: run_irc(world, info, body))]
            elif info == "ron":
                steps = [(f"ron block at line {line}", lambda: run_ron(world, body, n))]
            else:
                steps = [(f"```{info} at line {line}", lambda: fail(f"no way to run a ```{info} block"))]
            for what, step in steps:
                try:
                    said = step()
                    passed += 1
                    if said:
                        print(f"ok   README:{line}: {what}  -> {said}")
                except Exception as e:
                    failed += 1
                    print(f"FAIL README:{line}: {what}\n     {e}")
            if failed:
                break
    finally:
        try:
            world.stop_all()
        except Exception as e:
            failed += 1
            print(f"FAIL stopping: {e}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
