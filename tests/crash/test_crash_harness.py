"""SIGKILL at random moments of a phase run and of an escalation sweep with delivery, each
followed by a re-run: the same database as an uninterrupted run, no message lost, duplicates
only within the documented window, no run left RUNNING, no process left behind.

The real ``qinglian`` command runs in subprocesses against one ``prefect server`` (the service
set-up; starting Prefect's embedded server for every command costs ~8 s more a run, beyond this
test's 5-minute budget — ``benchmarks/crash_harness.py --prefect embedded`` covers it), on
PostgreSQL when ``QINGLIAN_TEST_PG_URL`` is set (a database per trial, made from a template),
else on the embedded SQLite file: one of them, as both would double the time. The seed is
printed; ``QINGLIAN_CRASH_SEED=<seed>`` replays the same kill moments.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, SQLModel

from models.enums import Level, UnitKind
from models.unit import Unit
from tests.crash.dump import dump_database
from tests.crash.harness import Config, crash_harness, seed_from
from tests.crash.peers import MARK_ENV, kill_all, marked_processes, wait_for_no_marked
from tests.databases import PG_URL

ADMIN = UnitKind.health_admin

# Kill points per kind: a sweep with delivery costs ~6 s a run, a phase run ~10 s.
KILL_POINTS = {"phase": 6, "sweep": 14}


@pytest.mark.flow
def test_every_kill_is_recovered_by_a_re_run(tmp_path: Path) -> None:
    config = Config(
        workdir=tmp_path,
        kill_points=KILL_POINTS,
        seed=seed_from(os.environ.get("QINGLIAN_CRASH_SEED")),
        kills=2,
        pg_url=PG_URL,
        prefect="server",
        log=False,
    )
    with crash_harness(config) as harness:
        report = harness.run()
    figures = report.figures()
    print(figures)
    assert report.landed() >= sum(KILL_POINTS.values()) >= 20, figures
    assert not report.failed, f"{figures}\n{report.failure_text()}"


# --- the harness's own detectors, each shown to catch what it is for ---------------------------


def _units(url: str, ids: tuple[int, int], name: str = "江苏省卫生厅") -> None:
    engine = create_engine(url)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        parent, child = ids
        session.add(Unit(id=parent, code="JS", name=name, level=Level.province, kind=ADMIN))
        session.add(
            Unit(
                id=child,
                code="JS-LYG",
                name="连云港市卫生局",
                level=Level.city,
                kind=ADMIN,
                parent_id=parent,
            )
        )
        session.commit()
    engine.dispose()


def test_the_dump_ignores_ids_a_rollback_skipped_but_not_a_changed_value(tmp_path: Path) -> None:
    urls = [f"sqlite:///{tmp_path / name}.db" for name in ("reference", "gaps", "renamed")]
    _units(urls[0], (1, 2))
    _units(urls[1], (7, 9))  # PostgreSQL's sequences after a killed transaction
    _units(urls[2], (1, 2), name="江苏省卫生健康委员会")
    reference, gaps, renamed = (dump_database(url) for url in urls)
    assert gaps == reference
    (difference,) = renamed.differences(reference)
    assert difference.startswith("unit (") and "江苏省卫生健康委员会" in difference


def test_a_process_left_behind_is_found_by_its_mark(tmp_path: Path) -> None:
    mark = f"detector-{os.getpid()}"
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)"],
        env={**os.environ, MARK_ENV: mark},
        start_new_session=True,
    )
    try:
        (found,) = marked_processes(mark)
        assert found.pid == child.pid and found.pgid == child.pid
    finally:
        kill_all(marked_processes(mark))
        child.wait()
    assert wait_for_no_marked(mark, grace=1.0) == []
