"""Unit names as complaints write them (被反映单位), resolved against a campaign's units.

Plain functions and one small in-memory directory: no database, no Prefect. Aliases and
abbreviations (``连妇保``), a unit named below a known one (``连妇保产科``), place names before
or level markers (市, 县) inside a name, and near spellings all resolve without comparing the
query with the whole tree.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from qinglian.rules.text import normalise_text, without_spaces

# Suffix classes: the kind of unit a name ends with, so 连云港卫生局 never meets 连云港市医院.
_UNIT_SUFFIXES: tuple[tuple[str, str], ...] = tuple(
    sorted(
        [
            *(
                (suffix, "admin")
                for suffix in (
                    "卫生和计划生育委员会",
                    "卫生健康委员会",
                    "卫生计生委",
                    "卫健委",
                    "卫计委",
                    "卫生委",
                    "卫生厅",
                    "卫生局",
                    "卫食局",
                    "卫生厅(局)",
                )
            ),
            *((suffix, "hospital") for suffix in ("医院", "医学院附属医院", "附属医院")),
            *(
                (suffix, "mch")
                for suffix in ("妇幼保健院", "妇幼保健所", "妇幼保健计划生育服务中心")
            ),
            *(
                (suffix, "primary")
                for suffix in ("卫生院", "社区卫生服务中心", "计卫中心", "卫生服务中心")
            ),
        ],
        key=lambda pair: len(pair[0]),
        reverse=True,
    )
)
_LEVEL_MARKERS = re.compile(r"自治区|自治州|自治县|特别行政区|省|市|县|区")
# A bare department name (产科) is no anchor for 产科医院…; nor is a name many units share.
_NESTED_HEAD_MIN = 3
_NESTED_PARENTS_MAX = 5
_CACHE_MAX = 500_000
_FUZZY_MIN = 85.0
_FUZZY_GAP = 5.0
_GRAM_POSTING_MAX = 2000
_FUZZY_POOL = 50


def normalise_unit(raw: str) -> str:
    """A unit's name folded for comparison: normalised text without any whitespace."""
    return without_spaces(normalise_text(raw))


def unit_core(name: str) -> tuple[str, str]:
    """(core, kind) of a normalised unit name: the kind suffix and level markers removed.

    连云港市卫生局 → (连云港, admin); 连云港市第一人民医院 → (连云港第一人民, hospital).
    """
    kind = ""
    for suffix, suffix_kind in _UNIT_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            name, kind = name[: -len(suffix)], suffix_kind
            break
    core = _LEVEL_MARKERS.sub("", name)
    return (core or name), kind


@dataclass(frozen=True, slots=True)
class UnitEntry:
    id: int
    name: str
    path: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UnitMatch:
    """Which units a written unit name means, how it was recognised, and a Chinese reason."""

    unit_ids: tuple[int, ...]
    how: str
    reason: str
    score: float = 1.0

    @property
    def known(self) -> bool:
        return bool(self.unit_ids)


UNKNOWN_UNIT = UnitMatch((), "unknown", "被反映单位未找到，在全活动范围内匹配", 0.0)
NO_UNIT = UnitMatch((), "none", "未写被反映单位，在全活动范围内匹配", 0.0)


