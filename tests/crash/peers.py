"""What the crash harness watches besides the database: a webhook receiver on 127.0.0.1, the
processes a command leaves, and the flow runs in Prefect's own database.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from qinglian.notify.protocol import IDEMPOTENCY_HEADER

# --- the receiver ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    key: str
    path: str
    title: str
    body: str
    at: float  # time.monotonic() when the request arrived


@dataclass
class Receiver:
    """A JSON webhook receiver: every POST recorded when it arrives, answered after ``delay``.

    The delay stands for a real relay's latency; it keeps sends in flight long enough for a
    kill to land among them.
    """

    delay: float = 0.0
    port: int = 0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, name: str) -> str:
        return f"json://127.0.0.1:{self.port}/{name}"

    def mark(self) -> int:
        """Where the record stands now; :meth:`since` reads what came after."""
        with self.lock:
            return len(self.received)

    def since(self, mark: int) -> list[Received]:
        with self.lock:
            return list(self.received[mark:])


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            payload = json.loads(body or b"{}")
            with receiver.lock:
                receiver.received.append(
                    Received(
                        key=self.headers.get(IDEMPOTENCY_HEADER, ""),
                        path=self.path.split("?")[0].strip("/"),
                        title=str(payload.get("title", "")),
                        body=str(payload.get("message", "")),
                        at=time.monotonic(),
                    )
                )
            if receiver.delay:
                time.sleep(receiver.delay)  # the relay's latency, on the receiver's thread
            reply = b'{"errcode": 0, "errmsg": "ok"}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a sender killed mid-request: what the harness is for, not worth a traceback


@contextmanager
def receiver(delay: float) -> Iterator[Receiver]:
    """A receiver listening on a free port of 127.0.0.1 until the block ends."""
    record = Receiver(delay=delay)
    server = _Server(("127.0.0.1", 0), _handler(record))
    record.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()


def duplicates(received: list[Received]) -> Counter[str]:
    """Extra arrivals per idempotency key (a key received three times counts 2)."""
    counts = Counter(item.key for item in received)
    return Counter({key: count - 1 for key, count in counts.items() if count > 1})


# --- processes ------------------------------------------------------------------------------

MARK_ENV = "QINGLIAN_CRASH_MARK"


@dataclass(frozen=True)
class Survivor:
    pid: int
    pgid: int | None
    cmdline: str

    def __str__(self) -> str:
        return f"pid {self.pid} (group {self.pgid}): {self.cmdline[:120]}"


def marked_processes(mark: str) -> list[Survivor]:
    """Every live process whose environment carries ``QINGLIAN_CRASH_MARK=<mark>``.

    Children inherit the environment (Prefect's embedded server does), so this finds what a
    command started even after it left the command's process group.
    """
    needle = f"{MARK_ENV}={mark}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            if needle not in environ.split(b"\0"):
                continue
            status = (entry / "stat").read_text()
            if status.rsplit(")", 1)[1].split()[0] == "Z":
                continue  # a zombie: dead, only not yet reaped
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # gone meanwhile, or not ours to read
        found.append(Survivor(int(entry.name), _pgid(int(entry.name)), cmdline.strip()))
    return found


def wait_for_no_marked(mark: str, grace: float) -> list[Survivor]:
    """The processes still alive ``grace`` seconds on (polled every 0.1 s), else none."""
    deadline = time.monotonic() + grace
    while True:
        alive = marked_processes(mark)
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.1)


def kill_all(survivors: list[Survivor]) -> None:
    """Kill what a trial left behind (by pid: each was started by this harness)."""
    for survivor in survivors:
        with suppress(ProcessLookupError):
            os.kill(survivor.pid, signal.SIGKILL)


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


# --- Prefect's flow runs --------------------------------------------------------------------

UNFINISHED = ("RUNNING", "PENDING")


@dataclass(frozen=True)
class FlowRun:
    id: str
    name: str
    state: str

    def __str__(self) -> str:
        return f"{self.name} [{self.state}]"


def flow_runs(prefect_home: Path) -> dict[str, FlowRun]:
    """Every flow run in the ephemeral API's SQLite database under ``PREFECT_HOME``.

    Read straight from the file, read-only, once the commands that wrote it are gone: what the
    Prefect UI would list.
    """
    path = prefect_home / "prefect.db"
    if not path.exists():
        return {}
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        rows = connection.execute("SELECT id, name, state_type FROM flow_run").fetchall()
    except sqlite3.OperationalError:
        return {}  # no table yet: the server was killed before its first migration
    finally:
        connection.close()
    return {str(row[0]): FlowRun(str(row[0]), str(row[1]), str(row[2])) for row in rows}


def unfinished(runs: dict[str, FlowRun], before: dict[str, FlowRun]) -> list[FlowRun]:
    """The runs created since ``before`` that are still RUNNING or PENDING."""
    return [run for key, run in runs.items() if key not in before and run.state in UNFINISHED]


@contextmanager
def prefect_server(home: Path, startup: float = 180.0) -> Iterator[str]:
    """``prefect server start`` on a free port of 127.0.0.1 (its database under ``home``), for
    as long as the block lasts; yields its API URL. The server runs in a session of its own and
    its whole group is ended after."""
    home.mkdir(parents=True, exist_ok=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    prefect = Path(sys.executable).with_name("prefect")
    with (home / "server.log").open("wb") as log:
        server = subprocess.Popen(
            [str(prefect), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + startup
        while not _healthy(api):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Prefect server did not start; see {home / 'server.log'}")
            time.sleep(0.25)
        yield api
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def _healthy(api: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api}/health", timeout=2) as reply:
            return bool(reply.status == 200)
    except OSError:
        return False
