"""The portal under a morning's load: 200 units' offices log in, open 我的任务, download their
报告表 and upload it filled in, all at once (issue 13).

    .venv/bin/python benchmarks/portal_load.py [--units 200] [--cadres 50] [--workers 2]
        [--concurrency 20] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

1. Creates its own PostgreSQL database (a unique name, dropped at the end) on the server of
   ``--pg``, upgraded with ``qinglian db upgrade``; a city bureau with ``--units`` hospitals
   below it, each with ``--cadres`` in-scope cadres (5 leaders, the rest department heads),
   written with Core inserts; launches coi-2012 on the city and stands it on 2012-07-20; one
   office account per hospital made with ``add_account``.
2. Writes every hospital's pre-filled workbook and fills it (each cadre "nothing to declare",
   signed 2012-07-19) before the clock starts.
3. Starts ``qinglian portal --workers N`` (uvicorn) on a free port against that database
   (``QINGLIAN_PORTAL_SECURE_COOKIES=false``: the client speaks plain HTTP to 127.0.0.1).
4. Runs the units concurrently (asyncio + httpx, at most ``--concurrency`` in flight), each:
   ``POST /api/login``, ``GET /units/{code}`` (the page, with the session cookie),
   ``GET /api/units/{code}/forms/template.xlsx``, ``POST /api/units/{code}/forms``.

Prints requests/s, p50/p95 per kind of request, the errors and the load average, beside the
targets: 0 errors, page p95 < 1 s, upload p95 < 3 s. Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from openpyxl import load_workbook
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Settings are read on first use, after main() has pointed QINGLIAN_DATABASE_URL at the new one.
from models import Cadre, Level, Unit, UnitKind  # noqa: E402
from models.enums import AccountRole  # noqa: E402
from qinglian.accounts.accounts import add_account  # noqa: E402
from qinglian.campaigns.launch import launch_campaign  # noqa: E402
from qinglian.core import db  # noqa: E402
from qinglian.core.settings import get_settings  # noqa: E402
from qinglian.declarations.workbook import write_form_template  # noqa: E402

QINGLIAN = Path(sys.executable).with_name("qinglian")
PASSWORD = "Portal-Load-2012"
DAY = date(2012, 7, 20)
SIGNED = date(2012, 7, 19)
ROOT_CODE = "BENCH-CITY"
LEADERS = 5
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
KINDS = ("login", "page", "template", "upload")
TARGETS = {"page": 1.0, "upload": 3.0}
PATIENCE = 120.0  # seconds for uvicorn's workers to come up
TIMEOUT = 120.0  # seconds for any one request


@dataclass
class Figures:
    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--cadres", type=int, default=50, help="in-scope cadres per unit")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--concurrency", type=int, default=20, help="units in flight")
    parser.add_argument(
        "--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server (its database is only used to create and drop ours)",
    )  # fmt: skip
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with scratch_database(args.pg) as url, tempfile.TemporaryDirectory() as home:
        env = {key: value for key, value in os.environ.items() if not key.startswith("QINGLIAN_")}
        env |= {"QINGLIAN_HOME": home, "QINGLIAN_DATABASE_URL": url}
        os.environ.update(env)
        get_settings.cache_clear()
        started = time.perf_counter()
        subprocess.run([str(QINGLIAN), "db", "upgrade"], env=env, check=True, capture_output=True)
        codes = build(args.units, args.cadres)
        print(f"database {make_url(url).database}: {len(codes)} units, "
              f"{len(codes) * args.cadres:,} cadres, coi-2012, {len(codes)} accounts "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
        started = time.perf_counter()
        filled = prepare_workbooks(codes)
        print(f"{len(filled)} workbooks pre-filled in {time.perf_counter() - started:.1f} s "
              f"(not timed below)")  # fmt: skip
        db.get_engine().dispose()
        env["QINGLIAN_PORTAL_SECURE_COOKIES"] = "false"
        with running_portal(env, args.workers) as base:
            load_before = os.getloadavg()
            started = time.perf_counter()
            figures = asyncio.run(run_units(base, filled, args.concurrency))
            wall = time.perf_counter() - started
            load_after = os.getloadavg()
        report(figures, wall, args, load_before, load_after)
    return 0 if not figures.errors else 1


# --- the database --------------------------------------------------------------------------------


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A new database on the server, dropped afterwards (its connections ended first)."""
    name = f"qinglian_portal_load_{secrets.token_hex(4)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        db.get_engine().dispose()
        db.engine_for.cache_clear()
        with admin.connect() as connection:
            connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
        print(f"database {name} dropped")


def build(units: int, cadres: int) -> list[str]:
    """The city, its hospitals and their cadres; coi-2012 launched; one office account each."""
    rows: list[dict[str, Any]] = [
        {"id": 1, "code": ROOT_CODE, "name": "基准市卫生局", "aliases": [], "level": Level.city,
         "kind": UnitKind.health_admin, "parent_id": None, "depth": 0, "path": "/1/"}
    ]  # fmt: skip
    for index in range(units):
        unit_id = index + 2
        rows.append(
            {"id": unit_id, "code": f"BENCH-H{index:03d}", "name": f"基准市第{index + 1}医院",
             "aliases": [], "level": Level.institution, "kind": UnitKind.public_medical,
             "parent_id": 1, "depth": 1, "path": f"/1/{unit_id}/"}
        )  # fmt: skip
    people = [
        {"staff_no": f"B{unit['id']:04d}{n:03d}", "name": f"干部{unit['id']}-{n}",
         "post": "院长" if n < LEADERS else "科主任", "rank": "",
         "scope_category": 3 if n < LEADERS else 4, "retired": False, "left_on": None,
         "unit_id": unit["id"], "managing_unit_id": 1 if n < LEADERS else unit["id"]}
        for unit in rows[1:]
        for n in range(cadres)
    ]  # fmt: skip
    with db.session_scope() as session:
        session.execute(insert(Unit), rows)
        session.execute(insert(Cadre), people)
        session.execute(text("SELECT setval(pg_get_serial_sequence('unit', 'id'), :n)"),
                        {"n": len(rows)})  # fmt: skip
        campaign, _ = launch_campaign(session=session, template_key="coi-2012", root_code=ROOT_CODE)
        campaign.simulated_as_of = DAY
        session.add(campaign)
    codes = [row["code"] for row in rows[1:]]
    with db.session_scope() as session:
        for code in codes:
            add_account(
                session=session,
                unit_code=code,
                role=AccountRole.office,
                login=office_login(code),
                password=PASSWORD,
            )
    return codes


