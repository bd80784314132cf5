"""The inspection samples (检查组抽查名单): drawing one, once, and listing those drawn.

The inspection teams of the campaign's root unit spot-check the units below it. A sample is
drawn by :func:`qinglian.rules.sampling.draw_sample`, weighted toward the units lagging on the
day (:func:`qinglian.oversight.escalation.find_lagging_units`, the template's thresholds), and
kept: the same campaign, size and seed return the same sample. Persistence functions are
keyword-only, take the session first, flush but never commit, and never import Prefect.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert
from sqlmodel import Session, col, select

from models.enums import Level
from models.inspection import InspectionSample, InspectionVisit, InspectionVisitPublic, SamplePublic
from models.unit import Unit
from qinglian.campaigns.lookup import campaign_root, get_campaign
from qinglian.oversight.lagging import find_lagging_units
from qinglian.rules.sampling import (
    DEFAULT_LAGGING_WEIGHT,
    SampleCandidate,
    SamplingError,
    draw_sample,
)

LARGEST_SEED = 2**63 - 1  # the seed column is a BIGINT


def draw_inspection_sample(
    *,
    session: Session,
    campaign_id: int,
    size: int,
    seed: int,
    as_of: date,
    lagging_weight: float = DEFAULT_LAGGING_WEIGHT,
) -> SamplePublic:
    """Draw (once) ``size`` units of the campaign below its root, lagging ones weighted.

    The population is every unit of the campaign's tree except the root, whose inspection
    teams do the inspecting, and except departments (科室), seen within their hospital's
    visit; the lagging units are those of ``as_of``. Drawing again with the same size and
    seed returns the sample already drawn (``created=False``), as it was drawn.
    """
    campaign = get_campaign(session=session, campaign_id=campaign_id)
    if not 0 <= seed <= LARGEST_SEED:
        raise SamplingError(
            f"抽查种子须为 0 到 {LARGEST_SEED} 之间的整数，而不是 {seed}",
            f"the seed must be a whole number from 0 to {LARGEST_SEED}, not {seed}",
        )
    existing = session.exec(
        select(InspectionSample).where(
            col(InspectionSample.campaign_id) == campaign_id,
            col(InspectionSample.size) == size,
            col(InspectionSample.seed) == seed,
        )
    ).first()
    if existing is not None:
        return _sample_public(session, existing, created=False)
    root = campaign_root(session=session, campaign=campaign)
    lagging = {
        unit.unit_id
        for unit in find_lagging_units(session=session, campaign_id=campaign_id, as_of=as_of)
    }
    population = [
        SampleCandidate(unit_id, Level(level), unit_id in lagging)
        for unit_id, level in session.exec(
            select(Unit.id, Unit.level).where(
                col(Unit.path).startswith(root.path),
                col(Unit.id) != root.id,
                # Teams visit bureaus and institutions; a department is seen within its hospital.
                col(Unit.level) != Level.department,
            )
        )
        if unit_id is not None
    ]
    drawn = draw_sample(population, size, seed, lagging_weight)
    sample = InspectionSample(campaign_id=campaign_id, size=size, seed=seed, drawn_on=as_of)
    session.add(sample)
    session.flush()
    session.execute(
        insert(InspectionVisit),
        [
            {
                "sample_id": sample.id,
                "campaign_id": campaign_id,
                "unit_id": unit.unit_id,
                "stratum": unit.stratum,
                "lagging": unit.lagging,
                "weight": unit.weight,
                "score": None,
                "inspected_on": None,
                "inspector": "",
                "problems": 0,
                "note": "",
            }
            for unit in drawn
        ],
    )
    session.flush()
    return _sample_public(session, sample, created=True)


def list_inspection_samples(*, session: Session, campaign_id: int) -> list[SamplePublic]:
    """The campaign's samples, the first drawn first, each with its visits."""
    get_campaign(session=session, campaign_id=campaign_id)
    samples = session.exec(
        select(InspectionSample)
        .where(col(InspectionSample.campaign_id) == campaign_id)
        .order_by(col(InspectionSample.id))
    ).all()
    return [_sample_public(session, sample, created=False) for sample in samples]


def visit_public(visit: InspectionVisit, code: str, name: str) -> InspectionVisitPublic:
    """A sampled unit's visit as shown, with the unit's code and name."""
    return InspectionVisitPublic.model_validate(
        {**visit.model_dump(), "unit_code": code, "unit_name": name}
    )


def _sample_public(session: Session, sample: InspectionSample, *, created: bool) -> SamplePublic:
    assert sample.id is not None
    rows = session.exec(
        select(InspectionVisit, Unit.code, Unit.name)
        .join(Unit, col(Unit.id) == InspectionVisit.unit_id)
        .where(col(InspectionVisit.sample_id) == sample.id)
    ).all()
    visits = sorted(
        (visit_public(visit, code, name) for visit, code, name in rows),
        key=lambda visit: (Level(visit.stratum).rank, visit.unit_code),
    )
    return SamplePublic(
        id=sample.id,
        campaign_id=sample.campaign_id,
        size=sample.size,
        seed=sample.seed,
        drawn_on=sample.drawn_on,
        created=created,
        visits=visits,
    )
