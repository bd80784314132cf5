"""Tasks called as plain functions (``task.fn``): what each returns, on a real database."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tasks.campaign import launch, load_phase, load_phases
from tasks.escalate import write_digests
from tasks.rectify import ensure_items
from tests.databases import DATABASES
from tests.factories import FB, MOH, Qinglian, qinglian_cli, write_units


@pytest.fixture(params=DATABASES)
def tree(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Qinglian]:
    with qinglian_cli(request.param, tmp_path, monkeypatch) as cli:
        cli.ok("units", "import", write_units(tmp_path / "units.xlsx"))
        yield cli


def test_launch_is_idempotent_and_the_phases_come_in_order(tree: Qinglian) -> None:
    first = launch.fn("coi-2012", MOH, None)
    again = launch.fn("coi-2012", MOH, None)
    assert first.created and not again.created
    assert again.campaign_id == first.campaign_id
    phases = load_phases.fn(first.campaign_id)
    assert [phase.key for phase in phases] == ["mobilize", "find", "rectify", "summarize"]
    assert all(a.ends_on < b.starts_on for a, b in itertools.pairwise(phases))


def test_load_phase_names_the_campaign_root(tree: Qinglian) -> None:
    campaign_id = launch.fn("coi-2012", MOH, None).campaign_id
    context = load_phase.fn(campaign_id, "find")
    assert (context.phase_key, context.root.code) == ("find", MOH)
    assert context.phase_ends_on > date(2012, 7, 16)


def test_nothing_confirmed_means_no_items_and_a_sweep_run_twice_queues_once(
    tree: Qinglian,
) -> None:
    campaign_id = launch.fn("coi-2012", FB, None).campaign_id
    assert ensure_items.fn(campaign_id, date(2012, 10, 31)) == 0
    first = write_digests.fn(campaign_id, date(2012, 7, 20))
    assert first.open_items >= 1 and first.digests >= 1
    again = write_digests.fn(campaign_id, date(2012, 7, 20))
    assert (again.new_item_steps, again.digests) == (0, 0)
    assert again.already_queued == first.new_item_steps
