"""The daily escalation sweep as a flow: one campaign named, or every active campaign."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from sqlmodel import select

from flows.escalation import SweepRun, escalation_sweep
from models.flow_inputs import SweepInput
from models.outbox import OutboxMessage
from qinglian.campaigns.launch import complete_campaign, launch_campaign
from qinglian.core import db
from qinglian.core.settings import Settings, get_settings
from tests.factories import LYG, MOH, import_seed_tree

AS_OF = date(2012, 7, 20)  # the leading groups' deadlines have come: every campaign has steps


@pytest.fixture
def campaigns(qinglian_home: Settings, tmp_path: Path) -> dict[str, int]:
    """Two running campaigns, one not started by AS_OF, one completed."""
    with db.session_scope() as session:
        import_seed_tree(session, tmp_path)
        ids = {}
        for name, root, start in (
            ("national", MOH, None),
            ("city", LYG, None),
            ("later", LYG, date(2012, 9, 1)),
            ("done", MOH, date(2012, 1, 9)),
        ):
            campaign, _ = launch_campaign(
                session=session, template_key="coi-2012", root_code=root, start_on=start
            )
            assert campaign.id is not None
            ids[name] = campaign.id
        complete_campaign(session=session, campaign_id=ids["done"], completed_on=date(2012, 6, 30))
    return ids


def _run(params: SweepInput) -> tuple[SweepRun, str]:
    """The flow's result and its run's name."""
    state = escalation_sweep(params, return_state=True)
    result = state.result()
    assert isinstance(result, SweepRun)
    with get_client(sync_client=True) as client:
        run = client.read_flow_run(state.state_details.flow_run_id)  # type: ignore[arg-type]
    return result, run.name


def _digests_by_campaign() -> dict[int, int]:
    with db.session_scope() as session:
        counts: dict[int, int] = {}
        for campaign_id in session.exec(select(OutboxMessage.campaign_id)):
            counts[campaign_id] = counts.get(campaign_id, 0) + 1
        return counts


def test_with_no_campaign_every_active_campaign_is_swept_then_delivered_once(
    campaigns: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QINGLIAN_NOTIFIER", "recording")
    get_settings.cache_clear()

    run, name = _run(SweepInput(as_of=AS_OF))

    assert name == "督办扫描 · 全部进行中的专项活动"
    swept = [result.campaign_id for result in run.sweeps]
    assert swept == [campaigns["national"], campaigns["city"]]
    assert all(result.as_of == AS_OF and result.digests > 0 for result in run.sweeps)
    digests = _digests_by_campaign()
    assert digests == {result.campaign_id: result.digests for result in run.sweeps}
    assert run.delivery.sent == sum(digests.values())

    # Each campaign's sweep is its own: naming one now finds everything already queued.
    again, name = _run(SweepInput(campaign_id=campaigns["city"], as_of=AS_OF, deliver=False))
    assert name == f"督办扫描 · 专项活动 {campaigns['city']}"
    assert [(r.campaign_id, r.new_item_steps, r.digests) for r in again.sweeps] == [
        (campaigns["city"], 0, 0)
    ]
    assert _digests_by_campaign() == digests


def test_a_named_campaign_is_swept_alone(campaigns: dict[str, int]) -> None:
    run, name = _run(SweepInput(campaign_id=campaigns["national"], as_of=AS_OF, deliver=False))

    assert name == f"督办扫描 · 专项活动 {campaigns['national']}"
    assert [result.campaign_id for result in run.sweeps] == [campaigns["national"]]
    assert set(_digests_by_campaign()) == {campaigns["national"]}
    assert run.delivery.attempted == 0
