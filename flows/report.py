"""The written comprehensive report (书面综合情况报告) for any unit's subtree, on demand."""

from __future__ import annotations

from prefect import flow
from prefect.artifacts import create_link_artifact

from models.flow_inputs import ReportInput
from qinglian.core import heartbeats
from qinglian.core.clock import today_in_china
from qinglian.reporting.artifacts import artifact_key
from tasks.write_report import write_unit_report

# Every run here ends without waiting out Prefect's heartbeat sleep, as the unit runs do
# (see qinglian/core/heartbeats.py).
heartbeats.install()


@flow(
    name="report",
    flow_run_name="综合情况报告 · {params.unit_code}（专项活动 {params.campaign_id}）",
)
def write_report_flow(params: ReportInput) -> str:
    """Write the report and link it from the run's artifacts."""
    as_of = params.as_of or today_in_china()
    path = write_unit_report(params, as_of)
    create_link_artifact(
        key=artifact_key(
            params.campaign_id, "report", f"{params.unit_code.lower()}-{params.format}"
        ),
        link=path.resolve().as_uri(),
        link_text=path.name,
        description=f"书面综合情况报告 · {params.unit_code}",
    )
    return str(path)
