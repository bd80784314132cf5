"""Text as complaints write it, folded into what matching compares.

Plain functions over strings (and one small directory of units): no database, no Prefect.

- traditional → simplified (OpenCC ``t2s``);
- full-width ASCII → half-width (the NFKC mapping of U+FF01–FF5E, and U+3000 → space);
- web-copy pinyin glosses removed (``衛(wèi)生局`` → ``卫生局``, also ``（wei4）``);
- spaces inside names removed (``顾  扬`` → ``顾扬``);
- titles stripped from names, kept as a hint (``王院长`` → ``王`` + ``院长``);
- names written in pinyin (``Gu Yang``) turned into a comparable key;
- unit names, aliases and abbreviations resolved against the tree (``连妇保``).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import opencc
from pypinyin import lazy_pinyin
from pypinyin.pinyin_dict import pinyin_dict
from rapidfuzz import fuzz

from models.enums import CATEGORY_LABELS, FindingCategory

_T2S = opencc.OpenCC("t2s")
# Full-width ASCII (！ … ～) to ASCII, and the ideographic space to a space: exactly what NFKC
# does in that range, leaving CJK punctuation such as 、。「」 alone.
_HALFWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAS_CJK = re.compile(f"[{_CJK}]")
_SPACES = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
_PINYIN_LETTERS = "A-Za-z\u00c0-\u024f\u1e00-\u1eff\u0300-\u036f:"
_GLOSS = re.compile(
    rf"(?<=[{_CJK}])\s*\(\s*([{_PINYIN_LETTERS}]+[1-5]?(?:[\s']+[{_PINYIN_LETTERS}]+[1-5]?)*)\s*\)(?:\s+(?=[{_CJK}]))?"
)
_NAME_DOTS = re.compile(r"[·•‧∙⋅・.．]")
_PUNCTUATION = re.compile(
    r"[\s\u3000,.;:!?'\"()\[\]{}<>、，。；：！？“”‘’「」『』（）【】《》〈〉…—\-_/\\|]+"
)

TITLES: tuple[str, ...] = (
    "党委书记",
    "纪委书记",
    "秘书长",
    "护士长",
    "书记",
    "院长",
    "局长",
    "厅长",
    "处长",
    "科长",
    "主任",
    "所长",
    "站长",
    "部长",
    "司长",
    "主席",
    "会长",
    "组长",
    "校长",
    "馆长",
    "队长",
    "经理",
    "总监",
)
# Honorifics and professions that say nothing about a post: dropped without a hint.
HONORIFICS: tuple[str, ...] = ("同志", "先生", "女士", "医生", "大夫", "老师", "教授", "主任医师")
COMPOUND_SURNAMES = frozenset(
    [
        "欧阳",
        "司马",
        "上官",
        "诸葛",
        "东方",
        "皇甫",
        "尉迟",
        "公孙",
        "慕容",
        "长孙",
        "宇文",
        "司徒",
        "令狐",
        "夏侯",
        "轩辕",
        "端木",
        "独孤",
        "南宫",
        "西门",
        "万俟",
        "呼延",
        "澹台",
        "公冶",
        "太史",
        "申屠",
        "钟离",
        "闻人",
        "赫连",
        "百里",
    ]
)
# Surnames whose reading differs from the character's everyday one (曾 zēng, not céng).
SURNAME_READINGS = {
    "单": "shan",
    "曾": "zeng",
    "仇": "qiu",
    "解": "xie",
    "区": "ou",
    "查": "zha",
    "朴": "piao",
    "盖": "ge",
    "乐": "yue",
    "覃": "qin",
    "缪": "miao",
    "翟": "zhai",
    "种": "chong",
    "秘": "bi",
    "繁": "po",
    "员": "yun",
    "召": "shao",
    "洗": "xian",
    "隗": "wei",
    "莘": "shen",
    "折": "she",
    "句": "gou",
    "能": "nai",
    "尉迟": "yuchi",
    "万俟": "moqi",
}

_TITLE_SUFFIX = re.compile(rf"^(?P<name>.+?)(?P<deputy>副)?(?P<title>{'|'.join(TITLES)})$")
_TITLE_PREFIX = re.compile(rf"^(?P<deputy>副)?(?P<title>{'|'.join(TITLES)})(?P<name>.{{2,}})$")
_HONORIFIC = re.compile(rf"(?:{'|'.join(sorted(HONORIFICS, key=len, reverse=True))})$")


# --- text ----------------------------------------------------------------------------------


def to_halfwidth(text: str) -> str:
    """Full-width ASCII letters, digits and punctuation, and the ideographic space, as ASCII."""
    return text.translate(_HALFWIDTH)


def to_simplified(text: str) -> str:
    """Traditional characters as simplified ones (OpenCC t2s)."""
    return _T2S.convert(text) if _HAS_CJK.search(text) else text


def strip_pinyin_glosses(text: str) -> str:
    """Remove pinyin glosses in brackets after a character: ``衛(wèi)生局`` → ``衛生局``.

    Only brackets holding valid pinyin syllables (tone-marked, numbered or plain) right after a
    CJK character are removed; ``卫生局(health bureau)`` is kept.
    """
    return _GLOSS.sub(lambda match: "" if _is_pinyin(match.group(1)) else match.group(0), text)


def normalise_text(text: str) -> str:
    """Half-width, glosses removed, simplified, runs of whitespace as one space, stripped."""
    text = strip_pinyin_glosses(to_halfwidth(text))
    return _SPACES.sub(" ", to_simplified(text)).strip()


def normalise_content(text: str) -> str:
    """Complaint text folded for duplicate detection: no whitespace or punctuation, case-folded."""
    return _PUNCTUATION.sub("", normalise_text(text)).casefold()


def _is_pinyin(gloss: str) -> bool:
    syllables = _pinyin_syllables()
    return all(
        _plain_latin(token).rstrip("12345") in syllables
        for token in re.split(r"[\s']+", gloss)
        if token
    )


def _plain_latin(text: str) -> str:
    """Tone marks and digits of tones dropped, ü/v/u: as u, lower case."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return plain.casefold().replace("u:", "u").replace("v", "u")


