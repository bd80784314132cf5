"""Launching a campaign and recording what units deliver. Persistence only; no Prefect."""

from __future__ import annotations

import re
from datetime import date
from typing import get_args

from sqlalchemy import insert
from sqlmodel import Session, col, select

from models import Campaign, Deliverable, GroupRole, LeadingGroupMember, Phase, Unit
from models.campaign import utcnow
from models.enums import Level
from models.flow_inputs import RunLevel
from qinglian.campaigns.lookup import get_campaign
from qinglian.campaigns.templates import CampaignTemplate, get_template
from qinglian.core.clock import today_in_china
from qinglian.core.errors import NotFoundError, QinglianError
from qinglian.org.units import get_unit_by_code, subtree
from qinglian.rules.deadlines import cascade_deadline, relative_deadline, root_deadline

LEADING_GROUP = "leading_group"
# The levels a campaign's unit runs may go down to: every level but the ministry.
RUN_DEPTHS = tuple(Level(value) for value in get_args(RunLevel))


def check_run_depth(level: Level | str) -> Level:
    """``level`` as a run depth: the ministry, or a word that is no level, is refused."""
    for depth in RUN_DEPTHS:
        if level == depth.value:
            return depth
    choices = [depth.value for depth in RUN_DEPTHS]
    raise QinglianError(
        f"单位流程层级应为 {'、'.join(choices)} 之一，而不是「{level}」",
        f"the run depth must be one of {', '.join(choices)}, not {str(level)!r}",
    )


def launch_campaign(
    *,
    session: Session,
    template_key: str,
    root_code: str,
    start_on: date | None = None,
    run_depth: Level = Level.institution,
) -> tuple[Campaign, bool]:
    """Create the campaign, its phases and every unit's deliverables with cascaded deadlines,
    its unit runs going down to ``run_depth``.

    Returns ``(campaign, created)``: launching the same template on the same root with the
    same start again returns the existing campaign and writes nothing, not even a different
    run depth (:func:`set_run_depth` changes it).
    """
    depth = check_run_depth(run_depth)
    template = get_template(template_key)
    root = get_unit_by_code(session=session, code=root_code)
    start_on = start_on or template.start
    existing = session.exec(
        select(Campaign).where(
            Campaign.template_key == template.key,
            Campaign.root_unit_id == root.id,
            Campaign.start_on == start_on,
        )
    ).first()
    if existing is not None:
        return existing, False

    campaign = Campaign(
        template_key=template.key,
        title=template.title,
        root_unit_id=root.id,
        start_on=start_on,
        run_depth=depth,
    )
    session.add(campaign)
    session.flush()
    units = subtree(session=session, unit=root)
    for seq, phase_template in enumerate(template.phases, start=1):
        phase = Phase(
            campaign_id=campaign.id,
            key=phase_template.key,
            title=phase_template.title,
            seq=seq,
            starts_on=_shift(template, phase_template.starts, start_on),
            ends_on=_shift(template, phase_template.ends, start_on),
        )
        session.add(phase)
        session.flush()
        rows = _deliverable_rows(template, phase, phase_template.key, units, root, start_on)
        if rows:
            # One executemany per phase: a national tree has tens of thousands of units.
            session.execute(insert(Deliverable), rows)
    return campaign, True


def set_run_depth(*, session: Session, campaign_id: int, level: Level) -> tuple[Level, Level]:
    """Change how far down the campaign's unit runs go; ``(old, new)``, the same when unchanged.

    Its next phase pass reads it; a pass already under way keeps the depth it started with. A
    completed campaign may change it too: the depth changes no figure, deadline or record, only
    how a later re-run is drawn as runs.
    """
    depth = check_run_depth(level)
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    old = campaign.run_depth
    if old != depth:
        campaign.run_depth = depth
        session.add(campaign)
        session.flush()
    return old, depth


def _shift(template: CampaignTemplate, day: date, start_on: date) -> date:
    return day + (start_on - template.start)


def _deliverable_rows(
    template: CampaignTemplate,
    phase: Phase,
    phase_key: str,
    units: list[Unit] | tuple[Unit, ...],
    root: Unit,
    start_on: date,
) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for item in template.phase(phase_key).deliverables:
        top = root_deadline(item.due, template.start, start_on)
        for unit in units:
            if unit.level not in item.levels:
                continue
            due = cascade_deadline(
                top,
                unit.depth - root.depth,
                template.cascade_working_days,
                not_before=phase.starts_on,
            )
            rows.append(
                {
                    "campaign_id": phase.campaign_id,
                    "phase_id": phase.id,
                    "unit_id": unit.id,
                    "kind": item.key,
                    "title": item.title,
                    "due_on": due,
                    "submitted_on": None,
                    "note": "",
                    "detail": {},
                }
            )
    return rows


def record_delivery(
    *,
    session: Session,
    campaign_id: int,
    unit_code: str,
    kind: str,
    submitted_on: date,
    note: str = "",
    as_of: date | None = None,
) -> Deliverable:
    """Mark a unit's deliverable as submitted on a date; dependent deadlines follow it."""
    if kind == LEADING_GROUP:
        raise QinglianError(
            "领导小组须写明组长和办公室，请用 `qinglian deliver leading-group`",
            "a leading group needs its leaders and office: use `qinglian deliver leading-group`",
        )
    return _record(session, campaign_id, unit_code, kind, submitted_on, note, None, as_of)


