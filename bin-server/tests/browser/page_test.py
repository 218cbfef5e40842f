#!/usr/bin/env python3
"""The chat page in a real browser: Debian's chromium driven by Playwright.

Starts target/debug/chat-server with a WebSocket listener on loopback,
then two browser users and one chat/1 TCP client talk to each other; one
user goes busy and comes back; the admin kicks one; a message made of HTML
shows as text and runs nothing; a restart reconnects the page; a shutdown
shows its notice. Prints 'N passed, N failed' and exits non-zero on any
failure.

Usage: page_test.py [--screenshot PATH]
"""

import os
import re
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


class Server:
    """chat-server on loopback, its log read on a thread."""

    def __init__(self, tmp):
        cfg = os.path.join(tmp, "test.ron")
        with open(cfg, "w") as f:
            f.write("(hash: (memory_kib: 8, iterations: 1, parallelism: 1), "
                    "limits: (exempt_loopback: true, command_units_per_second: 0))")
        pw = os.path.join(tmp, "admin.pw")
        with open(pw, "w") as f:
            f.write(PASSWORD + "\n")
        self.proc = subprocess.Popen(
            [SERVER, "--bind", "127.0.0.1:0", "--ws", "127.0.0.1:0",
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


class Tcp:
    """A chat/1 client on plain TCP."""

    def __init__(self, addr, name):
        host, port = addr.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=TIMEOUT / 1000)
        self.buf = b""
        self.send(f"/register {name} {PASSWORD}")
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
    expect(page.locator("#login")).to_be_hidden()
    expect(page.locator("#chat")).to_be_visible()


def log_row(page, text):
    return page.locator("#log li", has_text=text)


def main():
    shot = None
    if len(sys.argv) == 3 and sys.argv[1] == "--screenshot":
        shot = sys.argv[2]
    passed, failed = 0, 0
    tmp = tempfile.mkdtemp(prefix="chat-browser-")
    server = Server(tmp)
    url = f"http://{server.web}/"
    dialogs = []
    try:
        with sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(
                os.path.join(tmp, "profile"), executable_path="/usr/bin/chromium",
                headless=True, args=CHROMIUM_ARGS, viewport={"width": 1000, "height": 640})
            alice, bob = ctx.new_page(), ctx.new_page()
            for page in (alice, bob):
                page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            carol = None

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
                nonlocal carol
                enter(alice, url, "alice")
                enter(bob, url, "bob")
                carol = Tcp(server.tcp, "carol")
                expect(alice.locator("#users li[data-name=carol]")).to_be_visible(timeout=TIMEOUT)

            def chat():
                alice.fill("#text", "hello from the browser")
                alice.press("#text", "Enter")
                expect(log_row(bob, "hello from the browser")).to_be_visible(timeout=TIMEOUT)
                assert "alice hello from the browser" in carol.expect("MSG ", "browser")
                carol.send("hi alice, from tcp")
                row = log_row(alice, "hi alice, from tcp")
                expect(row).to_be_visible(timeout=TIMEOUT)
                expect(row).to_have_class(re.compile("mention"))
                expect(row.locator("time")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))

            def private():
                bob.click("#users li[data-name=alice] .name")
                bob.fill("#text", "just for you")
                bob.press("#text", "Enter")
                expect(alice.locator("#log li.pm", has_text="just for you")).to_be_visible(timeout=TIMEOUT)
                bob.click("#to")

            def html_is_text():
                bob.fill("#text", "<img src=x onerror=alert(1)>")
                bob.press("#text", "Enter")
                row = log_row(alice, "<img src=x onerror=alert(1)>")
                expect(row).to_be_visible(timeout=TIMEOUT)
                assert alice.locator("#log img").count() == 0
                assert bob.locator("#log img").count() == 0
                assert not dialogs, dialogs

            def busy_and_back():
                alice.click("#busy")
                expect(alice.locator("#free")).to_be_visible(timeout=TIMEOUT)
                expect(alice.locator("#users li[data-name=alice] .tag.busy")).to_be_visible(timeout=TIMEOUT)
                expect(bob.locator("#users li[data-name=alice] .tag.busy")).to_be_visible(timeout=TIMEOUT)
                carol.send("said while alice was busy")
                expect(log_row(bob, "said while alice was busy")).to_be_visible(timeout=TIMEOUT)
                assert log_row(alice, "said while alice was busy").count() == 0
                alice.click("#free")
                expect(log_row(alice, "said while alice was busy")).to_be_visible(timeout=TIMEOUT)
                expect(bob.locator("#users li[data-name=alice] .tag.busy")).to_have_count(0, timeout=TIMEOUT)

            def admin_kicks():
                assert alice.locator(".admin-action").count() == 0
                root = ctx.new_page()
                root.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
                enter(root, url, "root", register=False)
                kick = root.locator("#users li[data-name=bob] .admin-action", has_text="kick")
                expect(kick).to_be_visible(timeout=TIMEOUT)
                if shot:
                    alice.screenshot(path=shot)
                kick.click()
                expect(bob.locator("#notice")).to_contain_text("kicked by root", timeout=TIMEOUT)
                assert "bob" in carol.expect("LEAVE ", " bob ")
                root.close()

            def restart_reconnects():
                carol.send("/quit")
                root = Tcp.__new__(Tcp)
                host, port = server.tcp.rsplit(":", 1)
                root.sock = socket.create_connection((host, int(port)), timeout=TIMEOUT / 1000)
                root.buf = b""
                root.send(f"/login root {PASSWORD}")
                root.expect("WELCOME ")
                root.send("/restart")
                expect(alice.locator("#notice")).to_contain_text("Reconnected", timeout=TIMEOUT * 2)
                alice.fill("#text", "back after the restart")
                alice.press("#text", "Enter")
                expect(log_row(alice, "back after the restart")).to_be_visible(timeout=TIMEOUT)

            def shutdown_notice():
                server.stop()
                expect(alice.locator("#notice")).to_contain_text("shutting down", timeout=TIMEOUT)

            for name, fn in [
                ("two browser users and a TCP user register", register_all),
                ("they chat; a mention is highlighted; times shown", chat),
                ("a private message", private),
                ("HTML in a message is text and runs nothing", html_is_text),
                ("busy holds room lines, free replays them", busy_and_back),
                ("admin actions for admins only; a kick is shown", admin_kicks),
                ("a restart is announced and the page reconnects", restart_reconnects),
                ("a shutdown is announced", shutdown_notice),
            ]:
                check(name, fn)
                if failed:
                    break
            ctx.close()
    finally:
        server.stop()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
