"""A unit's plan (实施方案) read from its text: phase windows and deadlines, matched to a template.

Pure: text in, ``ExtractedPlan`` out (no files, no database). What is read:

- phase windows in headings: （一）动员部署（2012年7月16日至8月5日）, （2012年8月-9月）,
  （2012年12月底以前）, 动员部署阶段：7月20日—8月3日, and the list 分为思想发动、学习讨论…五个阶段;
- the plan's own window: 从7月开始，12月底结束 / 从今年3月20日起到12月31日;
- deadlines: 于8月10日前, 9月底前, 12月25日前报…, an item's window （(3)公开承诺。(4月1日-5月31日)）,
  and relative ones: 一周内, 每个阶段结束后三个工作日内 — each tied to the deliverable the
  sentence names (``plan_vocabulary``).

A sentence whose date could not be placed (no deliverable named, a month blanked out as XX月,
11月31日, the document's own date) is listed in ``unplaced`` with the reason; nothing is guessed.
``check_plan`` refuses a plan with no dates, dates that run backwards and unknown phases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

from models.plan import (
    DateWindow,
    ExtractedDeadline,
    ExtractedPhase,
    ExtractedPlan,
    RelativeRule,
    UnknownPhase,
    UnplacedSentence,
)
from qinglian.rules.plan_check import check_plan
from qinglian.rules.plan_dates import (
    DateMention,
    DateRange,
    Period,
    add_working_days,
    find_dates,
    find_periods,
    find_ranges,
    open_window,
)
from qinglian.rules.plan_segments import Sentence, is_standalone_date, marker, sentences
from qinglian.rules.plan_vocabulary import (
    SUMMARY,
    PlanTemplate,
    deliverable_words,
    find_hits,
    owner_phase,
    phase_for_title,
    phase_words,
    report_key,
    summary_of,
)

__all__ = ["check_plan", "extract_plan"]

_TITLE = re.compile(r"[^(:,;。\d]+")
_WINDOW_LEAD = re.compile(r"[\s。.]*[(:]?\s*")
_CLAUSE = re.compile(r"[,;:]")
_PHASE_LIST = re.compile(r"分为?(?:以下)?(?P<names>[^,;。]*?)(?:\d+|[一二三四五六七八九十])个阶段")
_EACH_PHASE = re.compile(r"(?:每个|每一个|各个|每|各)阶段(?:工作)?结束(?:后|之后)")
_ENDS_AFTER = re.compile(r"结束(?:后|之后)")
_AFTER = re.compile(r"(?:召开)?(?:后|之后)")
_IS_PHASE = re.compile(r"^\s*(?:为|是)\s*(?P<title>[^,;。]+?阶段)")
_PHASE_TITLE_CHARS = 12
_REPORT_HINT = re.compile(r"总结.*(?:报告|上报|报送)")


@dataclass
class _State:
    template: PlanTemplate
    year: int
    plan: ExtractedPlan
    deliverables: list[tuple[str, str]]
    phases: list[tuple[str, str]]
    current_phase: str | None = None
    phases_seen: list[ExtractedPhase] = field(default_factory=list)


def extract_plan(text: str, *, template: PlanTemplate, year: int) -> ExtractedPlan:
    """The phases, deadlines and unplaced dates of a plan's text, for ``template``.

    ``year`` is the campaign's: a date that does not name its year is in it. ``template`` is a
    ``qinglian.campaigns.templates.CampaignTemplate`` (any object of that shape).
    """
    plan = ExtractedPlan(
        template_key=template.key,
        year=year,
        phase_titles={phase.key: phase.title for phase in template.phases},
    )
    state = _State(template, year, plan, deliverable_words(template), phase_words(template))
    for sentence in sentences(text):
        _read(state, sentence)
    plan.phases = _merged(state.phases_seen)
    plan.deadlines = _resolved(plan)
    return plan


def _read(state: _State, sentence: Sentence) -> None:
    plain = sentence.plain
    mentions = find_dates(plain, state.year)
    if mentions and is_standalone_date(plain):
        _unplaced(state, sentence, "这是文件的落款日期，不是方案的时限",
                  "this is the document's own date, not a date of the plan")  # fmt: skip
        return
    used: set[int] = set()
    body_from = _heading(state, sentence, mentions, used)
    _phase_list(state, sentence)
    ranges = find_ranges(plain, mentions)
    for window in (r for r in ranges if r.window and r.start >= body_from):
        _plan_window(state, sentence, window.first, window.last)
        used |= {window.first.start, window.last.start}
    for date_range in (r for r in ranges if not r.window and r.first.start not in used):
        used |= {date_range.first.start, date_range.last.start}
        if not _range_names_phase(state, sentence, date_range):
            _deadline(state, sentence, date_range.last, date_range.start)
    for mention in mentions:
        if mention.start in used:
            continue
        if open_window(plain, mention) == "start" and plain[: mention.start].rstrip().endswith(
            ("从", "自")
        ):
            _plan_window(state, sentence, mention, None)
            continue
        _deadline(state, sentence, mention, mention.start)
    for period in find_periods(plain):
        _relative(state, sentence, period)


def _heading(state: _State, sentence: Sentence, mentions: list[DateMention], used: set[int]) -> int:
    """Read a heading with its window; the position the sentence's body starts at."""
    plain = sentence.plain
    found = marker(plain)
    start = found.end if found else 0
    title_match = _TITLE.match(plain, start)
    if title_match is None:
        return 0
    title = title_match.group(0).strip()
    title_end = title_match.start() + len(title_match.group(0).rstrip())
    lead = _WINDOW_LEAD.match(plain, title_end)
    window_at = lead.end() if lead else title_end
    first = next((m for m in mentions if m.start == window_at), None)
    if lead is None or lead.end() == title_end:
        first = None  # a window is set off by a bracket, a colon or a space
    phase_key = phase_for_title(title, state.template)
    named_phase = title.endswith("阶段") or (found is not None and found.chinese)
    if phase_key is not None and (found is not None or named_phase or first is not None):
        state.current_phase = phase_key
        return _phase_heading(state, sentence, phase_key, title, mentions, first, used)
    if found is not None and found.chinese and not title.endswith("阶段"):
        state.current_phase = None  # a new section that is not a phase
    if first is None:
        if found is not None and title.endswith("阶段"):
            state.plan.unknown_phases.append(UnknownPhase(title=title, sentence=sentence.text))
        return 0
    if found is None:
        return 0
    hits = find_hits(title, state.deliverables)
    if hits:
        key = _summary_key(state, hits[0].key)
        start_mention, last = _window(plain, mentions, first)
        ends = [m for m in (start_mention, last) if m is not None]
        used |= {m.start for m in ends}
        bad = next((m for m in ends if not m.usable), None)
        if bad is not None:
            _unplaced(state, sentence, bad.problem_zh, bad.problem_en)
        elif key is None:
            _no_summary(state, sentence)
        elif last is not None:
            _add_deadline(state, sentence, key, last)
        return max(m.end for m in ends)
    if named_phase and len(title) <= _PHASE_TITLE_CHARS:
        state.plan.unknown_phases.append(UnknownPhase(title=title, sentence=sentence.text))
        used |= {m.start for m in mentions}
        return len(plain)
    return 0


