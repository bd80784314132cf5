"""Prefect flows: campaign → phase → unit (nested), thin coordinators over tasks."""

from qinglian.core import heartbeats as prefect_heartbeats

# Every flow module imports this package first, so nested unit runs are cheap everywhere
# (see qinglian/prefect_heartbeats.py for why and what it keeps).
prefect_heartbeats.install()
