"""People's names as complaints write them: titles, surnames and pinyin, folded for matching.

Plain functions over strings: no database, no Prefect.

- spaces inside names removed (``顾  扬`` → ``顾扬``);
- titles stripped from names, kept as a hint (``王院长`` → ``王`` + ``院长``);
- names written in pinyin (``Gu Yang``) turned into a comparable key;
- a name's pinyin read with the surname's own reading (曾 zēng, not céng).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pypinyin import lazy_pinyin

from qinglian.rules.text import has_cjk, normalise_text, plain_latin, without_spaces

_NAME_DOTS = re.compile(r"[·•‧∙⋅・.．]")

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
    if not has_cjk(text):
        tokens = [
            token for token in re.split(r"[^a-z]+", plain_latin(re.sub(r"\d", " ", text))) if token
        ]
        if not tokens:
            return NameQuery(name="")
        swapped = "".join([*tokens[1:], tokens[0]]) if len(tokens) > 1 else ""
        return NameQuery(name="", latin=True, pinyin="".join(tokens), pinyin_swapped=swapped)
    compact = _NAME_DOTS.sub("·", without_spaces(text)).strip("·")
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
    key = plain_latin(reading[0]) if reading else ""
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