def _phase_heading(
    state: _State,
    sentence: Sentence,
    phase_key: str,
    title: str,
    mentions: list[DateMention],
    first: DateMention | None,
    used: set[int],
) -> int:
    if first is None:
        state.phases_seen.append(ExtractedPhase(key=phase_key, title=title, sentence=sentence.text))
        return 0
    start_mention, end_mention = _window(sentence.plain, mentions, first)
    used |= {m.start for m in (start_mention, end_mention) if m is not None}
    problem = next((m for m in (start_mention, end_mention) if m and not m.usable), None)
    if problem is not None:
        _unplaced(state, sentence, problem.problem_zh, problem.problem_en)
        state.phases_seen.append(ExtractedPhase(key=phase_key, title=title, sentence=sentence.text))
        return max(m.end for m in (start_mention, end_mention) if m is not None)
    state.phases_seen.append(
        ExtractedPhase(
            key=phase_key,
            title=title,
            start_on=start_mention.first if start_mention else None,
            end_on=end_mention.last if end_mention else None,
            sentence=sentence.text,
        )
    )
    return max(m.end for m in (start_mention, end_mention) if m is not None)


def _window(
    plain: str, mentions: list[DateMention], first: DateMention
) -> tuple[DateMention | None, DateMention | None]:
    """A heading's window from its first date: a range, …以前 (end only), …起 (start only)."""
    for date_range in find_ranges(plain, mentions):
        if date_range.first.start == first.start:
            return date_range.first, date_range.last
    cue = open_window(plain, first)
    if cue == "end":
        return None, first
    if cue == "start":
        return first, None
    return first, first


