"""Who a complaint is about: cadres scored against the name it wrote. Pure functions.

Matching scores cadres against a complaint's :class:`NameQuery`, within a block: the subtree
of the unit the complaint names (every cadre whose unit path starts with that unit's path), or
the whole campaign when the unit is unknown. A small block is scored cadre by cadre, fuzzy
similarity included; a large one only through dict lookups (by normalised name, by pinyin, by
surname and title), so nothing is ever compared pairwise over all cadres.

Scores (the reason is recorded beside each, never quoting the complaint):

| evidence | score |
|---|---|
| the normalised name is the same | 1.0 |
| the name was written in pinyin and equals the cadre's | 0.9 |
| surname and title (王院长), the post at the level written | 0.9 |
| pinyin in given-name-first order; a homophone (顾阳 for 顾扬); a deputy addressed by the plain title (王院长 for a 副院长) | 0.85 |
| similar name (rapidfuzz) | up to 0.8 |
| surname with 副 written, the cadre holding the principal post | 0.7 |
| title only (连妇保院长) | 0.6 |

A complaint is assigned only when its best score reaches :data:`AUTO_THRESHOLD` and beats the
second best by :data:`MARGIN`; otherwise it is ``ambiguous`` (the human queue) or, with no
candidate at all, ``unmatched``. Whether the cadre declared what the complaint alleges is
:mod:`qinglian.rules.allegations`.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import fuzz

from qinglian.rules.names import TITLES, NameQuery, pinyin_key, surname_of, title_relation
from qinglian.rules.text import to_halfwidth, to_simplified

AUTO_THRESHOLD = 0.85
MARGIN = 0.1
FLOOR = 0.5
# A block this small is scored cadre by cadre (fuzzy included); a larger one by lookups only.
SCAN_LIMIT = 300
# At most this many cadres are scored from one lookup bucket (王院长 across a whole country).
BUCKET_LIMIT = 200
KEEP = 3
_EPSILON = 1e-9
_SPACES = re.compile(r"[\s\u3000\u00a0]+")
_TITLE_RE = re.compile("|".join(TITLES))

EXACT, LATIN, TITLE_SAME, SWAPPED, HOMOPHONE, TITLE_DEPUTY = 1.0, 0.9, 0.9, 0.85, 0.85, 0.85
FUZZY_MAX, TITLE_PRINCIPAL, TITLE_ONLY = 0.8, 0.7, 0.6


class Decision(StrEnum):
    matched = "matched"
    ambiguous = "ambiguous"
    unmatched = "unmatched"


@dataclass(frozen=True, slots=True)
class Candidate:
    cadre_id: int
    score: float
    reason: str


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Ranked candidates (at most :data:`KEEP`), the decision and how much work it took."""

    decision: Decision
    candidates: tuple[Candidate, ...]
    scored: int
    reason: str = ""

    @property
    def cadre_id(self) -> int | None:
        return self.candidates[0].cadre_id if self.decision is Decision.matched else None

    @property
    def score(self) -> float | None:
        return self.candidates[0].score if self.candidates else None


@dataclass(frozen=True, slots=True)
class CadreRow:
    id: int
    name: str
    post: str
    unit_path: str


def fold_name(name: str) -> str:
    """A cadre's name as stored, folded the way complaint names are (width, script, spaces)."""
    return _SPACES.sub("", to_simplified(to_halfwidth(name)))


