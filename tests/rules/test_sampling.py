"""Inspection sampling (qinglian.rules.sampling): allocation, weighted draw, determinism."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

from models.enums import Level
from qinglian.core.errors import QinglianError
from qinglian.rules.sampling import DrawnUnit, SampleCandidate, SamplingError, allocate, draw_sample

P, C, X, H, D = Level.province, Level.city, Level.county, Level.institution, Level.department


def population(strata: dict[Level, int], lagging: int = 0) -> list[SampleCandidate]:
    """Units numbered from 1, stratum by stratum; the first ``lagging`` of each are lagging."""
    units = []
    next_id = 1
    for level, count in strata.items():
        for index in range(count):
            units.append(SampleCandidate(next_id, level, index < lagging))
            next_id += 1
    return units


# --- allocation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strata", "size", "expected"),
    [
        pytest.param({C: 5}, 5, {C: 5}, id="one-stratum-all"),
        pytest.param({P: 2, C: 4, H: 10}, 8, {P: 1, C: 2, H: 5}, id="exact-quotas"),
        pytest.param({C: 3, X: 3}, 2, {C: 1, X: 1}, id="even-split"),
        # Hamilton gives 0/0/1/9; the smallest strata get one each, from the most over-quota.
        pytest.param({P: 1, C: 2, X: 10, H: 87}, 10, {P: 1, C: 1, X: 1, H: 7}, id="min-one"),
        # Fewer units than strata: no minimum, the largest remainders win.
        pytest.param({P: 1, H: 9}, 1, {P: 0, H: 1}, id="size-below-strata"),
        # Equal remainders: the higher levels first.
        pytest.param({C: 1, X: 1, H: 1}, 2, {C: 1, X: 1, H: 0}, id="tie-by-level"),
        pytest.param({P: 3, C: 7}, 10, {P: 3, C: 7}, id="everyone"),
        pytest.param({P: 0, C: 4, H: 4}, 2, {C: 1, H: 1}, id="empty-stratum-ignored"),
        # largest remainder: 3.5/3.5/3 → one of the halves rounds up (the higher level)
        pytest.param({C: 7, X: 7, H: 6}, 10, {C: 4, X: 3, H: 3}, id="largest-remainder"),
    ],
)
def test_allocate(strata: dict[Level, int], size: int, expected: dict[Level, int]) -> None:
    shares = allocate(strata, size)
    assert shares == expected
    assert sum(shares.values()) == size
    assert all(0 <= shares[level] <= strata[level] for level in shares)


@pytest.mark.parametrize("size", range(1, 31))
def test_allocation_always_sums_and_represents_every_stratum(size: int) -> None:
    strata = {P: 1, C: 3, X: 6, H: 12, D: 8}
    shares = allocate(strata, size)
    assert sum(shares.values()) == size
    assert all(shares[level] <= strata[level] for level in strata)
    if size >= len(strata):
        assert all(shares[level] >= 1 for level in strata)


# --- the draw ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strata", "size"),
    [
        ({P: 1, C: 3, X: 6, H: 12, D: 8}, 5),
        ({P: 1, C: 3, X: 6, H: 12, D: 8}, 12),
        ({C: 2, H: 40}, 2),
        ({H: 9}, 9),
        ({P: 2, C: 2}, 3),
    ],
)
@pytest.mark.parametrize("seed", [0, 1, 2012, 2**40])
def test_draw_sample_shape(strata: dict[Level, int], size: int, seed: int) -> None:
    units = population(strata, lagging=1)
    drawn = draw_sample(units, size, seed)
    assert len(drawn) == size
    ids = [unit.unit_id for unit in drawn]
    assert len(set(ids)) == size
    by_id = {unit.unit_id: unit for unit in units}
    for unit in drawn:
        assert isinstance(unit, DrawnUnit)
        candidate = by_id[unit.unit_id]
        assert (unit.stratum, unit.lagging) == (candidate.stratum, candidate.lagging)
        assert unit.weight == (3.0 if candidate.lagging else 1.0)
    assert Counter(unit.stratum for unit in drawn) == {
        level: share for level, share in allocate(strata, size).items() if share
    }
    if size >= len(strata):
        assert {unit.stratum for unit in drawn} == set(strata)
    # stratum by stratum, higher levels first
    ranks = [unit.stratum.rank for unit in drawn]
    assert ranks == sorted(ranks)


def test_same_seed_same_sample_whatever_the_order() -> None:
    units = population({P: 2, C: 5, X: 9, H: 30}, lagging=2)
    first = draw_sample(units, 10, seed=42)
    shuffled = list(units)
    random.Random(7).shuffle(shuffled)
    assert draw_sample(shuffled, 10, seed=42) == first
    assert draw_sample(units, 10, seed=42) == first
    others = {tuple(draw_sample(units, 10, seed=seed)) for seed in range(20)}
    assert len(others) > 10  # different seeds, different samples


@pytest.mark.parametrize(("weight", "low", "high"), [(3.0, 0.4, 0.6), (1.0, 0.15, 0.25)])
def test_lagging_units_are_over_represented(weight: float, low: float, high: float) -> None:
    """40 hospitals, 8 lagging (20%): with weight 3 about half the sample is lagging."""
    units = population({H: 40}, lagging=8)
    drawn = [unit for seed in range(400) for unit in draw_sample(units, 5, seed, weight)]
    share = sum(unit.lagging for unit in drawn) / len(drawn)
    assert low < share < high, share


def test_every_unit_can_be_drawn() -> None:
    units = population({H: 12}, lagging=3)
    seen = {unit.unit_id for seed in range(200) for unit in draw_sample(units, 2, seed)}
    assert seen == {unit.unit_id for unit in units}


# --- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("units", "size", "weight", "zh"),
    [
        pytest.param(population({H: 3}), 4, 3.0, "超过可抽查的单位数 3", id="too-large"),
        pytest.param(population({}), 1, 3.0, "超过可抽查的单位数 0", id="empty-population"),
        pytest.param(population({H: 3}), 0, 3.0, "至少为 1", id="zero"),
        pytest.param(population({H: 3}), -2, 3.0, "至少为 1", id="negative"),
        pytest.param(population({H: 3}), 2, 0.0, "权重须为正数", id="zero-weight"),
        pytest.param(population({H: 3}), 2, -1.0, "权重须为正数", id="negative-weight"),
        pytest.param(population({H: 3}), 2, math.nan, "权重须为正数", id="nan-weight"),
        pytest.param(population({H: 3}), 2, math.inf, "权重须为正数", id="inf-weight"),
    ],
)
def test_refuses(units: list[SampleCandidate], size: int, weight: float, zh: str) -> None:
    with pytest.raises(SamplingError) as raised:
        draw_sample(units, size, seed=1, lagging_weight=weight)
    error = raised.value
    assert isinstance(error, ValueError) and isinstance(error, QinglianError)
    assert zh in error.zh
    assert error.en and error.en != error.zh


def test_refuses_a_unit_twice_and_non_integers() -> None:
    with pytest.raises(ValueError, match="once"):
        draw_sample([SampleCandidate(1, H), SampleCandidate(1, H)], 1, seed=1)
    with pytest.raises(TypeError):
        draw_sample(population({H: 3}), 1, seed="7")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        draw_sample(population({H: 3}), 1.0, seed=7)  # type: ignore[arg-type]
