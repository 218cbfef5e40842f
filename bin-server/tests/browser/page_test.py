#!/usr/bin/env python3
"""The chat page in a real browser: Debian's chromium driven by Playwright.

Starts target/debug/chat-server with a WebSocket listener on loopback.
alice uses the page on a desktop-size screen (1280x800), bob on a
phone-size one (390x844), carol and others speak chat/1 over TCP. They
talk in the lobby and in rooms (created, joined, given a topic from the
page and by command), read a room's history and its older lines by
scrolling up, talk privately, ask for every listing, see errors as
sentences, go busy and free; a line made of HTML stays text; an admin
kicks; the layout is checked at both sizes (nothing scrolls sideways,
words are not broken, the input and Send are on screen, the people are a
drawer on the phone) and a user does it all with the keyboard alone; the
page reconnects after /restart and after the server is killed and
started again; a shutdown shows its notice. Prints 'N passed, N failed'
and exits non-zero on any failure.

Usage: page_test.py [--screenshots DIR]   (DIR/page-desktop.png, DIR/page-phone.png)
"""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from playwright.sync_api import sync_playwright, expect

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TARGET = os.path.join(ROOT, os.environ.get("CARGO_TARGET_DIR", "target"))
SERVER = os.path.join(TARGET, "debug", "chat-server")
PASSWORD = "password-123"
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
TIMEOUT = 10_000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# Protocol lines a person should never see.
RAW = re.compile(r"^(HELLO|ASK|OK|WELCOME|ERR|MSG|PM|JOIN|LEAVE|INFO|USER|KICKED|END|CTL|PONG|"
                 r"RMSG|RJOIN|RLEAVE|TOPIC|ROOM|HIST) ")