def score_cadre(query: NameQuery, name: str, post: str, pinyin: str) -> tuple[float, str] | None:
    """(score, reason) of one cadre (folded ``name``, ``post``, ``pinyin`` key) for ``query``.

    None below the floor.
    """
    score, reason = 0.0, ""
    if query.name:
        if name == query.name:
            score, reason = EXACT, "姓名一致"
        elif query.pinyin and pinyin == query.pinyin:
            score, reason = HOMOPHONE, "姓名同音（拼音一致）"
        else:
            ratio = fuzz.ratio(query.name, name, score_cutoff=FLOOR * 100)
            if ratio:
                score, reason = FUZZY_MAX * ratio / 100, f"姓名相近（相似度 {ratio:.0f}）"
        if score and query.title and title_relation(query.title, query.deputy, post) == "same":
            score, reason = min(EXACT, score + 0.05), reason + f"，职务为{_title(query)}"
    elif query.latin:
        if pinyin == query.pinyin:
            score, reason = LATIN, "姓名拼音一致"
        elif query.pinyin_swapped and pinyin == query.pinyin_swapped:
            score, reason = SWAPPED, "姓名拼音一致（姓、名顺序颠倒）"
        else:
            ratio = fuzz.ratio(query.pinyin, pinyin, score_cutoff=80)
            if ratio:
                score, reason = FUZZY_MAX * ratio / 100, f"姓名拼音相近（相似度 {ratio:.0f}）"
    elif query.surname:
        if query.title and surname_of(name) == query.surname:
            relation = title_relation(query.title, query.deputy, post)
            if relation == "same":
                score, reason = TITLE_SAME, f"姓氏相同，职务为{_title(query)}"
            elif relation == "deputy":
                score, reason = TITLE_DEPUTY, f"姓氏相同，职务为副{query.title}"
            elif relation == "principal":
                score, reason = TITLE_PRINCIPAL, f"姓氏相同，职务为{query.title}（反映为副职）"
    elif query.title:
        relation = title_relation(query.title, query.deputy, post)
        if relation == "same":
            score, reason = TITLE_ONLY, f"未写姓名，职务为{_title(query)}"
        elif relation is not None:
            score, reason = TITLE_ONLY - 0.05, f"未写姓名，职务与{_title(query)}相近"
    if score < FLOOR - _EPSILON:
        return None
    return round(score, 4), reason


def _title(query: NameQuery) -> str:
    return ("副" if query.deputy else "") + query.title


def decide(candidates: Sequence[Candidate], *, auto: bool = True) -> Decision:
    """matched when the best reaches the threshold and beats the second by the margin."""
    if not candidates:
        return Decision.unmatched
    top = candidates[0].score
    runner_up = candidates[1].score if len(candidates) > 1 else 0.0
    if auto and top >= AUTO_THRESHOLD - _EPSILON and top - runner_up >= MARGIN - _EPSILON:
        return Decision.matched
    return Decision.ambiguous


