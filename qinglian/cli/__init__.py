"""The ``qinglian`` command: one module per command group. Commands that run no flow never
import Prefect, so they start fast.
"""

import importlib
import os
from types import ModuleType

from qinglian.cli.import_hook import when_imported

# Before any command module imports Prefect: its console shows warnings only (the full logs
# still go to the Prefect API and UI), and an offline campaign network has no use for
# Prefect's telemetry. The package runs first, whichever command module is imported.
os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# A heartbeat every 30 s (Prefect's default is 180): on a Prefect server, the zombie-run
# automation (deployments/zombies.py, HEARTBEAT_SECONDS) crashes a run silent for 90 s.
os.environ.setdefault("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", "30")


def _tie_embedded_server(_server: ModuleType) -> None:
    importlib.import_module("qinglian.cli.embedded_server")  # which patches Prefect's server


# The embedded API server dies with the command, starts one at a time per PREFECT_HOME and
# may take 180 s to answer on a loaded machine (embedded_server.STARTUP_TIMEOUT).
# Patched when Prefect first loads its server module, so commands without flows never load it.
when_imported("prefect.server.api.server", _tie_embedded_server)
