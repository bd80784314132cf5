"""The ``qinglian`` command: one module per command group. Commands that run no flow never
import Prefect, so they start fast.
"""

import os

# Before any command module imports Prefect: its console shows warnings only (the full logs
# still go to the Prefect API and UI), and an offline campaign network has no use for
# Prefect's telemetry. The package runs first, whichever command module is imported.
os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Prefect waits 20 s for its embedded API server; a loaded machine needs longer (issue 12).
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