def rank(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Best first; equal scores by cadre id, so a ranking never depends on load order."""
    best: dict[int, Candidate] = {}
    for candidate in candidates:
        seen = best.get(candidate.cadre_id)
        if seen is None or candidate.score > seen.score:
            best[candidate.cadre_id] = candidate
    return sorted(best.values(), key=lambda c: (-c.score, c.cadre_id))


class CadreIndex:
    """The cadres of a campaign, indexed for blocked matching.

    Columns are kept as parallel lists (a million cadres fit in a few hundred MB); lookups by
    folded name are built at once, those by pinyin and by surname+title on first use.
    """

    def __init__(self, rows: Iterable[CadreRow]) -> None:
        ids: list[int] = []
        raw_names: list[str] = []
        posts: list[str] = []
        paths: list[str] = []
        interned: dict[str, str] = {}
        for row in rows:
            ids.append(row.id)
            raw_names.append(row.name)
            posts.append(interned.setdefault(row.post, row.post))
            paths.append(interned.setdefault(row.unit_path, row.unit_path))
        self.ids = ids
        self.posts = posts
        self.paths = paths
        # One OpenCC call over all names: per-name calls cost more than the conversion itself.
        folded = to_simplified(to_halfwidth("\n".join(_SPACES.sub("", n) for n in raw_names)))
        self.names = folded.split("\n") if raw_names else []
        self.by_name: dict[str, list[int]] = defaultdict(list)
        for position, name in enumerate(self.names):
            self.by_name[name].append(position)
        self._order = sorted(range(len(ids)), key=paths.__getitem__)
        self._sorted_paths = [paths[position] for position in self._order]
        self._pinyin: list[str | None] = [None] * len(ids)
        self._by_pinyin: dict[str, list[str]] | None = None
        self._by_title: dict[tuple[str, str], list[int]] | None = None

    def __len__(self) -> int:
        return len(self.ids)

    # -- blocks --

    def block_size(self, prefixes: Sequence[str] | None) -> int:
        if prefixes is None:
            return len(self.ids)
        return sum(hi - lo for lo, hi in self._ranges(prefixes))

    def _ranges(self, prefixes: Sequence[str]) -> Iterator[tuple[int, int]]:
        for prefix in _outermost(prefixes):
            lo = bisect.bisect_left(self._sorted_paths, prefix)
            hi = bisect.bisect_left(self._sorted_paths, prefix + "\uffff")
            yield lo, hi

    def _block(self, prefixes: Sequence[str] | None) -> Iterator[int]:
        if prefixes is None:
            yield from range(len(self.ids))
            return
        for lo, hi in self._ranges(prefixes):
            yield from self._order[lo:hi]

    # -- lookups --

    def _pinyin_bucket(self, key: str) -> list[int]:
        if self._by_pinyin is None:
            # Keyed over distinct names: a country's cadres share many of them.
            names: dict[str, list[str]] = defaultdict(list)
            for name in self.by_name:
                names[pinyin_key(name)].append(name)
            self._by_pinyin = names
        return [
            position for name in self._by_pinyin.get(key, ()) for position in self.by_name[name]
        ]

    def _title_bucket(self, surname: str, title: str) -> list[int]:
        if self._by_title is None:
            titles_of: dict[str, set[str]] = {}
            index: dict[tuple[str, str], list[int]] = defaultdict(list)
            for position, post in enumerate(self.posts):
                titles = titles_of.get(post)
                if titles is None:
                    titles = titles_of[post] = set(_TITLE_RE.findall(post))
                if titles:
                    surname_here = surname_of(self.names[position])
                    for found in titles:
                        index[(surname_here, found)].append(position)
            self._by_title = index
        return self._by_title.get((surname, title), [])

    # -- matching --

    def match(
        self, query: NameQuery, prefixes: Sequence[str] | None, *, auto: bool = True
    ) -> MatchResult:
        """Rank the cadres of the block for ``query`` and decide (see the module docstring)."""
        if query.empty:
            return MatchResult(Decision.unmatched, (), 0, "未写被反映人姓名")
        if self.block_size(prefixes) <= SCAN_LIMIT:
            positions: Iterable[int] = self._block(prefixes)
            crowded = False
        else:
            positions, crowded = self._looked_up(query, prefixes)
        scored = 0
        found: list[Candidate] = []
        names, posts, ids, pinyins = self.names, self.posts, self.ids, self._pinyin
        for position in positions:
            scored += 1
            pinyin = pinyins[position]
            if pinyin is None:
                pinyin = pinyins[position] = pinyin_key(names[position])
            scoring = score_cadre(query, names[position], posts[position], pinyin)
            if scoring is not None:
                found.append(Candidate(ids[position], *scoring))
        ranked = rank(found)
        decision = decide(ranked, auto=auto and not crowded)
        reason = "候选人过多，需人工甄别" if crowded and len(ranked) > 1 else ""
        return MatchResult(decision, tuple(ranked[:KEEP]), scored, reason)

    def _looked_up(
        self, query: NameQuery, prefixes: Sequence[str] | None
    ) -> tuple[list[int], bool]:
        buckets: list[list[int]] = []
        if query.name:
            buckets.append(self.by_name.get(query.name, []))
            if query.pinyin:
                buckets.append(self._pinyin_bucket(query.pinyin))
        elif query.latin:
            buckets.append(self._pinyin_bucket(query.pinyin))
            if query.pinyin_swapped:
                buckets.append(self._pinyin_bucket(query.pinyin_swapped))
        elif query.surname and query.title:
            buckets.append(self._title_bucket(query.surname, query.title))
        allowed = None if prefixes is None else frozenset(prefixes)
        positions: list[int] = []
        crowded = False
        for bucket in buckets:
            taken = 0
            for position in bucket:
                if allowed is not None and not _within(self.paths[position], allowed):
                    continue
                if taken == BUCKET_LIMIT:
                    crowded = True
                    break
                positions.append(position)
                taken += 1
        return list(dict.fromkeys(positions)), crowded


def _within(path: str, prefixes: frozenset[str]) -> bool:
    """Whether ``path`` ("/1/5/17/") lies in the subtree of any of ``prefixes``."""
    end = path.find("/", 1)
    while end > 0:
        if path[: end + 1] in prefixes:
            return True
        end = path.find("/", end + 1)
    return False


def _outermost(prefixes: Sequence[str]) -> list[str]:
    """The prefixes not inside another one, so overlapping subtrees are visited once."""
    kept: list[str] = []
    for prefix in sorted(set(prefixes)):
        if not kept or not prefix.startswith(kept[-1]):
            kept.append(prefix)
    return kept