@lru_cache(maxsize=1)
def _pinyin_syllables() -> frozenset[str]:
    found: set[str] = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            found.add(_plain_latin(reading))
    return frozenset(found)


# --- names ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NameQuery:
    """A person's name as a complaint wrote it, ready for matching.

    ``name`` is the normalised Chinese name without title ('' when only a surname was given);
    ``latin`` marks a name written in pinyin, whose keys are then in ``pinyin`` (as written)
    and ``pinyin_swapped`` (given name first, as foreign forms put it).
    """

    name: str
    surname: str = ""
    title: str = ""
    deputy: bool = False
    latin: bool = False
    pinyin: str = ""
    pinyin_swapped: str = ""

    @property
    def empty(self) -> bool:
        return not (self.name or self.surname or self.title or self.pinyin)

    def __repr__(self) -> str:
        # The accused's name stays out of logs and tracebacks; only the shape of the query shows.
        return (
            f"NameQuery(full={bool(self.name)}, surname={bool(self.surname)}, "
            f"title={bool(self.title)}, deputy={self.deputy}, latin={self.latin})"
        )


def normalise_name(raw: str) -> NameQuery:
    """Fold a person's name: whitespace, width, glosses, traditional forms, titles, pinyin."""
    text = normalise_text(raw)
    if not text:
        return NameQuery(name="")
    if not _HAS_CJK.search(text):
        tokens = [
            token for token in re.split(r"[^a-z]+", _plain_latin(re.sub(r"\d", " ", text))) if token
        ]
        if not tokens:
            return NameQuery(name="")
        swapped = "".join([*tokens[1:], tokens[0]]) if len(tokens) > 1 else ""
        return NameQuery(name="", latin=True, pinyin="".join(tokens), pinyin_swapped=swapped)
    compact = _NAME_DOTS.sub("·", _SPACES.sub("", text)).strip("·")
    core, title, deputy = strip_title(compact)
    if not core:
        return NameQuery(name="", title=title, deputy=deputy)
    if core in COMPOUND_SURNAMES or len(core) == 1:
        return NameQuery(name="", surname=core, title=title, deputy=deputy)
    return NameQuery(
        name=core, surname=surname_of(core), title=title, deputy=deputy, pinyin=pinyin_key(core)
    )


def strip_title(name: str) -> tuple[str, str, bool]:
    """``王院长`` → (王, 院长, False); ``王副院长`` → (王, 院长, True); ``院长王建国`` too."""
    name = _HONORIFIC.sub("", name) or name
    if name in TITLES:
        return "", name, False
    if name.startswith("副") and name[1:] in TITLES:
        return "", name[1:], True
    match = _TITLE_SUFFIX.match(name) or _TITLE_PREFIX.match(name)
    if match is None:
        return name, "", False
    core = _HONORIFIC.sub("", match.group("name")) or match.group("name")
    return core, match.group("title"), bool(match.group("deputy"))


def surname_of(name: str) -> str:
    """The surname: a compound one (欧阳) when the name starts with it, else the first character."""
    return name[:2] if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else name[:1]


def pinyin_key(name: str) -> str:
    """The toneless pinyin of a Chinese name, surname read as a surname: 曾丽 → zengli."""
    if not name:
        return ""
    chars = _CHAR_PINYIN
    try:
        readings = [chars[char] for char in name]
    except KeyError:
        readings = [chars.get(char) or _char_pinyin(char) for char in name]
    if name[0] in _SURNAME_FIRST_CHARS:
        if name[:2] in SURNAME_READINGS:
            return SURNAME_READINGS[name[:2]] + "".join(readings[2:])
        if name[0] in SURNAME_READINGS:
            return SURNAME_READINGS[name[0]] + "".join(readings[1:])
    return "".join(readings)


