"""The words plans use for a template's phases and deliverables (动员部署 / 学习动员 / 思想发动 …).

A template is data: its own titles are always words for its phases and deliverables. The tables
below add the synonyms the seeds use, keyed by the phase and deliverable keys the catalogue
shares across templates; a synonym counts only for a key the template at hand has, so 自查自纠 is
``find`` in coi-2012 and ``self_check`` in conduct-2023.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

PHASE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "mobilize": ("动员部署", "学习动员", "思想发动", "宣传动员", "动员"),
    "study": ("学习讨论", "学习教育"),
    "find": ("查找问题", "自查自纠", "查摆问题", "排查问题"),
    "self_check": ("自查自纠和整改", "自查自纠", "查摆问题", "自查整改"),
    "rectify": ("整改纠正", "集中整改", "整改提高", "整改落实", "整改"),
    "summarize": ("检查总结", "总结表彰", "总结验收", "总结提高", "总结"),
    "commend": ("总结表彰", "检查总结", "总结验收", "总结"),
}
_REPORT = ("书面综合情况报告", "综合情况报告", "书面总结", "书面报告", "书报告", "总结报告")
DELIVERABLE_SYNONYMS: dict[str, tuple[str, ...]] = {
    "leading_group": ("领导小组", "协调小组", "工作小组", "领导机构", "办事机构"),
    "mobilization_meeting": ("动员会", "动员大会"),
    "implementation_plan": ("实施方案", "工作方案", "活动方案", "具体方案"),
    "study_session": ("组织学习", "学习教育", "学习讨论", "开展讨论", "学习相关文件"),
    "mobilization_report": ("学习动员的情况", "学习动员情况", "动员情况"),
    "forms_collected": ("报告表",),
    "rules_review": ("制度清单", "修订清单", "需修订的制度"),
    "complaints_cross_check": ("信访举报", "排查"),
    "rectification_plan": ("整改措施", "整改方案", "整改计划"),
    "rules_revised": ("保留废止或修订", "保留修订废止", "废止或修订", "建章立制"),
    "comprehensive_report": _REPORT,
    "final_report": (*_REPORT, "活动总结"),
    "commendations": ("推荐表彰", "表彰先进", "评先评优"),
    "problems_listed": ("查摆问题", "问题清单"),
    "self_rectification": ("自我整改",),
    "public_commitment": ("公开承诺", "服务承诺"),
    "inspection_visits": ("明查暗访", "明察暗访"),
    "complaints_intake": ("接受投诉举报", "投诉举报", "受理投诉", "接受投诉"),
    "supervised_rectification": ("督促整改",),
}
# A phase summary (阶段性总结) is the summary of the phase the sentence is about.
SUMMARY = "阶段性总结"
SUMMARY_WORDS = ("阶段性工作总结", "阶段工作总结", "阶段性总结", "阶段总结", "阶段性小结")
# Left out when comparing words: spaces, list commas, book-title and quotation marks.
_NOISE = re.compile(r"[\s、《》〈〉“”\"'·]")


class DeliverableShape(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def title(self) -> str: ...


class PhaseShape(Protocol):
    @property
    def key(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def starts(self) -> date: ...
    @property
    def ends(self) -> date: ...
    @property
    def deliverables(self) -> Sequence[DeliverableShape]: ...
    @property
    def report_deliverable(self) -> str | None: ...


class PlanTemplate(Protocol):
    """What extraction reads of a campaign template (``CampaignTemplate`` has all of it; the
    rules layer may not import the campaigns package, so it names the shape instead)."""

    @property
    def key(self) -> str: ...
    @property
    def phases(self) -> Sequence[PhaseShape]: ...


@dataclass(frozen=True, slots=True)
class Hit:
    """A word for a deliverable found in a sentence; ``key`` is SUMMARY for 阶段性总结."""

    start: int
    end: int
    key: str


def compact(text: str) -> str:
    return _NOISE.sub("", text)


def phase_for_title(title: str, template: PlanTemplate) -> str | None:
    """The template phase a heading names: its own title first, then a synonym, exactly."""
    name = compact(title).removesuffix("阶段").removesuffix("工作")
    if not name:
        return None
    for phase in template.phases:
        if compact(phase.title) == name:
            return phase.key
    for phase in template.phases:
        if name in PHASE_SYNONYMS.get(phase.key, ()):
            return phase.key
    return None


def phase_words(template: PlanTemplate) -> list[tuple[str, str]]:
    """(word, phase key) for every phase, longest first, for finding a phase inside a sentence."""
    words = {compact(phase.title): phase.key for phase in template.phases}
    for phase in reversed(template.phases):
        for word in PHASE_SYNONYMS.get(phase.key, ()):
            words.setdefault(word, phase.key)
    return sorted(words.items(), key=lambda item: -len(item[0]))


def deliverable_words(template: PlanTemplate) -> list[tuple[str, str]]:
    """(word, deliverable key or SUMMARY), longest first."""
    words: dict[str, str] = {word: SUMMARY for word in SUMMARY_WORDS}
    for phase in template.phases:
        for item in phase.deliverables:
            if SUMMARY in item.title:
                continue
            words.setdefault(compact(item.title), item.key)
            for word in DELIVERABLE_SYNONYMS.get(item.key, ()):
                words.setdefault(word, item.key)
    return sorted(words.items(), key=lambda item: -len(item[0]))


def find_hits(text: str, words: list[tuple[str, str]]) -> list[Hit]:
    """Non-overlapping occurrences of ``words`` in ``text`` (positions in ``text``), longest
    word first; noise characters inside a word (接受投诉、举报) are skipped."""
    kept_chars = [(index, char) for index, char in enumerate(text) if not _NOISE.match(char)]
    dense = "".join(char for _, char in kept_chars)
    taken = [False] * len(dense)
    hits: list[Hit] = []
    for word, key in words:
        start = dense.find(word)
        while start != -1:
            end = start + len(word)
            if not any(taken[start:end]):
                taken[start:end] = [True] * len(word)
                hits.append(Hit(kept_chars[start][0], kept_chars[end - 1][0] + 1, key))
            start = dense.find(word, end)
    return sorted(hits, key=lambda hit: hit.start)


def owner_phase(template: PlanTemplate, deliverable_key: str) -> str:
    for phase in template.phases:
        if any(item.key == deliverable_key for item in phase.deliverables):
            return phase.key
    raise KeyError(deliverable_key)


def summary_of(template: PlanTemplate, phase_key: str) -> str | None:
    """The phase's own summary deliverable (阶段性总结), if the template has one."""
    for phase in template.phases:
        if phase.key == phase_key:
            return next((i.key for i in phase.deliverables if SUMMARY in i.title), None)
    return None


def report_key(template: PlanTemplate) -> str | None:
    """The deliverable the written comprehensive report fulfils."""
    return next((p.report_deliverable for p in template.phases if p.report_deliverable), None)