def _phase_list(state: _State, sentence: Sentence) -> None:
    """整个活动分为思想发动、学习讨论、查找问题、集中整改、总结表彰五个阶段."""
    match = _PHASE_LIST.search(sentence.plain)
    if match is None or not match.group("names").strip():
        return
    for name in re.split(r"[、和及]", match.group("names")):
        if not name.strip():
            continue
        key = phase_for_title(name, state.template)
        if key is None:
            state.plan.unknown_phases.append(UnknownPhase(title=name, sentence=sentence.text))
        else:
            state.phases_seen.append(ExtractedPhase(key=key, title=name, sentence=sentence.text))


def _plan_window(
    state: _State, sentence: Sentence, first: DateMention, last: DateMention | None
) -> None:
    bad = next((m for m in (first, last) if m is not None and not m.usable), None)
    if bad is not None:
        _unplaced(state, sentence, bad.problem_zh, bad.problem_en)
        return
    if state.plan.window is not None:
        _unplaced(state, sentence, "方案的起止时间已在前文给出",
                  "the plan's start and end were already given earlier")  # fmt: skip
        return
    state.plan.window = DateWindow(
        start_on=first.first, end_on=last.last if last else None, sentence=sentence.text
    )


def _range_names_phase(state: _State, sentence: Sentence, date_range: DateRange) -> bool:
    """7月20日—8月3日为动员部署阶段."""
    match = _IS_PHASE.match(sentence.plain[date_range.end :])
    if match is None:
        return False
    key = phase_for_title(match.group("title"), state.template)
    if key is None:
        state.plan.unknown_phases.append(
            UnknownPhase(title=match.group("title"), sentence=sentence.text)
        )
        return True
    if not (date_range.first.usable and date_range.last.usable):
        bad = date_range.first if not date_range.first.usable else date_range.last
        _unplaced(state, sentence, bad.problem_zh, bad.problem_en)
        return True
    state.current_phase = key
    state.phases_seen.append(
        ExtractedPhase(
            key=key,
            title=match.group("title"),
            start_on=date_range.first.first,
            end_on=date_range.last.last,
            sentence=sentence.text,
        )
    )
    return True


def _deadline(state: _State, sentence: Sentence, mention: DateMention, at: int) -> None:
    if not mention.usable:
        _unplaced(state, sentence, mention.problem_zh, mention.problem_en)
        return
    if mention.month_only:
        _unplaced(state, sentence, f"「{mention.text.strip()}」只给了月份，没有给出哪一天",
                  f"{mention.text.strip()!r} names a month, not a day")  # fmt: skip
        return
    key = _pick(state, sentence, at)
    if key is None:
        _unplaced(state, sentence, "句中没有能对应到模板任务的事项（或对应到不止一项）",
                  "the sentence names no deliverable of the template (or several)")  # fmt: skip
        return
    assert mention.last is not None
    _add_deadline(state, sentence, key, mention)


def _add_deadline(state: _State, sentence: Sentence, key: str, mention: DateMention) -> None:
    if key == SUMMARY:
        resolved = _summary_key(state, key)
        if resolved is None:
            _no_summary(state, sentence)
            return
        key = resolved
    state.plan.deadlines.append(
        ExtractedDeadline(
            deliverable_key=key,
            phase_key=owner_phase(state.template, key),
            due_on=mention.last,
            sentence=sentence.text,
        )
    )


def _pick(state: _State, sentence: Sentence, at: int, skip: tuple[int, int] = (0, 0)) -> str | None:
    """The deliverable a date at ``at`` is for: named in its clause, else the only one named
    in the sentence. ``skip``: a span that names the anchor, not the deliverable."""
    plain = sentence.plain
    hits = [h for h in find_hits(plain, state.deliverables) if not skip[0] <= h.start < skip[1]]
    report = report_key(state.template)
    if not hits and report is not None and _REPORT_HINT.search(plain):
        return report
    clause_start = max((m.end() for m in _CLAUSE.finditer(plain, 0, at)), default=0)
    clause_end = next((m.start() for m in _CLAUSE.finditer(plain, at)), len(plain))
    in_clause = [h for h in hits if clause_start <= h.start < clause_end]
    keys = {hit.key for hit in in_clause or hits}
    return keys.pop() if len(keys) == 1 else None


