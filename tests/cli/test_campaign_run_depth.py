"""`qinglian campaign launch --runs-down-to LEVEL` and `qinglian campaign run-depth CAMPAIGN
LEVEL`, end to end through typer's runner, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from models import Campaign, Level
from tests.factories import LYG, MOH, Qinglian, assert_one_error, write_units

LAUNCH = ("campaign", "launch", "--template", "coi-2012", "--root", MOH)
DEPTHS = ("province", "city", "county", "institution", "department")
CHOICES = "province, city, county, institution, department"


@pytest.fixture
def tree(cli: Qinglian, tmp_path: Path) -> Qinglian:
    """The seeds' chain 卫生部 → … → 连妇保 → two departments."""
    cli.ok("units", "import", write_units(tmp_path / "units.xlsx"))
    return cli


def _depth(cli: Qinglian, campaign_id: int) -> Level:
    with cli.session() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        return campaign.run_depth


def _listed_depth(cli: Qinglian, campaign_id: int) -> str:
    """The run depth column of the campaign's row in `campaign list`."""
    for line in cli.ok("campaign", "list").stdout.splitlines():
        cells = [cell.strip() for cell in line.strip("│┃").split("│")]
        if cells and cells[0] == str(campaign_id):
            return cells[-1]
    raise AssertionError(f"campaign {campaign_id} not listed")


@pytest.mark.parametrize("depth", DEPTHS)
def test_launch_stores_the_run_depth_and_list_shows_it(tree: Qinglian, depth: str) -> None:
    result = tree.ok(*LAUNCH, "--runs-down-to", depth)
    campaign_id = int(result.stdout)
    level = Level(depth)
    assert _depth(tree, campaign_id) is level
    assert f"单位流程运行到 {level.label} / runs down to {depth}" in result.stderr
    assert _listed_depth(tree, campaign_id) == f"{level.label} {depth}"


def test_launch_runs_down_to_the_institutions_by_default(tree: Qinglian) -> None:
    campaign_id = int(tree.ok(*LAUNCH).stdout)
    assert _depth(tree, campaign_id) is Level.institution
    assert _listed_depth(tree, campaign_id) == "单位 institution"
    assert "[province|city|county|institution|department]" in tree.ok(*LAUNCH[:2], "--help").stdout


@pytest.mark.parametrize("bad", ["ministry", "County", "bureau", "", "institution "])
def test_an_unknown_run_depth_is_a_usage_error_listing_the_levels(tree: Qinglian, bad: str) -> None:
    before = tree.dump()
    result = tree(*LAUNCH, "--runs-down-to", bad)
    assert result.exit_code == 2
    line = assert_one_error(result)
    assert CHOICES in line and f"not {bad!r}" in line and f"「{bad}」" in line
    assert tree.dump() == before


def test_launching_again_keeps_the_stored_depth_and_says_how_to_change_it(
    tree: Qinglian,
) -> None:
    campaign_id = int(tree.ok(*LAUNCH, "--runs-down-to", "county").stdout)
    before = tree.dump()

    same = tree.ok(*LAUNCH, "--runs-down-to", "county")
    assert int(same.stdout) == campaign_id
    assert "already launched" in same.stderr and "run-depth" not in same.stderr

    other = tree.ok(*LAUNCH)  # the default, institution, differs from the stored county
    assert int(other.stdout) == campaign_id
    assert "仍为 县，未改为 单位" in other.stderr
    assert "it still runs down to county, not institution" in other.stderr
    assert f"`qinglian campaign run-depth {campaign_id} institution`" in other.stderr
    assert tree.dump() == before


def test_run_depth_changes_it_and_says_old_and_new(tree: Qinglian) -> None:
    campaign_id = int(tree.ok(*LAUNCH).stdout)
    other = int(tree.ok("campaign", "launch", "--template", "coi-2012", "--root", LYG).stdout)

    changed = tree.ok("campaign", "run-depth", str(campaign_id), "county")
    assert changed.stdout.strip() == (
        f"专项活动 {campaign_id} 单位流程层级：单位 → 县 / "
        f"campaign {campaign_id} run depth: institution → county"
    )
    assert _depth(tree, campaign_id) is Level.county
    assert _listed_depth(tree, campaign_id) == "县 county"
    assert _depth(tree, other) is Level.institution  # only the campaign named

    before = tree.dump()
    again = tree.ok("campaign", "run-depth", str(campaign_id), "county")
    assert "already runs down to county, nothing changed" in again.stdout
    assert tree.dump() == before

    back = tree.ok("campaign", "run-depth", str(campaign_id), "department")
    assert "county → department" in back.stdout
    assert _depth(tree, campaign_id) is Level.department


def test_run_depth_of_an_unknown_campaign_is_one_error(tree: Qinglian) -> None:
    tree.ok(*LAUNCH)
    before = tree.dump()
    result = tree("campaign", "run-depth", "99", "county")
    assert result.exit_code == 1
    assert "no campaign 99" in assert_one_error(result)
    assert tree.dump() == before


@pytest.mark.parametrize(
    ("args", "quoted"),
    [
        (("1", "ministry"), "'ministry'"),
        (("1", "village"), "'village'"),
        (("abc", "county"), "'abc'"),
        (("0", "county"), "'0'"),
    ],
)
def test_run_depth_with_a_bad_argument_is_a_usage_error(
    tree: Qinglian, args: tuple[str, str], quoted: str
) -> None:
    tree.ok(*LAUNCH)
    before = tree.dump()
    result = tree("campaign", "run-depth", *args)
    assert result.exit_code == 2
    assert quoted in assert_one_error(result)
    assert tree.dump() == before


def test_run_depth_help_names_the_levels(cli: Qinglian) -> None:
    assert "province|city|county|institution|department" in (
        cli.ok("campaign", "run-depth", "--help").stdout
    )
