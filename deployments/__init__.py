"""Deployment entry points: `prefect.yaml` declares them; `qinglian serve` serves them locally."""
