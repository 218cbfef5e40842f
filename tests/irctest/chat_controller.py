"""irctest controller for chat-server's IRC listener.

irctest (https://github.com/progval/irctest) imports this module by name
(`pytest --controller chat_controller`, with this folder on PYTHONPATH);
`run.sh` beside it does that. The server under test is the binary named by
CHAT_SERVER_BIN (default: the workspace's target/release/chat-server).

Accounts are built into the server (as in ergo), so the controller runs no
separate services: irctest's `registerUser` registers the account over the
server's own chat/1 listener, and tests marked `services` run against the
server's NickServ and SASL.
"""

from __future__ import annotations

import os
from pathlib import Path
import socket
import subprocess
import time
from typing import Optional, Set, Type

from irctest.basecontrollers import BaseServerController, DirectoryBasedController
from irctest.cases import BaseServerTestCase
from irctest.runner import NotImplementedByController

REPO = Path(__file__).resolve().parents[2]
SERVER_BIN = Path(
    os.environ.get("CHAT_SERVER_BIN", REPO / "target" / "release" / "chat-server")
)

# The operator irctest's tests `OPER` as: an admin account the server
# creates on its first start (`--admin`, CHAT_ADMIN_PASSWORD).
OPER_NAME, OPER_PASSWORD = "operuser", "operpassword"

# Cheap password hashing (tests measure the protocol, not argon2), the
# server's name as irctest's other controllers call theirs, guests who may
# make channels (an open IRC server), passwords of 1 to 1,024 bytes (the
# suite registers `sesame`, and 600-byte ones to test long SASL payloads), and no
# per-address limits on loopback, where every irctest client comes from;
# a listing costs a line's budget and the burst is larger (the
# chathistory tests send up to sixteen CHATHISTORY in a row, each with a
# synchronising PING, over the default budget).
CONFIG = """(
    server_name: "My.Little.Server",
    irc_guests: true,
    irc_guest_rooms: true,
    hash: (memory_kib: 8, iterations: 1, parallelism: 1),
    limits: (
        exempt_loopback: true,
        min_password_bytes: 1,
        max_password_bytes: 1024,
        listing_cost: 1,
        command_burst: 200,
    ),
    listeners: [{listeners}],
    {tls}
)
"""


class ChatServerController(BaseServerController, DirectoryBasedController):
    software_name = "chat-server"
    supported_sasl_mechanisms: Set[str] = {"PLAIN"}
    supports_sts = False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The chat/1 connections that registered accounts (registerUser).
        self.registrations: list = []

    def run(
        self,
        hostname: str,
        port: int,
        *,
        password: Optional[str],
        ssl: bool,
        run_services: bool,
        faketime: Optional[str],
        websocket_hostname: Optional[str],
        websocket_port: Optional[int],
    ) -> None:
        if password is not None:
            # A server password in IRC is one secret for everyone; here
            # PASS carries an account's credentials instead.
            raise NotImplementedByController("PASS as a server-wide password")
        if not SERVER_BIN.exists():
            raise RuntimeError(
                f"{SERVER_BIN} does not exist: build it (cargo build --release "
                "-p bin-server) or set CHAT_SERVER_BIN"
            )
        assert self.proc is None
        self.create_config()
        assert self.directory
        self.hostname = hostname
        self.port = port
        # The chat/1 listener, for registerUser.
        chat_host, chat_port = self.get_hostname_and_port()
        self.chat1 = (chat_host, chat_port)

        listeners = []
        tls = ""
        if ssl:
            self.gen_ssl()
            listeners.append(
                f'(bind: "{hostname}:{port}", transport: Tls, protocol: Irc)'
            )
            tls = f'tls: Some((cert: "{self.pem_path}", key: "{self.key_path}")),'
            irc_bind = None
        else:
            irc_bind = f"{hostname}:{port}"
        if websocket_hostname is not None and websocket_port is not None:
            listeners.append(
                f'(bind: "{websocket_hostname}:{websocket_port}", transport: Ws, '
                "protocol: Irc)"
            )
        with self.open_file("server.ron") as fd:
            fd.write(CONFIG.format(listeners=", ".join(listeners), tls=tls))

        args = [
            str(SERVER_BIN),
            "--data-dir",
            str(self.directory / "data"),
            "--bind",
            f"{chat_host}:{chat_port}",
            "--config",
            str(self.directory / "server.ron"),
            "--log-level",
            "warn",
            "--admin",
            OPER_NAME,
        ]
        if irc_bind is not None:
            args += ["--irc-bind", irc_bind]
        env = dict(
            os.environ, CHAT_STORE_KEY="00" * 32, CHAT_ADMIN_PASSWORD=OPER_PASSWORD
        )
        self.proc = self.execute(args, env=env)

    def wait_for_services(self) -> None:
        """Accounts are built in: the services are up once the server
        listens."""
        self.wait_for_port()

    def registerUser(
        self,
        case: BaseServerTestCase,
        username: str,
        password: Optional[str] = None,
    ) -> None:
        """Registers the account over chat/1: `/register <name> <password>`.

        The registering connection stays logged in until the test's client
        logs in to the account, taking the session over (which IRC clients
        are not shown: the user is still on the server), or until the
        server stops: its `QUIT` in `#lobby` would otherwise be the line a
        test reads where it waits for its own."""
        assert password
        deadline = time.monotonic() + 10
        while True:
            try:
                sock = socket.create_connection(self.chat1, timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        sock.sendall(f"/register {username} {password}\n".encode())
        seen = b""
        while b"\nWELCOME " not in seen and b"\nERR " not in seen:
            chunk = sock.recv(4096)
            if not chunk:
                break
            seen += chunk
        if b"\nWELCOME " not in seen:
            sock.close()
            raise RuntimeError(f"could not register {username}: {seen!r}")
        # Kept open (see above), and never read again: the server's
        # output window holds what it would send.
        self.registrations.append(sock)

    def kill_proc(self) -> None:
        for sock in self.registrations:
            sock.close()
        self.registrations.clear()
        super().kill_proc()


def get_irctest_controller_class() -> Type[ChatServerController]:
    return ChatServerController
