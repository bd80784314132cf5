"""What the find phase shows about complaints — artifacts, status, findings — never their text."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterStartTime, FlowRunFilterTags
from typer.testing import CliRunner

from flows.phase import start_phase
from models.flow_inputs import PhaseRunInput
from qinglian.cli.main import app
from qinglian.complaints.intake import add_complaint
from qinglian.core import db
from qinglian.core.settings import Settings
from tests.factories import FB, LYG, launch_seed_campaign

CONTENT = "机密举报正文：其配偶经营药品批发"
CONTACT = "举报人 手机 13912345678"


def _artifact_texts(since: datetime, campaign_id: int) -> list[str]:
    async def read() -> list[str]:
        async with get_client() as client:
            runs = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    tags=FlowRunFilterTags(all_=[f"campaign:{campaign_id}"]),
                    start_time=FlowRunFilterStartTime(after_=since),
                ),
                limit=200,
            )
            texts = []
            for run in runs:
                artifacts = await client.read_artifacts(
                    flow_run_filter=FlowRunFilter(id={"any_": [run.id]}), limit=200
                )
                texts += [f"{a.description} {a.data}" for a in artifacts]
                texts.append(f"{run.name} {run.parameters} {run.state}")
            return texts

    return asyncio.run(read())


def test_complaint_text_and_contact_reach_no_artifact_status_or_finding(
    qinglian_home: Settings, tmp_path: Path, complaint_key: str
) -> None:
    with db.session_scope() as session:
        campaign_id = launch_seed_campaign(session, tmp_path)
        add_complaint(
            session=session,
            campaign_id=campaign_id,
            channel="letter",
            received_on=date(2012, 8, 14),
            anonymous=False,
            accused_name="施庆喜",
            accused_unit="连妇保",
            alleged_category="relative_business",
            content=CONTENT,
            contact=CONTACT,
            as_of=date(2012, 8, 31),
        )
    since = datetime.now(UTC)
    outcome = start_phase(
        PhaseRunInput(campaign_id=campaign_id, phase="find", as_of=date(2012, 8, 31))
    )
    assert outcome.units == 6

    texts = _artifact_texts(since, campaign_id)
    assert any("信访举报排查" in text for text in texts)  # the counts are published…
    runner = CliRunner()
    for args in (
        ["status", str(campaign_id), "--json", "--as-of", "2012-08-31"],
        ["status", str(campaign_id), "--unit", FB, "--as-of", "2012-08-31"],
        ["status", str(campaign_id), "--unit", LYG, "--json", "--as-of", "2012-08-31"],
        ["findings", "list", str(campaign_id), "--json"],
        ["complaints", "cases", str(campaign_id), "--office", LYG],
        ["complaints", "queue", str(campaign_id)],
    ):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        texts.append(result.output)
    findings = json.loads(
        runner.invoke(app, ["findings", "list", str(campaign_id), "--json"]).output
    )
    assert any(f["source"] == "complaint" for f in findings)  # …and the case exists
    for text in texts:  # …but never the complaint itself
        assert CONTENT not in text and "药品批发" not in text
        assert CONTACT not in text and "13912345678" not in text