def _relative(state: _State, sentence: Sentence, period: Period) -> None:
    plain = sentence.plain
    before = plain[: period.start]
    each = _EACH_PHASE.search(before)
    if each is not None:
        _each_phase(state, sentence, period, each.end())
        return
    anchor = _anchor(state, before)
    if anchor is None:
        _unplaced(
            state, sentence, "时限没有说明从何时起算", "the period does not say when it starts"
        )
        return
    kind, anchor_key, span = anchor
    key = _pick(state, sentence, period.start, skip=span)
    if key is not None:
        key = _summary_key(state, key) if key == SUMMARY else key
    if key is None:
        _unplaced(state, sentence, "句中没有能对应到模板任务的事项（或对应到不止一项）",
                  "the sentence names no deliverable of the template (or several)")  # fmt: skip
        return
    rule = RelativeRule(
        anchor=kind, anchor_key=anchor_key, days=period.days, working_days=period.working_days
    )
    state.plan.deadlines.append(
        ExtractedDeadline(
            deliverable_key=key,
            phase_key=owner_phase(state.template, key),
            relative=rule,
            sentence=sentence.text,
        )
    )


def _anchor(state: _State, before: str) -> tuple[str, str, tuple[int, int]] | None:
    """What a period counts from: a phase that ends (学习动员结束后) or a deliverable done
    (动员会后); the span naming it, so that it is not taken for the deliverable."""
    ends = list(_ENDS_AFTER.finditer(before))
    if ends:
        named = find_hits(before[: ends[-1].start()], state.phases)
        if named:
            return "phase_end", named[-1].key, (named[-1].start, named[-1].end)
        if state.current_phase is not None:
            return "phase_end", state.current_phase, (0, 0)
        return None
    for hit in reversed(find_hits(before, state.deliverables)):
        if hit.key != SUMMARY and _AFTER.match(before, hit.end):
            return "deliverable", hit.key, (hit.start, hit.end)
    return None


def _each_phase(state: _State, sentence: Sentence, period: Period, after: int) -> None:
    """每个阶段结束后三个工作日内报阶段性总结: one deadline per phase with a summary."""
    if "总结" not in sentence.plain[after:] and "小结" not in sentence.plain[after:]:
        _unplaced(
            state, sentence, "句中没有说明要报送什么", "the sentence does not say what is due"
        )
        return
    added = False
    for phase in state.template.phases:
        key = summary_of(state.template, phase.key)
        if key is None:
            continue
        rule = RelativeRule(
            anchor="phase_end",
            anchor_key=phase.key,
            days=period.days,
            working_days=period.working_days,
        )
        state.plan.deadlines.append(
            ExtractedDeadline(
                deliverable_key=key, phase_key=phase.key, relative=rule, sentence=sentence.text
            )
        )
        added = True
    if not added:
        _no_summary(state, sentence)


def _summary_key(state: _State, key: str) -> str | None:
    if key != SUMMARY:
        return key
    if state.current_phase is None:
        return None
    return summary_of(state.template, state.current_phase)


def _no_summary(state: _State, sentence: Sentence) -> None:
    _unplaced(state, sentence, "模板在此没有阶段性总结这一任务，或看不出是哪个阶段的总结",
              "the template has no phase summary here, or the phase is unclear")  # fmt: skip


def _unplaced(state: _State, sentence: Sentence, zh: str, en: str) -> None:
    entry = UnplacedSentence(sentence=sentence.text, reason_zh=zh, reason_en=en)
    if entry not in state.plan.unplaced:
        state.plan.unplaced.append(entry)


def _merged(phases: list[ExtractedPhase]) -> list[ExtractedPhase]:
    """One entry per phase: a dated one replaces a mention without dates; two different dated
    ones are both kept (``check_plan`` refuses them)."""
    merged: list[ExtractedPhase] = []
    for phase in phases:
        same = [p for p in merged if p.key == phase.key]
        dated = phase.start_on is not None or phase.end_on is not None
        if not same:
            merged.append(phase)
        elif dated and all(p.start_on is None and p.end_on is None for p in same):
            merged[merged.index(same[0])] = phase
        elif dated and all((p.start_on, p.end_on) != (phase.start_on, phase.end_on) for p in same):
            merged.append(phase)
    return merged


def _resolved(plan: ExtractedPlan) -> list[ExtractedDeadline]:
    """Relative deadlines counted from a phase end the plan gives get their date; repeats go."""
    ends = {phase.key: phase.end_on for phase in plan.phases if phase.end_on is not None}
    result: list[ExtractedDeadline] = []
    for deadline in plan.deadlines:
        rule = deadline.relative
        if rule is not None and rule.anchor == "phase_end" and rule.anchor_key in ends:
            end = ends[rule.anchor_key]
            due = (
                add_working_days(end, rule.days)
                if rule.working_days
                else end + timedelta(days=rule.days)
            )
            deadline = deadline.model_copy(update={"due_on": due})
        if deadline not in result:
            result.append(deadline)
    return result
