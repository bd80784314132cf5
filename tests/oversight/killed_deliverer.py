"""A deliverer that is killed (SIGKILL, by itself) just after its Nth send returns, before it
records it: what a crash mid-delivery leaves, in a process of its own.

``python -m tests.oversight.killed_deliverer <database url> <receiver port> <N> <workers>``
"""

from __future__ import annotations

import os
import signal
import sys
from datetime import UTC, datetime

from sqlmodel import Session, create_engine

from qinglian.notify.apprise_notifier import AppriseNotifier
from qinglian.oversight.delivery import deliver
from tests.oversight.messages import HOOK

NOW = datetime(2012, 9, 15, 1, 0, tzinfo=UTC)


def main(url: str, port: int, kill_at: int, workers: int) -> None:
    engine = create_engine(url)
    sends: list[str] = []

    def kill(point: str) -> None:
        if point == "deliver.sent":
            sends.append(point)
            if len(sends) == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

    deliver(
        session_factory=lambda: Session(engine),
        notifier=AppriseNotifier({HOOK.upper(): f"json://127.0.0.1:{port}/hook"}),
        now=NOW,
        workers=workers,
        hook=kill,
    )
    raise SystemExit("not killed: fewer sends than asked for")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))
