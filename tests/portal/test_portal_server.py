"""`qinglian portal` as a real process: uvicorn serves the app factory on a fresh QINGLIAN_HOME
(the schema made first), with its security headers, and under ``--root-path`` its links carry
the proxy's prefix (issue 13)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

QINGLIAN = Path(sys.executable).with_name("qinglian")
PATIENCE = 120.0  # seconds for the schema and uvicorn to come up on a loaded machine
ENDED = 30.0  # seconds for a terminated portal to exit


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_portal(home: Path, *options: str) -> Iterator[str]:
    """The portal started as a process; yields its base URL once it accepts connections."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("QINGLIAN_")}
    env["QINGLIAN_HOME"] = str(home)
    command = subprocess.Popen(
        [str(QINGLIAN), "portal", "--port", str(port), *options],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(command, port)
        yield f"http://127.0.0.1:{port}"
    finally:
        command.terminate()
        try:
            out, err = command.communicate(timeout=ENDED)
        except subprocess.TimeoutExpired:
            command.kill()
            out, err = command.communicate()
            pytest.fail(f"the portal did not end {ENDED:.0f} s after SIGTERM")
    assert f"http://127.0.0.1:{port}" in out, (out, err)
    assert "Traceback" not in err, err


def wait_for_port(command: subprocess.Popen[str], port: int) -> None:
    """Until the port accepts a connection; fails if the process exits or time runs out."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                return
        except OSError:
            pass
        try:
            command.wait(timeout=0.2)  # the pause between attempts, ended early by an exit
        except subprocess.TimeoutExpired:
            continue
        out, err = command.communicate()
        pytest.fail(f"the portal exited with {command.returncode}: {out}\n{err}")
    pytest.fail(f"the portal did not accept connections within {PATIENCE:.0f} s")


def test_the_portal_serves_its_login_page_with_its_security_headers(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with running_portal(home) as base:
        response = httpx.get(f"{base}/login", timeout=30)
    assert response.status_code == 200
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert 'action="/login"' in response.text
    assert (home / "qinglian.db").exists()  # the schema made before uvicorn started


def test_behind_a_root_path_the_login_form_posts_under_the_prefix(tmp_path: Path) -> None:
    with running_portal(tmp_path / "home", "--root-path", "/qinglian") as base:
        # The proxy strips /qinglian before passing the request on.
        response = httpx.get(f"{base}/login", timeout=30)
    assert response.status_code == 200
    assert "content-security-policy" in response.headers
    assert 'action="/qinglian/login"' in response.text


def test_several_workers_serve_alike(tmp_path: Path) -> None:
    with running_portal(tmp_path / "home", "--workers", "2") as base:
        statuses = {httpx.get(f"{base}/login", timeout=30).status_code for _ in range(4)}
    assert statuses == {200}