def _record(
    session: Session,
    campaign_id: int,
    unit_code: str,
    kind: str,
    submitted_on: date,
    note: str,
    detail: dict[str, object] | None,
    as_of: date | None,
) -> Deliverable:
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    unit = get_unit_by_code(session=session, code=unit_code)
    deliverable = _deliverable(session, campaign, unit, kind)
    if submitted_on < campaign.start_on:
        raise QinglianError(
            f"提交日期 {submitted_on} 早于专项活动开始日期 {campaign.start_on}",
            f"submission date {submitted_on} is before the campaign start {campaign.start_on}",
        )
    if submitted_on > (as_of or today_in_china()):
        raise QinglianError(
            f"提交日期 {submitted_on} 晚于今天", f"submission date {submitted_on} is in the future"
        )
    deliverable.submitted_on = submitted_on
    deliverable.note = note or deliverable.note
    if detail is not None:
        deliverable.detail = {**deliverable.detail, **detail}
    deliverable.recorded_at = utcnow()
    session.add(deliverable)
    _follow_relative_deadlines(session, campaign, unit, deliverable)
    session.flush()
    return deliverable


def record_leading_group(
    *,
    session: Session,
    campaign_id: int,
    unit_code: str,
    submitted_on: date,
    office: str,
    leaders: list[str],
    deputies: list[str] | None = None,
    members: list[str] | None = None,
    as_of: date | None = None,
) -> Deliverable:
    """Record the leading group (组长/副组长/成员) and its office; replaces an earlier one."""
    get_campaign(session=session, campaign_id=campaign_id)
    leaders = _names(leaders)
    if not leaders:
        raise QinglianError("领导小组至少要有一名组长", "a leading group needs at least one leader")
    if not office.strip():
        raise QinglianError(
            "须写明专项活动办公室设在何处（如：院监察室）",
            "name where the campaign office sits (e.g. the supervision office)",
        )
    unit = get_unit_by_code(session=session, code=unit_code)
    by_role = {
        GroupRole.leader: leaders,
        GroupRole.deputy: _names(deputies or []),
        GroupRole.member: _names(members or []),
    }
    old = session.exec(
        select(LeadingGroupMember).where(
            LeadingGroupMember.campaign_id == campaign_id, LeadingGroupMember.unit_id == unit.id
        )
    ).all()
    for row in old:
        session.delete(row)
    session.flush()
    for role, names in by_role.items():
        for name in names:
            session.add(
                LeadingGroupMember(campaign_id=campaign_id, unit_id=unit.id, role=role, name=name)
            )
    detail = {"office": office.strip(), **{r.value: len(n) for r, n in by_role.items()}}
    return _record(session, campaign_id, unit_code, LEADING_GROUP, submitted_on, "", detail, as_of)


def _names(names: list[str]) -> list[str]:
    """Names as offices type them: 「顾  扬」 is 顾扬; blanks and repeats dropped."""
    cleaned = (re.sub(r"\s+", "", name) for name in names)
    return list(dict.fromkeys(name for name in cleaned if name))


def _deliverable(session: Session, campaign: Campaign, unit: Unit, kind: str) -> Deliverable:
    deliverable = session.exec(
        select(Deliverable).where(
            Deliverable.campaign_id == campaign.id,
            Deliverable.unit_id == unit.id,
            Deliverable.kind == kind,
        )
    ).first()
    if deliverable is None:
        kinds = session.exec(
            select(Deliverable.kind).where(
                Deliverable.campaign_id == campaign.id, Deliverable.unit_id == unit.id
            )
        ).all()
        raise NotFoundError(
            f"单位 {unit.code}（{unit.name}）在专项活动 {campaign.id} 中没有事项「{kind}」"
            f"（可选：{'、'.join(kinds) or '无'}）",
            f"unit {unit.code} has no deliverable {kind!r} in campaign {campaign.id} "
            f"(choose from {', '.join(kinds) or 'none'})",
        )
    return deliverable


def _follow_relative_deadlines(
    session: Session, campaign: Campaign, unit: Unit, anchor: Deliverable
) -> None:
    """A deliverable due N days after ``anchor`` (e.g. the report a week after the meeting)."""
    template = get_template(campaign.template_key)
    for phase in template.phases:
        for item in phase.deliverables:
            if item.after is None or item.after.deliverable != anchor.kind:
                continue
            dependent = session.exec(
                select(Deliverable).where(
                    Deliverable.campaign_id == campaign.id,
                    Deliverable.unit_id == unit.id,
                    Deliverable.kind == item.key,
                )
            ).first()
            if dependent is not None and anchor.submitted_on is not None:
                dependent.due_on = relative_deadline(anchor.submitted_on, item.after.days)
                session.add(dependent)


def complete_campaign(
    *, session: Session, campaign_id: int, completed_on: date, report_path: str | None = None
) -> Campaign:
    """Mark the campaign complete: its root's comprehensive report is produced.

    The root's report deliverable (``report_deliverable`` of the phase) counts as submitted on
    ``completed_on``. Completing again (a later report) moves the completion to that report: the date
    and the path always describe the same document.
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    template = get_template(campaign.template_key)
    kinds = [phase.report_deliverable for phase in template.phases if phase.report_deliverable]
    if kinds:
        for deliverable in session.exec(
            select(Deliverable).where(
                Deliverable.campaign_id == campaign.id,
                Deliverable.unit_id == campaign.root_unit_id,
                col(Deliverable.kind).in_(kinds),
                col(Deliverable.submitted_on).is_(None),
            )
        ):
            deliverable.submitted_on = completed_on
            session.add(deliverable)
    campaign.completed_on = completed_on
    if report_path is not None:
        campaign.report_path = report_path
    session.add(campaign)
    session.flush()
    return campaign
