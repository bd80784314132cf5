"""Every kind of deadline a campaign has, as one :class:`OpenItem` per thing a unit owes.

Unit deliverables (phase summaries, the ``*_summary`` ones, told apart), the declaration forms a
unit has not collected (as counts, never names), rectification items and rules-review changes
not done. One query per kind of item, Core rows rather than ORM ones: a national campaign
(50,000 units, 200,000 open items) reads them in seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from functools import partial
from typing import Any, NamedTuple

from sqlalchemy import Row, Select, or_
from sqlmodel import Session, col, select

from models.campaign import Campaign, Deliverable
from models.enums import FindingCategory, LabelledEnum, RuleDecision, labelled
from models.finding import Finding, RuleReviewItem
from models.rectification import RectificationItem
from qinglian.campaigns.lookup import campaign_root
from qinglian.declarations.completeness import FORMS_DELIVERABLE, cadre_forms

SUMMARY_SUFFIX = "_summary"


class ItemKind(LabelledEnum):
    deliverable = "deliverable"
    summary = "summary"
    forms = "forms"
    rectification = "rectification"
    rule_review = "rule_review"


ITEM_KIND_LABELS = labelled(
    ItemKind,
    {
        ItemKind.deliverable: "上报事项",
        ItemKind.summary: "阶段性总结",
        ItemKind.forms: "报告表",
        ItemKind.rectification: "整改事项",
        ItemKind.rule_review: "制度清单",
    },
)


class OpenItem(NamedTuple):
    """One thing a unit owes by a deadline; ``key`` includes the deadline, so an extension
    (or a moved relative deadline) starts the ladder again."""

    key: str
    kind: ItemKind
    unit_id: int
    title: str
    deadline: date


def open_items(
    *, session: Session, campaign: Campaign, as_of: date, due_by: date | None = None
) -> list[OpenItem]:
    """Every item not done by ``as_of`` whose deadline is on or before ``due_by``."""
    assert campaign.id is not None
    bound = due_by or date.max
    rows = partial(_rows, session)
    iso = _IsoDates()
    items: list[OpenItem] = []
    forms_units: list[tuple[int, int, str, date]] = []
    for item_id, unit_id, kind, title, due_on in rows(
        select(
            Deliverable.id,
            Deliverable.unit_id,
            Deliverable.kind,
            Deliverable.title,
            Deliverable.due_on,
        ).where(
            col(Deliverable.campaign_id) == campaign.id,
            or_(col(Deliverable.submitted_on).is_(None), col(Deliverable.submitted_on) > as_of),
            col(Deliverable.due_on) <= bound,
        )
    ):
        if kind == FORMS_DELIVERABLE:
            forms_units.append((item_id, unit_id, title, due_on))
            continue
        item_kind = ItemKind.summary if kind.endswith(SUMMARY_SUFFIX) else ItemKind.deliverable
        items.append(_item(f"d:{item_id}@{iso[due_on]}", item_kind, unit_id, title, due_on))
    if forms_units:
        items.extend(_forms_items(session, campaign, as_of, forms_units))

    labels = {category: category.label for category in FindingCategory}
    for item_id, unit_id, finding_id, category, due_on in rows(
        select(
            RectificationItem.id,
            RectificationItem.unit_id,
            RectificationItem.finding_id,
            Finding.category,
            RectificationItem.due_on,
        )
        .join(Finding, col(Finding.id) == RectificationItem.finding_id)
        .where(
            col(RectificationItem.campaign_id) == campaign.id,
            or_(col(RectificationItem.done_on).is_(None), col(RectificationItem.done_on) > as_of),
            col(RectificationItem.due_on) <= bound,
        )
    ):
        title = f"问题{finding_id}的整改（{labels[category]}）"
        items.append(
            _item(f"r:{item_id}@{iso[due_on]}", ItemKind.rectification, unit_id, title, due_on)
        )

    decisions = {decision: decision.label for decision in RuleDecision}
    for item_id, unit_id, title, decision, due_on in rows(
        select(
            RuleReviewItem.id,
            RuleReviewItem.unit_id,
            RuleReviewItem.title,
            RuleReviewItem.decision,
            RuleReviewItem.due_on,
        ).where(
            col(RuleReviewItem.campaign_id) == campaign.id,
            col(RuleReviewItem.decision) != RuleDecision.keep,
            col(RuleReviewItem.due_on).is_not(None),
            or_(col(RuleReviewItem.done_on).is_(None), col(RuleReviewItem.done_on) > as_of),
            col(RuleReviewItem.due_on) <= bound,
        )
    ):
        items.append(
            _item(
                f"rr:{item_id}@{iso[due_on]}",
                ItemKind.rule_review,
                unit_id,
                f"制度「{title}」{decisions[decision]}",
                due_on,
            )
        )
    return items


def _item(key: str, kind: ItemKind, unit_id: int, title: str, deadline: date) -> OpenItem:
    # tuple.__new__: a NamedTuple's own __new__ is Python code, twice as slow.
    return _new(OpenItem, (key, kind, unit_id, title, deadline))


_new = tuple.__new__


class _IsoDates(dict[date, str]):
    """Each deadline's ISO text, formatted once (200,000 items share a few dozen deadlines)."""

    def __missing__(self, day: date) -> str:
        text = self[day] = day.isoformat()
        return text


def _rows(session: Session, query: Select[Any]) -> Sequence[Row[Any]]:
    """Core rows, not ORM ones, fetched at once: a national sweep reads a few hundred thousand
    of them, and iterating a result instead fetches them one by one (twice as slow)."""
    return session.connection().execute(query).all()


def _forms_items(
    session: Session, campaign: Campaign, as_of: date, rows: Sequence[tuple[int, int, str, date]]
) -> Iterable[OpenItem]:
    """The forms deliverable, titled with how many forms are still out (a count, no names)."""
    root = campaign_root(session=session, campaign=campaign)
    forms = cadre_forms(session=session, campaign=campaign, root=root, as_of=as_of)
    for item_id, unit_id, title, due_on in rows:
        out = sum(
            1
            for form in forms.get(unit_id, ())
            if form.submitted_on is None or form.submitted_on > as_of
        )
        shown = f"{title}（尚有{out}份《报告表》未报）" if out else title
        yield OpenItem(f"d:{item_id}@{due_on}", ItemKind.forms, unit_id, shown, due_on)
