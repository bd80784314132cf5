"""Inspection sampling (检查组抽查), weighted toward lagging units. Pure: values in, values out.

The population is stratified by level (省、市、县、单位、科室). The sample is allocated to the
strata in proportion to their sizes by the largest-remainder (Hamilton) method; when the
sample is at least as large as the number of strata, every non-empty stratum gets at least
one unit, taken from the stratum most over-allocated against its exact quota. Within a
stratum, units are drawn without replacement with probability proportional to their weight
(Efraimidis–Spirakis: each unit draws ``u`` uniformly and keeps the ``k`` largest
``log(u) / w``), a lagging unit (工作滞后或问题较多) weighing ``lagging_weight`` and any other
unit 1. The same population, size and seed always give the same sample.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from models.enums import Level
from qinglian.core.errors import QinglianError

DEFAULT_LAGGING_WEIGHT = 3.0


class SamplingError(QinglianError, ValueError):
    """A sample that cannot be drawn as asked (too large, too small, a bad weight)."""


class SampleCandidate(NamedTuple):
    """A unit that may be inspected: its stratum and whether it is lagging on the day."""

    unit_id: int
    stratum: Level
    lagging: bool = False


class DrawnUnit(NamedTuple):
    """A unit in the sample, with the weight it was drawn with."""

    unit_id: int
    stratum: Level
    lagging: bool
    weight: float


def allocate(strata: Mapping[Level, int], size: int) -> dict[Level, int]:
    """How many units each stratum gives: proportional, largest remainder, one at least.

    ``strata`` maps each stratum to its number of units; empty strata get nothing. Exact
    integer arithmetic, ties broken by level (higher levels first), so the result never
    depends on floating-point rounding.
    """
    sizes = {level: count for level, count in strata.items() if count > 0}
    total = sum(sizes.values())
    _check_size(size, total)
    order = sorted(sizes, key=lambda level: level.rank)
    # quota_h = size * N_h / total, kept as the numerator over ``total``
    numerators = {level: size * sizes[level] for level in order}
    shares = {level: numerators[level] // total for level in order}
    left = size - sum(shares.values())
    by_remainder = sorted(order, key=lambda level: (-(numerators[level] % total), level.rank))
    for level in by_remainder[:left]:
        shares[level] += 1
    if size >= len(order):
        for level in order:
            if shares[level] == 0:
                # The donor is the stratum furthest above its exact quota (and above one).
                donor = max(
                    (other for other in order if shares[other] > 1),
                    key=lambda other: (shares[other] * total - numerators[other], -other.rank),
                )
                shares[donor] -= 1
                shares[level] = 1
    return shares


def draw_sample(
    population: Sequence[SampleCandidate],
    size: int,
    seed: int,
    lagging_weight: float = DEFAULT_LAGGING_WEIGHT,
) -> list[DrawnUnit]:
    """Draw ``size`` units, stratified by level, lagging units weighted ``lagging_weight``.

    Returned stratum by stratum (higher levels first), each in the order drawn.
    """
    if isinstance(size, bool) or not isinstance(size, int):
        raise TypeError(f"size must be an int, not {type(size).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, not {type(seed).__name__}")
    if not math.isfinite(lagging_weight) or lagging_weight <= 0:
        raise SamplingError(
            f"滞后单位的权重须为正数，而不是 {lagging_weight}",
            f"the lagging weight must be a positive number, not {lagging_weight}",
        )
    ids = [candidate.unit_id for candidate in population]
    if len(set(ids)) != len(ids):
        raise ValueError("each unit may appear in the population once")
    by_stratum: dict[Level, list[SampleCandidate]] = defaultdict(list)
    for candidate in population:
        by_stratum[Level(candidate.stratum)].append(candidate)
    shares = allocate({level: len(units) for level, units in by_stratum.items()}, size)
    rng = random.Random(seed)
    drawn: list[DrawnUnit] = []
    # Strata and their units in a fixed order, so the random stream maps to the same units.
    for level in sorted(by_stratum, key=lambda level: level.rank):
        units = sorted(by_stratum[level], key=lambda candidate: candidate.unit_id)
        keyed = []
        for candidate in units:
            weight = lagging_weight if candidate.lagging else 1.0
            u = 1.0 - rng.random()  # in (0, 1]: log(u) is finite
            keyed.append((math.log(u) / weight, candidate, weight))
        keyed.sort(key=lambda entry: (-entry[0], entry[1].unit_id))
        drawn.extend(
            DrawnUnit(candidate.unit_id, level, candidate.lagging, weight)
            for _, candidate, weight in keyed[: shares[level]]
        )
    return drawn


def _check_size(size: int, population: int) -> None:
    if size < 1:
        raise SamplingError(
            f"抽查数量须至少为 1，而不是 {size}", f"the sample size must be at least 1, not {size}"
        )
    if size > population:
        raise SamplingError(
            f"抽查数量 {size} 超过可抽查的单位数 {population}",
            f"the sample size {size} is larger than the {population} unit(s) that can be inspected",
        )
