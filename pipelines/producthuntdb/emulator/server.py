"""The emulator over real HTTP: ``POST /v2/api/graphql`` plus the ``/_emulator/*`` admin endpoints.

stdlib ``ThreadingHTTPServer`` with HTTP/1.1 keep-alive: no extra dependency, and direct
control of the socket, which the ``reset`` fault (drop the connection) and the ``timeout``
fault (hold the request, yet let ``stop()`` return at once) need. What a request does is
decided by ``app.Emulator``; this module only moves bytes.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import struct
import sys
import threading
import time
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from producthuntdb.emulator.app import GRAPHQL_PATH, JSON_TYPE, MAX_BODY, Emulator, Reply, error_body
from producthuntdb.emulator.clock import iso
from producthuntdb.emulator.config import EmulatorConfig
from producthuntdb.emulator.world import World


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    server_version = "ProductHuntAPIEmulator/1"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _read_body(self) -> bytes | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(Reply(413, error_body("Request body too large")))
            return None
        return self.rfile.read(length) if length else b""

    def do_POST(self) -> None:
        raw = self._read_body()
        if raw is None:
            return
        app = self.server.app
        path = self.path.split("?", 1)[0]
        if path == GRAPHQL_PATH:
            self._send(app.graphql(self.headers.get("Authorization"), raw))
        elif path.startswith("/_emulator/"):
            self._send(app.admin("POST", path, raw))
        else:
            self._send(Reply(404, error_body(f"No route for POST {path}")))

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path.startswith("/_emulator/"):
            self._send(self.server.app.admin("GET", path, b""))
        elif path == GRAPHQL_PATH:
            self._send(Reply(405, error_body("Use POST for GraphQL requests")))
        else:
            self._send(Reply(404, error_body(f"No route for GET {path}")))

    def do_DELETE(self) -> None:
        path = self.path.split("?", 1)[0]
        self._send(self.server.app.admin("DELETE", path, b""))

    def _send(self, reply: Reply) -> None:
        if reply.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        # send_response would add a Date from the machine's clock; the world's clock is the server's
        self.send_response_only(reply.status)
        headers = {"Server": self.version_string(), "Content-Type": JSON_TYPE}
        headers.update(self.server.app.date_header())
        headers.update(reply.headers)
        headers["Content-Length"] = str(len(reply.body))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers_with(reply.body)

    def end_headers_with(self, body: bytes) -> None:
        """Headers and body in one write: two small writes would meet Nagle + delayed ACK (40 ms)."""
        buffer = getattr(self, "_headers_buffer", [])
        buffer.append(b"\r\n")
        buffer.append(body)
        try:
            self.wfile.write(b"".join(buffer))
        except OSError:
            self.close_connection = True
        self._headers_buffer: list[bytes] = []


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: Emulator) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that vanished mid-request (killed harvester, reset) is normal here, not news."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)

    def track(self, connection: socket.socket, alive: bool) -> None:
        with self._connections_lock:
            (self._connections.add if alive else self._connections.discard)(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class EmulatorServer:
    """The emulator on a loopback port, served from a daemon thread; a context manager."""

    def __init__(
        self, config: EmulatorConfig | None = None, world: World | None = None, **overrides: Any
    ) -> None:
        config = config or EmulatorConfig()
        if overrides:
            config = EmulatorConfig(**{**asdict(config), **overrides})
        self.config = config
        self.app = Emulator(config, world)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def world(self) -> World:
        return self.app.world

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.config.host}:{self.port}"

    @property
    def url(self) -> str:
        return self.base_url + GRAPHQL_PATH

    def start(self) -> EmulatorServer:
        if self._server is not None:
            return self
        self.app.stopping.clear()
        self._server = _Server((self.config.host, self.config.port), self.app)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="ph-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self.app.stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(config: EmulatorConfig) -> None:
    """Run the emulator in the foreground until Ctrl-C or SIGTERM; prints the URL first."""
    started = time.monotonic()
    server = EmulatorServer(config).start()
    stop = threading.Event()
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (int(signal.SIGINT), int(signal.SIGTERM)):
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
    truth = server.world.truth(server.app.clock.now)
    print(
        f"Product Hunt API emulator (a local model of the API, not the API) listening on {server.url}\n"
        f"  PRODUCTHUNT_API_URL={server.url}\n"
        f"  seed {config.seed}, scale {config.scale}: {truth['posts']:,} posts, {truth['topics']} topics, "
        f"{truth['users']:,} users at {iso(server.app.clock.now)} (built in {time.monotonic() - started:.1f} s)\n"
        f"  budget {config.budget} points / {config.window_seconds:g} s, cost model {config.cost_model}"
        + (f" x{config.cost_factor:g}" if config.cost_factor != 1 else "")
        + f", redaction {'on' if config.redaction else 'off'}"
        + (f", {config.poison_posts} poisoned posts" if config.poison_posts else "")
        + (f", another tool spends {config.foreign_spend:g} points/s" if config.foreign_spend else "")
        + (f", max query complexity {config.max_query_complexity}" if config.max_query_complexity else "")
        + (f", {config.bad_value_posts} posts with unstorable values" if config.bad_value_posts else "")
        + (f", faults {','.join(config.faults)} at {config.fault_rate:g}" if config.fault_rate else "")
        + f"\n  admin: {server.base_url}/_emulator/stats | truth | clock | config — Ctrl-C to stop",
        flush=True,
    )
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        print("emulator stopped", flush=True)