def office_login(code: str) -> str:
    return f"{code.lower()}-office"


def prepare_workbooks(codes: list[str]) -> dict[str, bytes]:
    """Each unit's template, every cadre declaring nothing: what its office will upload."""
    filled: dict[str, bytes] = {}
    with db.session_scope() as session, tempfile.TemporaryDirectory() as folder:
        campaign_id = session.execute(text("SELECT id FROM campaign")).scalar_one()
        for code in codes:
            path = write_form_template(
                session=session, campaign_id=campaign_id, unit_code=code, path=Path(folder) / code
            )
            filled[code] = fill(path.read_bytes())
    return filled


def fill(template: bytes) -> bytes:
    workbook = load_workbook(io.BytesIO(template))
    basics = workbook["基本情况"]
    header = {cell.value: cell.column for cell in basics[1]}
    for row in range(2, basics.max_row + 1):
        basics.cell(row, header["无报告事项"]).value = "是"
        basics.cell(row, header["填报日期"]).value = SIGNED
        basics.cell(row, header["签名日期"]).value = SIGNED
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- the portal and its load ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_portal(env: dict[str, str], workers: int) -> Iterator[str]:
    port = free_port()
    command = [str(QINGLIAN), "portal", "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(
        command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + PATIENCE
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the portal did not come up") from None
            try:
                server.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                continue
            raise RuntimeError(
                f"the portal exited: {server.stderr.read() if server.stderr else ''}"
            )
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        errors = server.stderr.read() if server.stderr else ""
        if "Traceback" in errors:
            print("portal tracebacks:\n" + errors[-3000:])


async def run_units(base: str, filled: dict[str, bytes], concurrency: int) -> Figures:
    figures = Figures()
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)

    async def one(code: str, workbook: bytes) -> None:
        async with gate, httpx.AsyncClient(base_url=base, timeout=TIMEOUT, limits=limits) as client:
            try:
                await unit_day(client, code, workbook, figures)
            except (httpx.HTTPError, AssertionError, KeyError, ValueError) as exc:
                figures.errors.append(f"{code}: {type(exc).__name__}: {exc}"[:300])

    await asyncio.gather(*(one(code, workbook) for code, workbook in filled.items()))
    return figures


async def unit_day(client: httpx.AsyncClient, code: str, workbook: bytes, figures: Figures) -> None:
    credentials = {"login": office_login(code), "password": PASSWORD}
    login = await timed(figures, "login", client.post("/api/login", json=credentials))
    csrf = login.json()["csrf_token"]
    page = await timed(figures, "page", client.get(f"/units/{code}"))
    assert "收齐《报告表》并上报" in page.text, "the tasks page lacks the forms item"
    template = await timed(
        figures, "template", client.get(f"/api/units/{code}/forms/template.xlsx")
    )
    assert template.content[:4] == b"PK\x03\x04", "the template is not a workbook"
    files = {"file": (f"报告表-{code}.xlsx", workbook, XLSX)}
    upload = client.post(f"/api/units/{code}/forms", files=files, headers={"X-CSRF-Token": csrf})
    receipt = await timed(figures, "upload", upload)
    assert receipt.json()["created"] > 0, receipt.text[:200]


async def timed(figures: Figures, kind: str, request: Any) -> httpx.Response:
    started = time.perf_counter()
    response: httpx.Response = await request
    figures.seconds[kind].append(time.perf_counter() - started)
    if response.status_code != 200:
        raise ValueError(f"{kind} answered {response.status_code}: {response.text[:200]}")
    return response


def report(
    figures: Figures,
    wall: float,
    args: argparse.Namespace,
    before: tuple[float, float, float],
    after: tuple[float, float, float],
) -> None:
    requests = sum(len(values) for values in figures.seconds.values())
    print(f"\n{args.units} units x 4 requests, {args.workers} uvicorn workers, "
          f"{args.concurrency} units in flight, {os.cpu_count()} CPUs")  # fmt: skip
    print(f"{requests} requests in {wall:.1f} s: {requests / wall:.1f} requests/s")
    print(f"{'request':<10}{'n':>6}{'p50 s':>9}{'p95 s':>9}{'max s':>9}   target")
    for kind in KINDS:
        values = sorted(figures.seconds.get(kind, []))
        if not values:
            print(f"{kind:<10}{0:>6}")
            continue
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        target = TARGETS.get(kind)
        verdict = f"p95 < {target:.0f} s: {'met' if p95 < target else 'MISSED'}" if target else ""
        print(f"{kind:<10}{len(values):>6}{statistics.median(values):>9.3f}{p95:>9.3f}"
              f"{values[-1]:>9.3f}   {verdict}")  # fmt: skip
    print(f"errors: {len(figures.errors)} (target 0)")
    for error in figures.errors[:10]:
        print(f"  {error}")
    print("load average (1, 5, 15 min): before " + ", ".join(f"{v:.2f}" for v in before)
          + "; after " + ", ".join(f"{v:.2f}" for v in after))  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
