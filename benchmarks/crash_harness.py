"""The crash harness of ``tests/crash`` with bigger numbers: SIGKILL at KILLS random points.

    .venv/bin/python benchmarks/crash_harness.py [KILLS] [--kills-per-trial N]
        [--prefect server|embedded] [--pg URL] [--seed SEED] [--workdir DIR]

KILLS (200 by default) kills must land on a running command, half in a phase run
(``qinglian phase run <c> find``) and half in an escalation sweep with delivery to a webhook
receiver on 127.0.0.1 (``qinglian escalate``). Each kill is followed by a re-run; with
``--kills-per-trial N`` (2 by default) the first N-1 re-runs are killed too and the last runs
to the end. After every trial: the database equals an uninterrupted run's, no message was lost,
duplicates stay within the window (one per delivery worker and kill), no flow run is left
RUNNING or PENDING and no process of the trial is alive (see ``tests/crash/harness.py``).

``--prefect server`` (the default) runs every command against one ``prefect server``;
``--prefect embedded`` lets each command start Prefect's ephemeral API server, the default
install (about 8 s more per run here: 200 kills take about an hour). ``--pg`` runs on
PostgreSQL: a database per trial, made from a template on that server.

Prints a line per trial, then per kind where the kills landed (before the command's first
write, mid-run, after its last write, or missed because it had already ended), the duplicates,
the most after one kill, the failed checks, the wall time and the seed.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the tests package sits beside this folder
    sys.path.insert(0, str(ROOT))

from tests.crash.harness import Config, crash_harness, seed_from  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kills", nargs="?", type=int, default=200)
    parser.add_argument("--kills-per-trial", type=int, default=2)
    parser.add_argument("--prefect", choices=("server", "embedded"), default="server")
    parser.add_argument("--pg", default=None, help="a PostgreSQL URL (default: SQLite)")
    parser.add_argument("--seed", default=None)
    parser.add_argument("--workdir", type=Path, default=None, help="kept after the run")
    args = parser.parse_args()
    # Stopped with SIGTERM: unwind as for Ctrl-C, so the server and databases are cleaned up.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="qinglian-crash-"))
    half = args.kills // 2
    config = Config(
        workdir=workdir,
        kill_points={"phase": half, "sweep": args.kills - half},
        seed=seed_from(args.seed),
        kills=args.kills_per_trial,
        pg_url=args.pg,
        prefect=args.prefect,
        twice=True,
    )
    print(f"seed {config.seed}; working in {workdir}", flush=True)
    try:
        with crash_harness(config) as harness:
            report = harness.run()
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(report.figures())
    if report.failed:
        print("failed trials:\n" + report.failure_text(shown=20))
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