_SURNAME_FIRST_CHARS = frozenset(surname[0] for surname in SURNAME_READINGS)


# A plain dict in front of pypinyin: a national index reads a few thousand distinct characters
# millions of times.
_CHAR_PINYIN: dict[str, str] = {}


def _char_pinyin(char: str) -> str:
    reading = "" if char == "·" else lazy_pinyin(char, errors="ignore")
    key = _plain_latin(reading[0]) if reading else ""
    if len(_CHAR_PINYIN) < 100_000:
        _CHAR_PINYIN[char] = key
    return key


def title_relation(title: str, deputy: bool, post: str) -> str | None:
    """How a cadre's post fits a complaint's title hint.

    "same": the post carries the title at the level written (院长 ~ 院长, 副院长 ~ 副院长);
    "deputy": the post is the deputy one and the complaint wrote the plain title, as people
    address a 副院长 (王院长); "principal": the complaint wrote 副 but the post is the
    principal one; None when the post does not carry the title at all (院长助理 does not).
    """
    if not title:
        return None
    best: str | None = None
    start = post.find(title)
    while start >= 0:
        end = start + len(title)
        if end == len(post) or post[end] in _POST_SEPARATORS:
            cadre_deputy = start > 0 and post[start - 1] == "副"
            relation = (
                "same" if cadre_deputy == deputy else "deputy" if cadre_deputy else "principal"
            )
            if best is None or _RELATION_RANK[relation] < _RELATION_RANK[best]:
                best = relation
        start = post.find(title, start + 1)
    return best


_POST_SEPARATORS = frozenset("兼、,，/;；（( ")
_RELATION_RANK = {"same": 0, "deputy": 1, "principal": 2}


def post_titles(post: str) -> list[str]:
    """The titles a post carries (产科主任 → [主任]; 党委书记兼院长 → [党委书记, 书记, 院长])."""
    return [title for title in TITLES if title in post]


# --- units ---------------------------------------------------------------------------------

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
    return _SPACES.sub("", normalise_text(raw))


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


# --- alleged categories --------------------------------------------------------------------

CATEGORY_SHORT_FORMS: dict[FindingCategory, tuple[str, ...]] = {
    FindingCategory.relative_business: (
        "亲属经商",
        "亲属经商办企业",
        "亲属从事药品销售",
        "亲属从事医疗器械销售",
        "亲属药品销售",
        "亲属医疗器械销售",
        "配偶子女经商",
        "亲属营利性活动",
    ),
    FindingCategory.relative_foreign_post: (
        "外资任职",
        "亲属外资任职",
        "亲属在外资企业任职",
        "外资企业任职",
        "合资企业任职",
    ),
    FindingCategory.concurrent_leadership: ("兼任领导", "兼任领导职务", "违规兼任领导职务"),
    FindingCategory.unapproved_or_paid_post: (
        "兼职取酬",
        "违规兼职",
        "未经批准兼职",
        "兼职领取报酬",
    ),
    FindingCategory.post_retirement_employment: (
        "离职从业",
        "离退休后从业",
        "退休从业",
        "离职后从业",
        "违规从业",
    ),
    FindingCategory.recusal_not_observed: ("未回避", "应回避未回避", "不回避", "未执行回避"),
    FindingCategory.concealment: ("隐瞒不报", "弄虚作假", "瞒报", "不如实报告", "不如实申报"),
}


def _category_key(text: str) -> str:
    return _PUNCTUATION.sub("", normalise_text(text)).casefold()


@lru_cache(maxsize=1)
def _category_lookup() -> tuple[dict[str, FindingCategory], list[tuple[str, FindingCategory]]]:
    exact: dict[str, FindingCategory] = {}
    for category in FindingCategory:
        for form in (category.value, category.name, CATEGORY_LABELS[category]):
            exact[_category_key(form)] = category
        for form in CATEGORY_SHORT_FORMS[category]:
            exact[_category_key(form)] = category
    contained = sorted(
        (
            (_category_key(form), category)
            for category, forms in CATEGORY_SHORT_FORMS.items()
            for form in forms
        ),
        key=lambda pair: len(pair[0]),
        reverse=True,
    )
    return exact, contained


def parse_alleged_category(raw: str) -> FindingCategory | None:
    """问题类别 as written: a category label, a short form (亲属经商, 兼职取酬 …) or the value.

    ``None`` when the text is empty or names no single category.
    """
    key = _category_key(raw)
    if not key:
        return None
    exact, contained = _category_lookup()
    if key in exact:
        return exact[key]
    found = {category for form, category in contained if form in key}
    return found.pop() if len(found) == 1 else None
