"""Detection over a national-size campaign: load the forms, run the rules, record the findings.

    .venv/bin/python benchmarks/detection.py [FORMS]

Builds FORMS current declarations (100,000 by default) with their section rows in a temporary
SQLite file by Core inserts: about 20% of the forms declare relatives, 10% concurrent posts,
some post-retirement jobs and recusals, and a few percent of each hit a rule. A twentieth of the
cadres also have an earlier, superseded version. Then it times, separately:
  1. load_form_facts (set-based, current versions only);
  2. detect over every form;
  3. record_findings (the first run inserts);
  4. the whole detect_findings again (the idempotent re-run: nothing new);
and prints seconds for each part and the peak RSS. Target: 1 + 2 under 10 s.
"""

from __future__ import annotations

import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlmodel import Session, SQLModel, create_engine

from models import (
    BusinessType,
    Cadre,
    Campaign,
    Declaration,
    DeclaredPost,
    DeclaredRecusal,
    DeclaredRelative,
    DeclaredRetirementJob,
    EmployerType,
    Finding,
    Level,
    OrgType,
    RecusalSituation,
    Relation,
    Unit,
    UnitKind,
)
from qinglian.declarations.facts import load_form_facts
from qinglian.declarations.findings import detect_findings, record_findings
from qinglian.rules.detection import detect_all

FORMS = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
CITIES = 20
HOSPITALS_PER_CITY = 100
AS_OF = date(2012, 8, 20)
BATCH = 20_000
random.seed(20120716)


def build(engine: Engine) -> int:
    """The tree, the campaign and FORMS cadres with their forms; returns the campaign id."""
    SQLModel.metadata.create_all(engine)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        unit_rows: list[dict[str, Any]] = [
            _unit(1, "32", "江苏省卫生厅", Level.province, UnitKind.health_admin, None, "/1/", 0)
        ]
        admin_units, medical_units = [1], []
        next_id = 2
        for city in range(CITIES):
            city_id = next_id
            next_id += 1
            unit_rows.append(
                _unit(
                    city_id,
                    f"32{city:02d}",
                    f"第{city + 1}市卫生局",
                    Level.city,
                    UnitKind.health_admin,
                    1,
                    f"/1/{city_id}/",
                    1,
                )
            )
            admin_units.append(city_id)
            for hospital in range(HOSPITALS_PER_CITY):
                unit_rows.append(
                    _unit(
                        next_id,
                        f"32{city:02d}{hospital:03d}",
                        f"第{city + 1}市第{hospital + 1}医院",
                        Level.institution,
                        UnitKind.public_medical,
                        city_id,
                        f"/1/{city_id}/{next_id}/",
                        2,
                    )
                )
                medical_units.append(next_id)
                next_id += 1
        connection.execute(insert(Unit), unit_rows)
        connection.execute(
            insert(Campaign),
            [
                {
                    "id": 1,
                    "template_key": "coi-2012",
                    "title": "基准测试专项活动",
                    "root_unit_id": 1,
                    "start_on": date(2012, 7, 16),
                    "created_at": now,
                }
            ],
        )
        for batch in _batches(_cadres(admin_units, medical_units)):
            connection.execute(insert(Cadre), batch)

    declaration_id = 0
    with engine.begin() as connection:
        cadres = connection.execute(
            select(Cadre.id, Cadre.unit_id, Cadre.scope_category, Cadre.retired)  # type: ignore[call-overload]
        ).all()
        for start in range(0, len(cadres), BATCH):
            declarations: list[dict[str, Any]] = []
            sections: dict[type[SQLModel], list[dict[str, Any]]] = {
                DeclaredRelative: [],
                DeclaredPost: [],
                DeclaredRetirementJob: [],
                DeclaredRecusal: [],
            }
            for cadre_id, unit_id, _category, retired in cadres[start : start + BATCH]:
                versions = 2 if random.random() < 0.05 else 1
                for version in range(1, versions + 1):
                    declaration_id += 1
                    declarations.append(
                        {
                            "id": declaration_id,
                            "campaign_id": 1,
                            "cadre_id": cadre_id,
                            "unit_id": unit_id,
                            "version": version,
                            "is_current": version == versions,
                            "submitted_on": date(2012, 8, 8),
                            "signed_on": date(2012, 8, 8),
                            "nothing_to_declare": False,
                            "left_within_3_years": retired,
                            "amendment_reason": "补充" if version > 1 else "",
                            "content_hash": f"{declaration_id:064d}",
                            "source_file": "bench.xlsx",
                            "recorded_at": now,
                        }
                    )
                    _sections(sections, declaration_id, retired)
            connection.execute(insert(Declaration), declarations)
            for model, rows in sections.items():
                if rows:
                    connection.execute(insert(model), rows)
    return 1


def _unit(
    unit_id: int,
    code: str,
    name: str,
    level: Level,
    kind: UnitKind,
    parent_id: int | None,
    path: str,
    depth: int,
) -> dict[str, Any]:
    return {
        "id": unit_id,
        "code": code,
        "name": name,
        "aliases": [],
        "level": level,
        "kind": kind,
        "office_email": None,
        "office_webhook": None,
        "head": None,
        "discipline_email": None,
        "parent_id": parent_id,
        "path": path,
        "depth": depth,
    }


