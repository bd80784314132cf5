"""Whether the cadre's declaration holds what a complaint alleges (the cross-check). Pure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from models.enums import BusinessType, CrossCheckResult, FindingCategory, OrgType
from qinglian.rules.detection import FOR_PROFIT_HEALTH_BUSINESS, FormFacts, Hit, SheetRow, detect


def _relatives(form: FormFacts, kinds: frozenset[BusinessType]) -> tuple[SheetRow, ...]:
    return tuple((fact.sheet, fact.row) for fact in form.relatives if fact.business_type in kinds)


DECLARED_ROWS: dict[FindingCategory, Callable[[FormFacts], tuple[SheetRow, ...]]] = {
    FindingCategory.relative_business: lambda form: _relatives(form, FOR_PROFIT_HEALTH_BUSINESS),
    FindingCategory.relative_foreign_post: lambda form: _relatives(
        form, frozenset({BusinessType.foreign_pharma_senior_post})
    ),
    FindingCategory.concurrent_leadership: lambda form: tuple(
        (fact.sheet, fact.row)
        for fact in form.posts
        if fact.org_type is OrgType.medical_unit_in_jurisdiction
    ),
    FindingCategory.unapproved_or_paid_post: lambda form: tuple(
        (fact.sheet, fact.row)
        for fact in form.posts
        if fact.org_type is not OrgType.medical_unit_in_jurisdiction
    ),
    FindingCategory.post_retirement_employment: lambda form: tuple(
        (fact.sheet, fact.row) for fact in form.retirement_jobs
    ),
    FindingCategory.recusal_not_observed: lambda form: tuple(
        (fact.sheet, fact.row) for fact in form.recusals
    ),
}


@dataclass(frozen=True, slots=True)
class Assessment:
    """What the declaration says about an allegation.

    ``rows`` are the declared rows of the alleged kind; ``hits`` the rule hits of the alleged
    category on the form (their self-declared findings are what a complaint links to).
    """

    result: CrossCheckResult
    rows: tuple[SheetRow, ...] = ()
    hits: tuple[Hit, ...] = ()

    @property
    def suspects_concealment(self) -> bool:
        return self.result in (CrossCheckResult.concealment_suspected, CrossCheckResult.no_form)


def assess_allegation(
    alleged: FindingCategory | None, form: FormFacts | None, as_of: date
) -> Assessment:
    """Compare an alleged category with the cadre's current declaration.

    No form at all: suspected concealment, whatever is alleged. Nothing alleged in particular:
    nothing to compare. Concealment alleged as such: suspected concealment. Otherwise the
    alleged kind is either declared (rows of that kind on the form) or suspected concealed.
    """
    if form is None:
        return Assessment(CrossCheckResult.no_form)
    if alleged is None:
        return Assessment(CrossCheckResult.unspecified)
    if alleged is FindingCategory.concealment:
        return Assessment(CrossCheckResult.concealment_suspected)
    rows = DECLARED_ROWS[alleged](form)
    if not rows:
        return Assessment(CrossCheckResult.concealment_suspected)
    hits = tuple(hit for hit in detect(form, as_of) if hit.category is alleged)
    return Assessment(CrossCheckResult.declared, rows, hits)
