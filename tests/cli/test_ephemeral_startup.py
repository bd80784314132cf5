"""Prefect's ephemeral API, slow to start on a loaded machine: the CLI waits 180 s for it unless
the user set PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, and a server that still does not
answer is one bilingual line and exit 1, never a traceback.

Real processes: the setting is read as Prefect reads it when it starts, and the failure is a
real server that cannot answer within the 1 s the user allowed (a fresh PREFECT_HOME must first
create Prefect's database). Nothing sleeps.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qinglian.cli.embedded_server import STARTUP_TIMEOUT
from tests.cli.test_progress_bar import launched_home, run_qinglian

SETTING = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
READ = "from qinglian.cli.embedded_server import startup_timeout; print(startup_timeout())"


def _timeout_read(env: dict[str, str]) -> int:
    """What a fresh process of ours would wait for the server, under ``env``."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("PREFECT_")}
    read = subprocess.run(
        [sys.executable, "-c", READ],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return int(read.stdout)


def test_the_cli_waits_180_s_unless_the_user_set_the_timeout(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles.toml"
    profiles.write_text(f'active = "slow"\n[profiles.slow]\n{SETTING} = "300"\n')
    assert STARTUP_TIMEOUT == 180
    assert _timeout_read({}) == 180  # Prefect's own default is 20 s
    assert _timeout_read({SETTING: "7"}) == 7
    assert _timeout_read({"PREFECT_PROFILES_PATH": str(profiles)}) == 300


def test_a_server_that_does_not_answer_in_time_is_one_bilingual_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = launched_home(tmp_path, monkeypatch)
    ran = run_qinglian(
        home, tmp_path / "prefect", "phase", "run", "1", "mobilize", env={SETTING: "1"}
    )
    assert ran.returncode == 1, (ran.stdout, ran.stderr)
    assert ran.stdout == ""
    assert ran.stderr.splitlines() == [
        "错误 / error: Prefect 内置服务未能按时启动（机器负载过高？），请稍后重试，"
        f"或设置 {SETTING} 延长等待 / Prefect's embedded API server did not start in time "
        f"(a loaded machine?); try again, or raise {SETTING}"
    ]
