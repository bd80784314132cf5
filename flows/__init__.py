"""Prefect flows: campaign → phase → unit (nested), thin coordinators over tasks."""