class UnitDirectory:
    """The units of a campaign by normalised name, alias and core, for resolving written names.

    Every lookup is a dict access; the fuzzy fallback compares only units sharing rare
    character bigrams with the query, never the whole tree.
    """

    def __init__(self, units: Iterable[UnitEntry]) -> None:
        self.paths: dict[int, str] = {}
        self._exact: defaultdict[str, list[int]] = defaultdict(list)
        self._alias: defaultdict[str, list[int]] = defaultdict(list)
        self._core: defaultdict[tuple[str, str], list[int]] = defaultdict(list)
        self._cores: dict[int, tuple[str, str]] = {}
        self._grams: defaultdict[str, list[int]] = defaultdict(list)
        self._cache: dict[str, UnitMatch] = {}
        for unit in units:
            self.paths[unit.id] = unit.path
            name = normalise_unit(unit.name)
            self._exact[name].append(unit.id)
            for alias in unit.aliases:
                alias = normalise_unit(alias)
                if alias and alias != name:
                    self._alias[alias].append(unit.id)
            core = unit_core(name)
            self._core[core].append(unit.id)
            self._cores[unit.id] = core
            for gram in set(_bigrams(core[0])):
                self._grams[gram].append(unit.id)
        self._max_name = max((len(name) for name in self._exact), default=0)

    def __len__(self) -> int:
        return len(self.paths)

    def resolve(self, raw: str) -> UnitMatch:
        """The unit(s) a complaint's 被反映单位 names; :data:`UNKNOWN_UNIT` when none fits."""
        cached = self._cache.get(raw)
        if cached is not None:
            return cached
        text = normalise_unit(raw)
        if not text:
            return NO_UNIT
        cached = self._cache.get(text)
        if cached is None:
            cached = self._cache[text] = self._resolve(text)
        if len(self._cache) < _CACHE_MAX:
            self._cache[raw] = cached
        return cached

    def _resolve(self, text: str) -> UnitMatch:
        if text in self._exact:
            return UnitMatch(tuple(self._exact[text]), "exact", "单位名称一致")
        if text in self._alias:
            return UnitMatch(tuple(self._alias[text]), "alias", "单位简称一致")
        nested = self._nested(text)
        if nested is not None:
            return nested
        for start in range(1, len(text) - 3):
            ids = self._exact.get(text[start:])
            if ids:
                return UnitMatch(tuple(ids), "suffix", "去掉前面的地名后单位名称一致", 0.95)
        core = unit_core(text)
        if core in self._core:
            return UnitMatch(
                tuple(self._core[core]), "core", "去掉市/县/区等字样后单位名称一致", 0.9
            )
        return self._fuzzy(core)

    def _nested(self, text: str) -> UnitMatch | None:
        """``连妇保产科``: a known unit, then a unit below it (or the known unit alone)."""
        for end in range(min(len(text) - 1, self._max_name), 1, -1):
            head = text[:end]
            parents = self._alias.get(head) or (
                self._exact.get(head) if end >= _NESTED_HEAD_MIN else None
            )
            if not parents or len(parents) > _NESTED_PARENTS_MAX:
                continue
            rest = text[end:]
            prefixes = [self.paths[parent] for parent in parents]
            below = [
                unit_id
                for unit_id in (*self._exact.get(rest, ()), *self._alias.get(rest, ()))
                if any(self.paths[unit_id].startswith(prefix) for prefix in prefixes)
            ]
            if below:
                return UnitMatch(tuple(below), "nested", "上级单位及下级单位名称一致", 0.95)
            return UnitMatch(tuple(parents), "parent", "只认出上级单位，在其全部下级中匹配", 0.85)
        return None

    def _fuzzy(self, core: tuple[str, str]) -> UnitMatch:
        grams = [
            gram
            for gram in set(_bigrams(core[0]))
            if 0 < len(self._grams.get(gram, ())) <= _GRAM_POSTING_MAX
        ]
        if not grams:
            return UNKNOWN_UNIT
        shared: Counter[int] = Counter()
        for gram in grams:
            shared.update(self._grams[gram])
        pool = [unit_id for unit_id, _ in shared.most_common(_FUZZY_POOL)]
        scored = sorted(
            (
                (fuzz.ratio(core[0], self._cores[unit_id][0]), unit_id)
                for unit_id in pool
                if self._cores[unit_id][1] == core[1]
            ),
            reverse=True,
        )
        if not scored or scored[0][0] < _FUZZY_MIN:
            return UNKNOWN_UNIT
        best = scored[0][0]
        tied = tuple(unit_id for score, unit_id in scored if score > best - _FUZZY_GAP)
        return UnitMatch(
            tied, "fuzzy", f"单位名称相近（相似度 {best:.0f}）", round(best / 100 * 0.9, 3)
        )


def _bigrams(text: str) -> list[str]:
    return [text[i : i + 2] for i in range(len(text) - 1)] or ([text] if text else [])
