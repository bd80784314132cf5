"""The review of rules and regulations (制度清单): each unit's rules and what becomes of them.

Each rule is kept, revised, abolished, or a new one is drafted (保留/修订/废止/新建), by a due
date. Keeping needs no change, so a kept rule is done. An overdue revision is what the rectify
phase escalates. Persistence functions are keyword-only, take the session first, and never
import Prefect; :func:`review_state` is the pure rule.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel
from sqlmodel import Session, col, select

from models.campaign import Deliverable
from models.enums import LabelledEnum, RuleDecision, labelled
from models.finding import RuleReviewItem
from models.unit import Unit
from qinglian.campaigns.lookup import get_campaign
from qinglian.core.clock import today_in_china
from qinglian.core.errors import NotFoundError, QinglianError
from qinglian.org.units import get_unit_by_code, unit_path

_SPACES = re.compile(r"[\s\u3000\xa0]+")
# The deliverable a unit fulfils by listing its rules (制度清单).
RULES_DELIVERABLE = "rules_review"


class RuleReviewState(LabelledEnum):
    done = "done"
    pending = "pending"
    overdue = "overdue"


labelled(RuleReviewState, {"done": "已完成", "pending": "未到期", "overdue": "逾期"})


class RuleReviewItemPublic(BaseModel):
    id: int
    campaign_id: int
    unit_id: int
    title: str
    decision: RuleDecision
    reason: str
    due_on: date | None
    done_on: date | None


class RuleReviewStatus(RuleReviewItemPublic):
    """One rule of a unit's list as seen on ``as_of``."""

    unit_code: str
    unit_name: str
    state: RuleReviewState
    days_overdue: int = 0


def normalise_title(text: str) -> str:
    """A rule's title as stored and compared: edges trimmed, inner whitespace runs single."""
    return _SPACES.sub(" ", text).strip()


def review_state(
    decision: RuleDecision, due_on: date | None, done_on: date | None, as_of: date
) -> RuleReviewState:
    """Done when kept or completed by ``as_of``; overdue once ``as_of`` is past the due date.

    A completion dated after ``as_of`` has not happened yet (a replayed campaign sees the past).
    A change without a due date is pending: the importer refuses those, other writers may not.
    """
    if decision is RuleDecision.keep:
        return RuleReviewState.done
    if done_on is not None and done_on <= as_of:
        return RuleReviewState.done
    if due_on is None or as_of <= due_on:
        return RuleReviewState.pending
    return RuleReviewState.overdue


def rules_review_status(
    *, session: Session, campaign_id: int, as_of: date, unit_id: int | None = None
) -> list[RuleReviewStatus]:
    """Every rule of the campaign's lists (or of a unit's subtree) with its state on ``as_of``."""
    get_campaign(session=session, campaign_id=campaign_id)
    query = (
        select(RuleReviewItem, Unit.code, Unit.name)
        .join(Unit, col(Unit.id) == RuleReviewItem.unit_id)
        .where(col(RuleReviewItem.campaign_id) == campaign_id)
    )
    if unit_id is not None:
        query = query.where(col(Unit.path).startswith(unit_path(session=session, unit_id=unit_id)))
    query = query.order_by(col(Unit.path), col(RuleReviewItem.title))
    statuses = []
    for item, unit_code, unit_name in session.exec(query):
        state = review_state(item.decision, item.due_on, item.done_on, as_of)
        overdue_days = (as_of - item.due_on).days if state is RuleReviewState.overdue else 0
        statuses.append(
            RuleReviewStatus(
                **_public(item).model_dump(),
                unit_code=unit_code,
                unit_name=unit_name,
                state=state,
                days_overdue=overdue_days,
            )
        )
    return statuses


def count_states(statuses: Iterable[RuleReviewStatus]) -> dict[RuleReviewState, int]:
    """How many rules are done, pending and overdue."""
    counts = Counter(status.state for status in statuses)
    return {state: counts.get(state, 0) for state in RuleReviewState}


def mark_rule_done(
    *,
    session: Session,
    campaign_id: int,
    unit_code: str,
    title: str,
    done_on: date | None,
    as_of: date | None = None,
) -> RuleReviewItemPublic:
    """Record that a unit completed the change to one rule; ``done_on=None`` reopens it.

    ``as_of`` is "today" (China's date unless given): a completion cannot lie after it.
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    unit = get_unit_by_code(session=session, code=unit_code)
    wanted = normalise_title(title)
    item = session.exec(
        select(RuleReviewItem).where(
            RuleReviewItem.campaign_id == campaign_id,
            RuleReviewItem.unit_id == unit.id,
            RuleReviewItem.title == wanted,
        )
    ).first()
    if item is None:
        raise NotFoundError(
            f"{unit.name}（{unit.code}）的制度清单中没有「{wanted}」",
            f"unit {unit.code} has no rule titled {wanted!r} in campaign {campaign_id}",
        )
    if done_on is not None and done_on < campaign.start_on:
        raise QinglianError(
            f"完成日期 {done_on.isoformat()} 早于专项活动开始日期 {campaign.start_on.isoformat()}",
            f"the completion date {done_on.isoformat()} is before the campaign started"
            f" ({campaign.start_on.isoformat()})",
        )
    today = as_of or today_in_china()
    if done_on is not None and done_on > today:
        raise QinglianError(
            f"完成日期 {done_on.isoformat()} 晚于今天（{today.isoformat()}），不能登记尚未完成的修订",
            f"the completion date {done_on.isoformat()} is after today ({today.isoformat()}):"
            " a change not yet done cannot be recorded",
        )
    item.done_on = done_on
    session.add(item)
    session.flush()
    return _public(item)


def _public(item: RuleReviewItem) -> RuleReviewItemPublic:
    assert item.id is not None
    return RuleReviewItemPublic(
        id=item.id,
        campaign_id=item.campaign_id,
        unit_id=item.unit_id,
        title=item.title,
        decision=item.decision,
        reason=item.reason,
        due_on=item.due_on,
        done_on=item.done_on,
    )


def sync_rules_review_deliverables(*, session: Session, campaign_id: int, listed_on: date) -> int:
    """A unit that has listed its rules has delivered its 制度清单; returns how many were marked."""
    unit_ids = select(RuleReviewItem.unit_id).where(RuleReviewItem.campaign_id == campaign_id)
    pending = session.exec(
        select(Deliverable).where(
            Deliverable.campaign_id == campaign_id,
            Deliverable.kind == RULES_DELIVERABLE,
            col(Deliverable.submitted_on).is_(None),
            col(Deliverable.unit_id).in_(unit_ids),
        )
    ).all()
    for deliverable in pending:
        deliverable.submitted_on = listed_on
        session.add(deliverable)
    return len(pending)
