"""prefect.yaml declares deployments whose entrypoints and parameters are real."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_every_deployment_points_at_a_flow_and_validates_its_parameters() -> None:
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    assert config["deployments"]
    for deployment in config["deployments"]:
        assert deployment["enforce_parameter_schema"] is True
        module_path, name = deployment["entrypoint"].split(":")
        module = importlib.import_module(module_path.removesuffix(".py").replace("/", "."))
        flow = getattr(module, name)
        flow.validate_parameters(deployment.get("parameters", {}))
        schema = flow.parameters.model_dump()
        assert schema["required"] == ["params"], "one pydantic model the UI renders as a form"


def test_serve_builds_every_deployment_with_its_schedule() -> None:
    from deployments.serve import load_deployments

    deployments = {deployment.name: deployment for deployment in load_deployments()}
    assert set(deployments) >= {
        "launch-campaign",
        "run-campaign",
        "run-phase",
        "phase-subtree",
        "verify-case",
        "verify-rectification",
        "escalation-sweep",
        "escalation-replay",
        "deliver-outbox",
        "mail-intake",
        "report",
    }
    assert all(deployment.enforce_parameter_schema for deployment in deployments.values())
    (sweep,) = deployments["escalation-sweep"].schedules
    assert deployments["escalation-sweep"].parameters == {"params": {}}  # every active campaign
    assert sweep.schedule.cron == "0 9 * * *"
    assert sweep.schedule.timezone == "Asia/Shanghai"
    (intake,) = deployments["mail-intake"].schedules
    assert deployments["mail-intake"].parameters == {"params": {}}
    assert intake.schedule.cron == "*/10 * * * *"  # every 10 minutes
    assert intake.schedule.timezone == "Asia/Shanghai"
    (delivery,) = deployments["deliver-outbox"].schedules
    assert delivery.schedule.cron == "*/5 * * * *"  # rate-limited sends come back soon