class Server:
    """chat-server on loopback, its log read on a thread. Started again on
    the same addresses and data when `tcp` and `web` are given."""

    def __init__(self, tmp, tcp="127.0.0.1:0", web="127.0.0.1:0"):
        cfg = os.path.join(tmp, "test.ron")
        with open(cfg, "w") as f:
            f.write("(hash: (memory_kib: 8, iterations: 1, parallelism: 1), "
                    "limits: (exempt_loopback: true, command_units_per_second: 0, "
                    "messages_per_second: 0))")
        pw = os.path.join(tmp, "admin.pw")
        with open(pw, "w") as f:
            f.write(PASSWORD + "\n")
        self.proc = subprocess.Popen(
            [SERVER, "--bind", tcp, "--ws", web,
             "--data-dir", os.path.join(tmp, "data"), "--config", cfg,
             "--admin", "root", "--admin-password-file", pw, "--log-level", "info"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        self.tcp = self.wait_log(r"listening on (\S+)$")
        self.web = self.wait_log(r"listening on (\S+) \(Ws, Chat1\)")

    def _read(self):
        for line in self.proc.stderr:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()

    def wait_log(self, pattern, timeout=20):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    m = re.search(pattern, line)
                    if m:
                        return m.group(1) if m.groups() else line
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise AssertionError(f"no log line {pattern!r}: {self.lines}")
                self.cond.wait(left)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)

    def kill(self):
        """Gone without a word to anyone, as in a crash."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=20)


class Tcp:
    """A chat/1 client on plain TCP."""

    def __init__(self, addr, name, login=False):
        host, port = addr.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=TIMEOUT / 1000)
        self.buf = b""
        self.send(f"/{'login' if login else 'register'} {name} {PASSWORD}")
        self.expect("WELCOME ")

    def send(self, line):
        self.sock.sendall(line.encode() + b"\n")

    def expect(self, prefix, contains=""):
        while True:
            while b"\n" not in self.buf:
                chunk = self.sock.recv(65536)
                assert chunk, f"closed while waiting for {prefix!r}"
                self.buf += chunk
            line, self.buf = self.buf.split(b"\n", 1)
            text = line.decode()
            if text.startswith(prefix) and contains in text:
                return text


def enter(page, url, name, register=True):
    page.goto(url)
    expect(page.locator("#chat")).to_be_hidden()
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("#do-register" if register else "#do-login")
    expect(page.locator("#me")).to_contain_text(name, timeout=TIMEOUT)
    expect(page.locator("#login-view")).to_be_hidden()
    expect(page.locator("#chat")).to_be_visible()


def lines(page):
    """The lines of the conversation shown."""
    return page.locator(".log-scroll:not([hidden]) .log > li")


def line(page, text):
    return lines(page).filter(has_text=text)


def exactly(page, text):
    """The lines whose text is `text`, and no more."""
    return lines(page).filter(has=page.locator(".text", has_text=re.compile("^" + re.escape(text) + "$")))


def say(page, text):
    page.fill("#text", text)
    page.press("#text", "Enter")


def nav_entry(page, name):
    """The entry of a conversation in the list of rooms and people."""
    return page.locator(".view-button").filter(
        has=page.locator(".view-name", has_text=re.compile("^" + re.escape(name) + "$")))


def open_drawer(page, which):
    """On a phone the rooms and people are drawers; on a desktop columns."""
    button = page.locator("#open-nav" if which == "nav" else "#open-members")
    if button.is_visible():
        if button.get_attribute("aria-expanded") != "true":
            button.click()
        expect(page.locator("#nav" if which == "nav" else "#members")).to_be_in_viewport(timeout=TIMEOUT)


def go(page, name):
    """Opens a conversation from the list, as a person would."""
    open_drawer(page, "nav")
    nav_entry(page, name).click()
    expect(page.locator("#view-title")).to_have_text(
        re.compile(("Private: " + re.escape(name)) if not name.startswith("#") else re.escape(name) + "$"))


def layout_problems(page):
    """What is wrong with the layout as shown: sideways scrolling, a
    word broken inside that would fit on a line, the input or Send off
    screen."""
    return page.evaluate("""() => {
        const out = [];
        const w = window.innerWidth, h = window.innerHeight;
        const doc = document.documentElement;
        if (doc.scrollWidth > w) out.push("the page scrolls sideways: " + doc.scrollWidth + " > " + w);
        for (const s of document.querySelectorAll(".log-scroll:not([hidden])")) {
            if (s.scrollWidth > s.clientWidth + 1) out.push("the log is wider than its column: " + s.scrollWidth + " > " + s.clientWidth);
        }
        for (const id of ["text", "send-button"]) {
            const r = document.getElementById(id).getBoundingClientRect();
            if (r.width === 0 || r.left < 0 || r.right > w || r.top < 0 || r.bottom > h) {
                out.push("#" + id + " is not on screen: " + JSON.stringify(r));
            }
        }
        const scroller = document.querySelector(".log-scroll:not([hidden])");
        const room = scroller ? scroller.clientWidth : w;
        const walk = document.createTreeWalker(scroller || document.body, NodeFilter.SHOW_TEXT);
        for (let n = walk.nextNode(); n; n = walk.nextNode()) {
            if (!n.parentElement || n.parentElement.closest("[hidden]")) continue;
            const re = /\\S+/g;
            let m;
            while ((m = re.exec(n.data))) {
                const r = document.createRange();
                r.setStart(n, m.index);
                r.setEnd(n, m.index + m[0].length);
                const rects = [...r.getClientRects()].filter((x) => x.width > 0);
                const tops = new Set(rects.map((x) => Math.round(x.top)));
                const width = r.getBoundingClientRect().width;
                if (tops.size > 1 && rects.reduce((a, x) => a + x.width, 0) < room - 8) {
                    out.push("the word " + JSON.stringify(m[0]) + " is broken across lines");
                }
            }
        }
        return out;
    }""")


def focus_is_visible(page):
    """The element with the focus has a visible outline."""
    return page.evaluate("""() => {
        const e = document.activeElement;
        if (!e || e === document.body) return false;
        const s = getComputedStyle(e);
        return s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2;
    }""")


def tab_to(page, selector, back=False, limit=60):
    """Presses Tab (or Shift-Tab) until `selector` has the focus."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"{selector} cannot be reached with the keyboard")


def raw_lines_shown(page):
    """Texts on the page that are protocol lines."""
    texts = page.evaluate("""() => [...document.querySelectorAll(".log .text, .log td, .log caption, #notice, #topic")]
        .map((e) => e.textContent)""")
    return [t for t in texts if RAW.match(t)]


def main():
    shots = None
    if len(sys.argv) == 3 and sys.argv[1] == "--screenshots":
        shots = sys.argv[2]
    passed, failed = 0, 0
    tmp = tempfile.mkdtemp(prefix="chat-browser-")
    servers = [Server(tmp)]
    url = f"http://{servers[0].web}/"
    dialogs = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)

            def new_page(size, phone=False):
                ctx = browser.new_context(viewport=size, is_mobile=phone, has_touch=phone)
                page = ctx.new_page()
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                page.on("pageerror", lambda e: dialogs.append(f"script error: {e}"))
                return page

            alice, bob = new_page(DESKTOP), new_page(PHONE, phone=True)
            tcp = {}

            def check(name, fn):
                nonlocal passed, failed
                try:
                    fn()
                    passed += 1
                    print(f"ok   {name}")
                except Exception as e:  # report every check, then fail
                    failed += 1
                    print(f"FAIL {name}: {e}")

            def register_all():
                enter(alice, url, "alice")
                enter(bob, url, "bob")
                tcp["carol"] = Tcp(servers[0].tcp, "carol")
                open_drawer(alice, "members")
                expect(alice.locator("#member-list li[data-name=carol]")).to_be_visible(timeout=TIMEOUT)
                expect(nav_entry(alice, "#lobby")).to_have_attribute("aria-current", "page")
                assert not (alice.locator("link[rel=icon]").get_attribute("href") or "").startswith("http")

            def lobby_and_mention():
                say(alice, "hello from the browser")
                expect(line(bob, "hello from the browser")).to_be_visible(timeout=TIMEOUT)
                assert "alice hello from the browser" in tcp["carol"].expect("MSG ", "browser")
                tcp["carol"].send("hi alice, from tcp")
                row = line(alice, "hi alice, from tcp")
                expect(row).to_be_visible(timeout=TIMEOUT)
                expect(row).to_have_class(re.compile("mention"))
                expect(line(bob, "hi alice, from tcp")).not_to_have_class(re.compile("mention"))
                expect(row.locator("time")).to_have_text(re.compile(r"^\d\d:\d\d$"))

            def rooms():
                # alice creates a room from the page and gives it a topic.
                alice.fill("#join-name", "rust")
                alice.click("#do-create")
                expect(alice.locator("#view-title")).to_have_text("#rust", timeout=TIMEOUT)
                expect(nav_entry(alice, "#rust")).to_have_attribute("aria-current", "page")
                expect(line(alice, "you are its operator")).to_be_visible()
                alice.click("#edit-topic")
                alice.fill("#topic-text", "All about Rust")
                alice.press("#topic-text", "Enter")
                expect(alice.locator("#topic")).to_contain_text("All about Rust", timeout=TIMEOUT)
                say(alice, "the first line in rust")
                expect(line(alice, "the first line in rust")).to_be_visible(timeout=TIMEOUT)
                # fern joins without a word: only the room's member list
                # tells bob she is there.
                tcp["fern"] = Tcp(servers[0].tcp, "fern")
                tcp["fern"].send("/join rust")
                tcp["fern"].expect("RJOIN ", " fern")
                # bob joins by command on the phone: its topic and history.
                say(bob, "/join rust")
                expect(bob.locator("#view-title")).to_have_text("#rust", timeout=TIMEOUT)
                expect(bob.locator("#topic")).to_contain_text("All about Rust")
                earlier = line(bob, "the first line in rust")
                expect(earlier).to_be_visible(timeout=TIMEOUT)
                expect(earlier).to_have_class(re.compile("earlier"))
                expect(line(alice, "bob joined")).to_be_visible(timeout=TIMEOUT)
                for name in ("alice", "bob", "fern"):
                    expect(bob.locator(f"#members li[data-name={name}]")).to_have_count(1, timeout=TIMEOUT)
                say(bob, "hello rust, from the phone")
                expect(line(alice, "hello rust, from the phone")).to_be_visible(timeout=TIMEOUT)
                expect(line(bob, "hello rust, from the phone")).to_be_visible()
                assert line(alice, "hello rust, from the phone").count() == 1
                # The lobby is first; a line there while alice is in #rust
                # counts as unread, a mention stands out.
                first = alice.locator("#rooms .view-name").first
                expect(first).to_have_text("#lobby")
                tcp["carol"].send("alice, are you there?")
                badge = nav_entry(alice, "#lobby").locator(".badge")
                expect(badge).to_have_text("1", timeout=TIMEOUT)
                expect(badge).to_have_class(re.compile("mention"))
                go(alice, "#lobby")
                expect(badge).to_be_hidden()
                expect(line(alice, "alice, are you there?")).to_be_visible()
                go(alice, "#rust")

            def older_lines():
                carol = tcp["carol"]
                carol.send("/join rust")
                carol.expect("RJOIN ", " carol")
                for i in range(120):
                    carol.send(f"/say rust line {i:03} of the backlog")
                    carol.expect("RMSG ", f"line {i:03}")
                    # Each line its own millisecond: history pages by time.
                    time.sleep(0.003)
                erin = new_page(PHONE, phone=True)
                enter(erin, url, "erin")
                say(erin, "/join rust")
                expect(line(erin, "line 119 of the backlog")).to_be_visible(timeout=TIMEOUT)
                expect(line(erin, "line 070 of the backlog")).to_be_visible()
                assert line(erin, "line 069 of the backlog").count() == 0
                expect(erin.locator(".log-scroll:not([hidden]) .older")).to_be_visible()
                # Scrolling to the top brings the older lines, page by page.
                for want in ("line 020 of", "the first line in rust"):
                    erin.locator(".log-scroll:not([hidden])").evaluate("(s) => { s.scrollTop = 0; }")
                    expect(line(erin, want)).to_have_count(1, timeout=TIMEOUT)
                erin.locator(".log-scroll:not([hidden])").evaluate("(s) => { s.scrollTop = 0; }")
                expect(erin.locator(".log-scroll:not([hidden]) .log-start")).to_have_text("The start of #rust.", timeout=TIMEOUT)
                said = erin.locator(".log-scroll:not([hidden]) .log > li.msg .text").all_text_contents()
                backlog = [t for t in said if t.endswith("of the backlog")]
                assert backlog == [f"line {i:03} of the backlog" for i in range(120)], backlog[:5]
                assert said[0] == "the first line in rust", said[:3]
                erin.context.close()

            def private():
                go(bob, "#lobby")
                open_drawer(bob, "members")
                bob.locator("#member-list li[data-name=alice] button.name").click()
                expect(bob.locator("#view-title")).to_have_text("Private: alice", timeout=TIMEOUT)
                say(bob, "just for you")
                sent = exactly(bob, "just for you")
                expect(sent).to_be_visible()
                expect(sent).not_to_have_class(re.compile("pending"), timeout=TIMEOUT)
                entry = nav_entry(alice, "bob")
                expect(entry.locator(".badge")).to_have_text("1", timeout=TIMEOUT)
                go(alice, "bob")
                expect(exactly(alice, "just for you")).to_have_class(re.compile("pm-in"))
                say(alice, "and just for you")
                expect(line(bob, "and just for you")).to_be_visible(timeout=TIMEOUT)
                tcp["carol"].send("/msg alice a word in private")
                expect(nav_entry(alice, "carol").locator(".badge")).to_have_text("1", timeout=TIMEOUT)
                go(alice, "carol")
                expect(line(alice, "a word in private")).to_have_count(1)
                # Private lines come back as that conversation's history.
                alice.reload()
                enter(alice, url, "alice", register=False)
                alice.fill("#text", "/msg bob back again")
                alice.press("#text", "Enter")
                go(alice, "bob")
                expect(exactly(alice, "just for you")).to_have_count(1, timeout=TIMEOUT)
                expect(exactly(alice, "and just for you")).to_have_count(1)
                expect(exactly(alice, "back again")).to_have_count(1)
                say(alice, "/join rust")
                expect(alice.locator("#view-title")).to_have_text("#rust", timeout=TIMEOUT)

            def listings():
                say(alice, "/rooms")
                table = lines(alice).filter(has=alice.locator("caption", has_text="Rooms")).last
                expect(table.locator("td", has_text="#rust")).to_be_visible(timeout=TIMEOUT)
                expect(table.locator("td", has_text="All about Rust")).to_be_visible()
                say(alice, "/viewusers")
                table = lines(alice).filter(has=alice.locator("caption", has_text="Online")).last
                expect(table.locator("td", has_text="carol")).to_be_visible(timeout=TIMEOUT)
                alice.click("#view-kicked")
                table = lines(alice).filter(has=alice.locator("caption", has_text="Kick list")).last
                expect(table).to_contain_text("None.", timeout=TIMEOUT)
                say(alice, "/names rust")
                table = lines(alice).filter(has=alice.locator("caption", has_text="In #rust")).last
                expect(table.locator("td", has_text="fern")).to_be_visible(timeout=TIMEOUT)
                expect(table).to_contain_text(re.compile(r"\d+ in #rust\."))
                say(alice, "/history rust 5")
                table = lines(alice).filter(has=alice.locator("caption", has_text="Earlier lines of #rust")).last
                expect(table.locator("tbody tr")).to_have_count(5, timeout=TIMEOUT)
                expect(table.locator("button", has_text="Earlier lines")).to_be_visible()
                alice.click("#help")
                table = lines(alice).filter(has=alice.locator("caption", has_text="Commands")).last
                expect(table.locator("td", has_text="/join")).to_be_visible(timeout=TIMEOUT)
                say(alice, "/ping")
                expect(line(alice, "The server answered your ping")).to_be_visible(timeout=TIMEOUT)
                # The phone shows a listing too, one row a block.
                say(bob, "/rooms")
                expect(lines(bob).filter(has=bob.locator("caption", has_text="Rooms")).last).to_be_visible(timeout=TIMEOUT)
                assert not raw_lines_shown(alice), raw_lines_shown(alice)
                assert not raw_lines_shown(bob), raw_lines_shown(bob)

            def errors_are_sentences():
                say(alice, "/join nosuchroom")
                err = line(alice, "No room named nosuchroom.")
                expect(err).to_be_visible(timeout=TIMEOUT)
                expect(err).to_have_class(re.compile("err"))
                err.locator("button", has_text="Create #nosuchroom").click()
                expect(alice.locator("#view-title")).to_have_text("#nosuchroom", timeout=TIMEOUT)
                alice.click("#close-room")
                expect(nav_entry(alice, "#nosuchroom")).to_have_count(0, timeout=TIMEOUT)
                say(alice, "/frobnicate")
                expect(lines(alice).last).to_have_class(re.compile("err"), timeout=TIMEOUT)
                say(alice, "/msg nobody-here hello?")
                expect(exactly(alice, "nobody-here is not online.")).to_have_class(re.compile("err"), timeout=TIMEOUT)
                go(alice, "bob")
                alice.fill("#text", "/query nobody-here")
                alice.press("#text", "Enter")
                expect(alice.locator("#view-title")).to_have_text("Private: nobody-here")
                say(alice, "anyone?")
                expect(line(alice, "not sent: nobody-here is not online.")).to_be_visible(timeout=TIMEOUT)
                alice.click("#close-private")
                expect(nav_entry(alice, "nobody-here")).to_have_count(0)
                go(alice, "#rust")
                assert not raw_lines_shown(alice), raw_lines_shown(alice)

            def html_is_text():
                go(bob, "#rust")
                say(bob, "<img src=x onerror=alert(1)>")
                row = line(alice, "<img src=x onerror=alert(1)>")
                expect(row).to_be_visible(timeout=TIMEOUT)
                assert alice.locator(".log img").count() == 0
                assert bob.locator(".log img").count() == 0
                assert not dialogs, dialogs

            def busy_and_back():
                go(alice, "#lobby")
                open_drawer(alice, "nav")
                alice.click("#busy")
                expect(alice.locator("#free")).to_be_visible(timeout=TIMEOUT)
                expect(alice.locator("#status")).to_contain_text("busy")
                tcp["carol"].send("said while alice was busy")
                expect(line(bob, "said while alice was busy")).to_have_count(0)
                go(bob, "#lobby")
                expect(line(bob, "said while alice was busy")).to_be_visible(timeout=TIMEOUT)
                assert line(alice, "said while alice was busy").count() == 0
                alice.click("#free")
                expect(line(alice, "said while alice was busy")).to_be_visible(timeout=TIMEOUT)
                expect(line(alice, re.compile("held lines? replayed"))).to_be_visible(timeout=TIMEOUT)

            def layout(page, size):
                def run():
                    go(page, "#rust")
                    say(page, "supercalifragilistic words like extraordinarily "
                        "long incomprehensibilities wrap between words, never inside them "
                        + "https://example.org/" + "a" * 120)
                    expect(line(page, "supercalifragilistic").last).to_be_visible(timeout=TIMEOUT)
                    for where in ("#rust", "#lobby"):
                        go(page, where)
                        problems = layout_problems(page)
                        assert not problems, f"{size}: {problems}"
                    members = page.locator("#members")
                    if size == "phone":
                        # The people are a drawer, out of the way until asked for.
                        expect(members).not_to_be_in_viewport()
                        expect(page.locator("#nav")).not_to_be_in_viewport()
                        open_drawer(page, "members")
                        expect(members.locator("li[data-name=alice]")).to_be_in_viewport()
                        page.keyboard.press("Escape")
                        expect(members).not_to_be_in_viewport()
                    else:
                        expect(members).to_be_in_viewport()
                        expect(page.locator("#nav")).to_be_in_viewport()
                return run

            def keyboard_only():
                for size, phone in ((PHONE, True), (DESKTOP, False)):
                    name = "kbd" + ("phone" if phone else "desk")
                    page = new_page(size, phone=phone)
                    page.goto(url)
                    tab_to(page, "#name")
                    assert focus_is_visible(page), "no visible focus on the name field"
                    page.keyboard.type(name)
                    tab_to(page, "#password")
                    page.keyboard.type(PASSWORD)
                    tab_to(page, "#do-register")
                    assert focus_is_visible(page), "no visible focus on Register"
                    page.keyboard.press("Enter")
                    expect(page.locator("#me")).to_contain_text(name, timeout=TIMEOUT)
                    expect(page.locator("#text")).to_be_focused()
                    page.keyboard.type(f"{name} typed without a mouse")
                    page.keyboard.press("Enter")
                    expect(line(page, f"{name} typed without a mouse")).to_be_visible(timeout=TIMEOUT)
                    # To the rooms (a drawer on the phone), join one.
                    if phone:
                        tab_to(page, "#open-nav", back=True)
                        page.keyboard.press("Enter")
                        expect(page.locator("#nav")).to_be_in_viewport(timeout=TIMEOUT)
                        tab_to(page, "#join-name")
                    else:
                        tab_to(page, "#join-name", back=True)
                    page.keyboard.type("rust")
                    page.keyboard.press("Enter")
                    expect(page.locator("#view-title")).to_have_text("#rust", timeout=TIMEOUT)
                    expect(page.locator("#text")).to_be_focused()
                    page.keyboard.type(f"{name} in rust by keyboard")
                    page.keyboard.press("Enter")
                    expect(line(page, f"{name} in rust by keyboard")).to_be_visible(timeout=TIMEOUT)
                    # Alt-Up and Alt-Down step through the conversations.
                    page.keyboard.press("Alt+ArrowUp")
                    expect(page.locator("#view-title")).to_have_text("#lobby")
                    page.keyboard.press("Alt+ArrowDown")
                    expect(page.locator("#view-title")).to_have_text("#rust")
                    tab_to(page, "#send-button")
                    assert focus_is_visible(page), "no visible focus on Send"
                    tab_to(page, "#part", back=True)
                    page.keyboard.press("Enter")
                    expect(page.locator("#view-title")).to_have_text("#lobby", timeout=TIMEOUT)
                    page.context.close()

            def admin_kicks():
                assert alice.locator("#member-list .actions").count() == 0
                tcp["dave"] = Tcp(servers[0].tcp, "dave")
                root = new_page(DESKTOP)
                enter(root, url, "root", register=False)
                expect(root.locator("#me")).to_have_text("root (admin)")
                kick = root.locator("#member-list li[data-name=dave] button", has_text="kick")
                expect(kick).to_be_visible(timeout=TIMEOUT)
                kick.click()
                assert "dave" in tcp["carol"].expect("LEAVE ", " dave ")
                go(alice, "#lobby")
                expect(line(alice, "dave was kicked by an admin.")).to_be_visible(timeout=TIMEOUT)
                root.click("#view-kicked")
                table = lines(root).filter(has=root.locator("caption", has_text="Kick list")).last
                expect(table.locator("td", has_text="dave")).to_be_visible(timeout=TIMEOUT)
                table.locator("button", has_text="Unkick").click()
                expect(line(root, "dave is off the kick list")).to_be_visible(timeout=TIMEOUT)
                root.locator("#member-list li[data-name=carol] button", has_text="make admin").click()
                tcp["carol"].expect("CTL grant 0")
                root.context.close()

            def screenshots():
                # A room as the README shows it: a topic, people talking, a
                # mention, unread lines elsewhere.
                carol = tcp["carol"]
                say(alice, "/create tea")
                expect(alice.locator("#view-title")).to_have_text("#tea", timeout=TIMEOUT)
                say(alice, "/topic tea Brewing, blends and biscuits")
                expect(alice.locator("#topic")).to_contain_text("Brewing", timeout=TIMEOUT)
                say(bob, "/join tea")
                expect(bob.locator("#view-title")).to_have_text("#tea", timeout=TIMEOUT)
                carol.send("/join tea")
                carol.expect("RJOIN ", " carol")
                for who, text in [
                    (carol, "morning! the oolong from the market arrived"),
                    (alice, "lovely, how long do you steep it?"),
                    (carol, "three minutes at 85 degrees; alice, the second brew is the best one"),
                    (bob, "writing that down, thanks"),
                    (alice, "I'll bring the biscuits on Friday"),
                ]:
                    if who is carol:
                        carol.send("/say tea " + text)
                    else:
                        say(who, text)
                    expect(line(alice, text)).to_be_visible(timeout=TIMEOUT)
                    expect(line(bob, text)).to_be_visible(timeout=TIMEOUT)
                carol.send("/say rust the 0.3 release is out, have a look")
                carol.send("/msg alice lunch at noon?")
                expect(nav_entry(alice, "carol").locator(".badge")).to_have_text("1", timeout=TIMEOUT)
                expect(nav_entry(alice, "#rust").locator(".badge")).to_be_visible(timeout=TIMEOUT)
                expect(line(alice, "the second brew")).to_have_class(re.compile("mention"))
                for page in (alice, bob):
                    page.locator(".log-scroll:not([hidden])").evaluate("(s) => { s.scrollTop = s.scrollHeight; }")
                if shots:
                    alice.screenshot(path=os.path.join(shots, "page-desktop.png"))
                    bob.screenshot(path=os.path.join(shots, "page-phone.png"))
                go(alice, "#rust")
                go(bob, "#rust")

            def password_change():
                go(alice, "#rust")
                alice.click("#change-password")
                expect(alice.locator("#old-password")).to_be_focused()
                # A wrong current password: said in the form.
                alice.fill("#old-password", "not my password")
                alice.fill("#new-password", "a new pass phrase")
                alice.fill("#new-password-again", "a new pass phrase")
                alice.press("#new-password-again", "Enter")
                expect(alice.locator("#password-error")).to_have_text(re.compile("[Ww]rong"), timeout=TIMEOUT)
                # Too short: the server asks again, the form is fixed.
                alice.fill("#old-password", PASSWORD)
                alice.fill("#new-password", "short")
                alice.fill("#new-password-again", "short")
                alice.press("#new-password-again", "Enter")
                expect(alice.locator("#password-error")).to_contain_text("8 to 128", timeout=TIMEOUT)
                alice.fill("#new-password", "a new pass phrase")
                alice.fill("#new-password-again", "a new pass phrase")
                alice.press("#new-password-again", "Enter")
                expect(line(alice, "Your password was changed.")).to_be_visible(timeout=TIMEOUT)
                expect(alice.locator("#password-form")).to_be_hidden()
                # Nothing of it on the page, and the page works on.
                assert "a new pass phrase" not in alice.content()
                say(alice, "after the password change")
                expect(line(bob, "after the password change")).to_be_visible(timeout=TIMEOUT)

            def restart_reconnects():
                tcp["carol"].send("/quit")
                root = Tcp(servers[0].tcp, "root", login=True)
                root.send("/restart")
                expect(alice.locator("#notice")).to_contain_text("Reconnected", timeout=TIMEOUT * 2)
                expect(bob.locator("#notice")).to_contain_text("Reconnected", timeout=TIMEOUT * 2)
                # Still in #rust, and talking there.
                expect(bob.locator("#view-title")).to_have_text("#rust")
                say(alice, "back after the restart")
                expect(line(bob, "back after the restart")).to_be_visible(timeout=TIMEOUT)

            def switch_account():
                # dan, on a page of his own, is in #rust; he logs in as
                # gina (an account made over TCP): #rust was dan's, not hers.
                Tcp(servers[0].tcp, "gina").send("/quit")
                hal = Tcp(servers[0].tcp, "hal")
                dan = new_page(DESKTOP)
                tcp["dan-page"] = dan
                enter(dan, url, "dan")
                say(dan, "/join rust")
                expect(dan.locator("#view-title")).to_have_text("#rust", timeout=TIMEOUT)
                say(dan, f"/login gina {PASSWORD}")
                expect(dan.locator("#me")).to_contain_text("gina", timeout=TIMEOUT)
                expect(line(dan, "Logged in as gina.")).to_be_visible(timeout=TIMEOUT)
                expect(nav_entry(dan, "#rust")).to_have_count(0)
                expect(dan.locator("#view-title")).to_have_text("#lobby")
                hal.expect("LEAVE ", " dan quit")
                say(dan, "gina here now")
                assert "gina gina here now" in hal.expect("MSG ", "gina here now")

            def killed_and_started_again():
                old = servers[0]
                old.kill()
                expect(alice.locator("#notice")).to_contain_text("connection was lost", timeout=TIMEOUT)
                expect(alice.locator("#status")).to_have_text(re.compile("offline|reconnecting"))
                # Still on screen meanwhile.
                expect(line(alice, "back after the restart")).to_be_visible()
                servers.insert(0, Server(tmp, tcp=old.tcp, web=old.web))
                expect(alice.locator("#notice")).to_contain_text("Reconnected", timeout=TIMEOUT * 3)
                expect(bob.locator("#notice")).to_contain_text("Reconnected", timeout=TIMEOUT * 3)
                say(bob, "back after the crash")
                expect(line(alice, "back after the crash")).to_be_visible(timeout=TIMEOUT)
                assert line(alice, "back after the restart").count() == 1
                # The page that switched accounts came back as the new one.
                dan = tcp["dan-page"]
                expect(dan.locator("#notice")).to_contain_text("Reconnected", timeout=TIMEOUT * 3)
                expect(dan.locator("#me")).to_contain_text("gina")

            def shutdown_notice():
                servers[0].stop()
                expect(alice.locator("#notice")).to_contain_text("shutting down", timeout=TIMEOUT)

            for name, fn in [
                ("a desktop, a phone and a TCP user register", register_all),
                ("they chat; a mention is highlighted; times shown", lobby_and_mention),
                ("rooms: created and given a topic from the page, joined by command, unread counts", rooms),
                ("a room's history on joining, older lines by scrolling up", older_lines),
                ("private conversations as their own entries, with their history", private),
                ("listings as tables: rooms, people, kick list, history, commands", listings),
                ("errors are sentences, with a way on", errors_are_sentences),
                ("HTML in a message is text and runs nothing", html_is_text),
                ("busy holds lines, free replays them", busy_and_back),
                ("layout at 1280x800", layout(alice, "desktop")),
                ("layout at 390x844: drawers, no sideways scroll, Send on screen", layout(bob, "phone")),
                ("keyboard only, at both sizes", keyboard_only),
                ("admin: kick, kick list, unkick, grant", admin_kicks),
                ("screenshots", screenshots),
                ("a password change, with a wrong and a short password first", password_change),
                ("a restart is announced and the page reconnects (with the new password)", restart_reconnects),
                ("/login as another account: the old account's rooms are gone from the page", switch_account),
                ("killed and started again: the page keeps its lines and reconnects", killed_and_started_again),
                ("a shutdown is announced", shutdown_notice),
            ]:
                check(name, fn)
                if failed:
                    break
            browser.close()
    finally:
        for s in servers:
            s.stop()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
