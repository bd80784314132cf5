"""A campaign's run depth: which levels it may be, stored at launch, changed afterwards."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from models import Campaign, Level
from qinglian.campaigns.launch import (
    RUN_DEPTHS,
    check_run_depth,
    complete_campaign,
    launch_campaign,
    set_run_depth,
)
from qinglian.core.errors import NotFoundError, QinglianError
from tasks.campaign import launch
from tests.factories import LYG, MOH, Qinglian, import_seed_tree, write_units

CHOICES = "province, city, county, institution, department"


@pytest.mark.parametrize(
    ("given", "depth"),
    [
        ("province", Level.province),
        ("city", Level.city),
        ("county", Level.county),
        ("institution", Level.institution),
        ("department", Level.department),
        (Level.county, Level.county),
    ],
)
def test_every_level_below_the_ministry_is_a_run_depth(given: str, depth: Level) -> None:
    assert check_run_depth(given) is depth


@pytest.mark.parametrize("given", ["ministry", Level.ministry, "County", "county ", "", "县"])
def test_anything_else_is_refused_naming_the_levels(given: str) -> None:
    with pytest.raises(QinglianError) as refused:
        check_run_depth(given)
    assert CHOICES in refused.value.en and f"「{given}」" in refused.value.zh


def test_the_run_depths_are_the_flow_inputs_levels_in_order() -> None:
    assert [depth.value for depth in RUN_DEPTHS] == CHOICES.split(", ")
    assert [depth.rank for depth in RUN_DEPTHS] == sorted(depth.rank for depth in RUN_DEPTHS)


@pytest.fixture
def tree(session: Session, tmp_path: Path) -> Session:
    import_seed_tree(session, tmp_path)
    return session


def _launch(session: Session, run_depth: Level = Level.institution) -> tuple[Campaign, bool]:
    return launch_campaign(
        session=session, template_key="coi-2012", root_code=MOH, run_depth=run_depth
    )


@pytest.mark.parametrize("depth", RUN_DEPTHS)
def test_launch_stores_the_depth_asked_for(tree: Session, depth: Level) -> None:
    campaign, created = _launch(tree, run_depth=depth)
    assert created
    tree.commit()
    tree.expire_all()
    stored = tree.get(Campaign, campaign.id)
    assert stored is not None and stored.run_depth is depth


def test_launch_defaults_to_the_institutions_and_refuses_the_ministry(tree: Session) -> None:
    with pytest.raises(QinglianError):
        _launch(tree, run_depth=Level.ministry)
    campaign, _ = _launch(tree)
    assert campaign.run_depth is Level.institution


def test_launching_again_leaves_the_stored_depth(tree: Session) -> None:
    first, _ = _launch(tree, run_depth=Level.county)
    again, created = _launch(tree, run_depth=Level.department)
    assert not created and again.id == first.id and again.run_depth is Level.county


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (Level.institution, Level.county),
        (Level.county, Level.department),
        (Level.department, Level.province),
        (Level.city, Level.city),
    ],
)
def test_set_run_depth_returns_old_and_new(tree: Session, old: Level, new: Level) -> None:
    campaign, _ = _launch(tree, run_depth=old)
    launch_campaign(session=tree, template_key="coi-2012", root_code=LYG)  # a second one
    assert campaign.id is not None
    assert set_run_depth(session=tree, campaign_id=campaign.id, level=new) == (old, new)
    tree.commit()
    tree.expire_all()
    depths = tree.exec(select(Campaign.run_depth).order_by(col(Campaign.id))).all()
    assert depths == [new, Level.institution]  # only the campaign named


def test_set_run_depth_refuses_the_ministry_and_an_unknown_campaign(tree: Session) -> None:
    campaign, _ = _launch(tree, run_depth=Level.county)
    assert campaign.id is not None
    with pytest.raises(QinglianError) as refused:
        set_run_depth(session=tree, campaign_id=campaign.id, level=Level.ministry)
    assert "'ministry'" in refused.value.en
    with pytest.raises(NotFoundError):
        set_run_depth(session=tree, campaign_id=campaign.id + 1, level=Level.city)
    assert campaign.run_depth is Level.county


def test_a_completed_campaign_may_change_its_depth(tree: Session) -> None:
    """The depth changes no figure or record, only how a later re-run is drawn as runs."""
    campaign, _ = _launch(tree)
    assert campaign.id is not None
    complete_campaign(session=tree, campaign_id=campaign.id, completed_on=date(2012, 12, 31))
    assert set_run_depth(session=tree, campaign_id=campaign.id, level=Level.county) == (
        Level.institution,
        Level.county,
    )
    assert campaign.completed_on == date(2012, 12, 31)


def test_the_launch_task_passes_the_depth_and_returns_the_stored_one(
    cli: Qinglian, tmp_path: Path
) -> None:
    cli.ok("units", "import", write_units(tmp_path / "units.xlsx"))
    launched = launch.fn("coi-2012", MOH, None, "county")
    assert launched.created and launched.run_depth is Level.county
    again = launch.fn("coi-2012", MOH, None)  # the default, institution: the stored one stays
    assert again.campaign_id == launched.campaign_id
    assert not again.created and again.run_depth is Level.county