def _cadres(admin_units: list[int], medical_units: list[int]) -> Iterator[dict[str, Any]]:
    for index in range(FORMS):
        at_admin = random.random() < 0.2
        unit_id = random.choice(admin_units if at_admin else medical_units)
        category = random.choice((1, 2)) if at_admin else random.choice((3, 4, 4, 4))
        retired = random.random() < 0.03
        yield {
            "staff_no": f"S{index:07d}",
            "name": f"干部{index}",
            "post": "",
            "rank": "",
            "scope_category": category,
            "retired": retired,
            "left_on": date(2010 + random.randint(0, 2), random.randint(1, 12), 1)
            if retired
            else None,
            "unit_id": unit_id,
            "managing_unit_id": unit_id,
        }


def _sections(
    sections: dict[type[SQLModel], list[dict[str, Any]]], did: int, retired: bool
) -> None:
    if random.random() < 0.20:
        for row in range(2, 2 + random.choice((1, 1, 2))):
            business = random.choices(list(BusinessType), weights=(6, 3, 3, 6, 82), k=1)[0]
            sections[DeclaredRelative].append(
                {
                    "declaration_id": did,
                    "sheet": "亲属从业",
                    "row": row,
                    "name": f"亲属{did}-{row}",
                    "relation": random.choice(list(Relation)),
                    "employer": f"第{random.randint(1, 500)}医药有限公司",
                    "position": "职员",
                    "business_type": business,
                    "within_jurisdiction": random.random() < 0.5,
                }
            )
    if random.random() < 0.10:
        sections[DeclaredPost].append(
            {
                "declaration_id": did,
                "sheet": "本人兼职",
                "row": 2,
                "organisation": f"第{random.randint(1, 200)}学会",
                "org_type": random.choices(list(OrgType), weights=(30, 40, 30), k=1)[0],
                "post": "理事",
                "is_leadership": random.random() < 0.5,
                "approved": random.random() < 0.8,
                "paid": random.random() < 0.1,
            }
        )
    if retired:
        sections[DeclaredRetirementJob].append(
            {
                "declaration_id": did,
                "sheet": "离退休后从业",
                "row": 2,
                "employer": f"第{random.randint(1, 100)}民营医院",
                "employer_type": random.choice(list(EmployerType)),
                "within_former_jurisdiction": random.random() < 0.5,
                "started_on": date(2012, random.randint(1, 7), 1),
            }
        )
    if random.random() < 0.05:
        sections[DeclaredRecusal].append(
            {
                "declaration_id": did,
                "sheet": "回避事项",
                "row": 2,
                "situation": random.choice(list(RecusalSituation)),
                "matter": f"事项{did}",
                "occurred_on": date(2012, 5, 1),
                "recused": random.random() < 0.9,
            }
        )


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    home = Path(tempfile.mkdtemp(prefix="qinglian-detect-"))
    engine = create_engine(f"sqlite:///{home / 'bench.db'}")
    started = time.perf_counter()
    campaign_id = build(engine)
    print(f"built {FORMS:,} forms in {time.perf_counter() - started:.1f} s ({home})")
    print(f"peak RSS after building: {_peak_rss_mb():.0f} MB")

    with Session(engine) as session:
        started = time.perf_counter()
        forms = load_form_facts(session=session, campaign_id=campaign_id)
        loaded = time.perf_counter() - started

        started = time.perf_counter()
        found = detect_all(forms, AS_OF)
        detected = time.perf_counter() - started

        started = time.perf_counter()
        counts = record_findings(
            session=session, campaign_id=campaign_id, hits_by_form=found, found_on=AS_OF
        )
        session.commit()
        recorded = time.perf_counter() - started

        started = time.perf_counter()
        again = detect_findings(session=session, campaign_id=campaign_id, as_of=AS_OF)
        session.commit()
        rerun = time.perf_counter() - started
        total = session.execute(select(func.count()).select_from(Finding)).scalar_one()

    print(f"forms loaded:        {len(forms):,}")
    print(f"forms with hits:     {len(found):,}; findings created: {counts.created:,}")
    for category, number in sorted(counts.created_by_category.items()):
        print(f"  {category.value:<28} {number:,}")
    print(f"load_form_facts:     {loaded:.2f} s")
    print(f"detect (all forms):  {detected:.2f} s")
    print(f"load + detect:       {loaded + detected:.2f} s  (target < 10 s)")
    print(f"record_findings:     {recorded:.2f} s")
    print(
        f"detect_findings re-run: {rerun:.2f} s, created {again.created}, "
        f"existing {again.existing:,}; findings in table: {total:,}"
    )
    print(f"peak RSS:            {_peak_rss_mb():.0f} MB")
    engine.dispose()
    shutil.rmtree(home)


if __name__ == "__main__":
    main()
