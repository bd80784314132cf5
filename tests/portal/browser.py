"""A real browser against a real portal process: Debian's Chromium driven by Playwright, and
``qinglian portal`` started by uvicorn on the test's own ``QINGLIAN_HOME`` (the ``portal``
fixture's seed tree, campaign and accounts).

Playwright's own browser download is not used: ``/usr/bin/chromium`` comes from Debian
(``make system-packages``), installed here once if it is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.portal.conftest import Portal
from tests.portal.test_portal_server import ENDED, QINGLIAN, free_port, wait_for_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_PACKAGES = ("chromium", "fonts-noto-cjk")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL_PATIENCE = 900.0  # seconds for apt-get to fetch and unpack Chromium
PAGE_PATIENCE_MS = 60_000  # a page or a download on a loaded two-core machine


@dataclass(frozen=True)
class LivePortal:
    """A portal process serving ``portal``'s database at ``base``."""

    portal: Portal
    base: str

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


def install_chromium() -> str | None:
    """Install Debian's Chromium if it is missing; why it could not be, or ``None``."""
    if CHROMIUM.exists():
        return None
    if shutil.which("apt-get") is None:
        return "no apt-get on this machine to install Chromium"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    steps = (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *CHROMIUM_PACKAGES],
    )
    for step in steps:
        try:
            done = subprocess.run(
                step, env=env, capture_output=True, text=True, timeout=INSTALL_PATIENCE
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{' '.join(step[:2])} failed: {exc}"
        if done.returncode != 0:
            return f"{' '.join(step[:2])} failed ({done.returncode}): {done.stderr.strip()[-300:]}"
    return None if CHROMIUM.exists() else f"{CHROMIUM} is still missing after apt-get install"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium (Debian's), launched once for the session."""
    reason = install_chromium()
    if reason is not None:
        pytest.skip(f"Chromium unavailable, browser tests skipped: {reason}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) that accepts downloads."""
    context = browser.new_context(accept_downloads=True, locale="zh-CN")
    context.set_default_timeout(PAGE_PATIENCE_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def live_portal(portal: Portal) -> Iterator[LivePortal]:
    """``qinglian portal`` as a uvicorn process on a free port, serving ``portal``'s database
    (its ``QINGLIAN_HOME``); stopped, and checked for tracebacks, afterwards."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("QINGLIAN_")}
    env["QINGLIAN_HOME"] = str(portal.home)
    server = subprocess.Popen(
        [str(QINGLIAN), "portal", "--port", str(port)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_port(server, port)
        yield LivePortal(portal=portal, base=f"http://127.0.0.1:{port}")
    finally:
        server.terminate()
        try:
            _out, err = server.communicate(timeout=ENDED)
        except subprocess.TimeoutExpired:
            server.kill()
            _out, err = server.communicate()
    assert "Traceback" not in err, err
