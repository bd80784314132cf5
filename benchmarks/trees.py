"""Province- and nation-shaped campaigns at real size, written fast, for the benchmarks.

    build(engine, PROVINCE or NATION, as_of=…) -> Built

Writes, into an empty database at the schema's head (SQLite or PostgreSQL):
  1. the tree: a province (13 cities, 104 counties, 1,768 institutions, 4,888 departments:
     6,774 units) or the nation (the ministry, 31 provinces, 341 cities, 2,728 counties,
     46,376 institutions: 49,477 units), with explicit ids and materialised paths;
  2. the coi-2012 campaign on its root, through ``launch_campaign`` (every unit's
     deliverables, one executemany per phase), as the service does it;
  3. the in-scope cadres (about 9,000 or 1,000,000: leaders of every administration, the
     leaders of each institution, a head for each department; 3 % retired within three
     years) and 1 % more who left too long ago to file; and their declaration forms:
     about 93 % filed by ``as_of`` (one in eight late against the unit's cascaded
     ``forms_collected`` deadline), 5 % amended once; 20 % declare relatives, 10 %
     concurrent posts, 5 % recusals, every recent retiree a post-retirement job, and a few
     percent of each hit a detection rule (the distribution of ``benchmarks/detection.py``);
  4. deliveries: of every deliverable due by ``as_of`` (the forms deliverable aside: the
     find phase derives it from the forms), 80 % submitted on its due day, 8 % late on
     ``as_of``, the rest missing.
Rows go in with Core ``executemany`` on SQLite and ``COPY`` (psycopg) on PostgreSQL, in
batches, streamed so that a million forms never sit in memory at once; nothing goes through
the importers. On PostgreSQL the id sequences are moved past the written ids and the tables
analysed, as autovacuum would after a load.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, Connection, Engine, and_, func, insert, select, text, update
from sqlmodel import Session, SQLModel

from models import (
    BusinessType,
    Cadre,
    Declaration,
    DeclaredPost,
    DeclaredRecusal,
    DeclaredRelative,
    DeclaredRetirementJob,
    Deliverable,
    EmployerType,
    Level,
    OrgType,
    RecusalSituation,
    Relation,
    Unit,
    UnitKind,
)
from qinglian.campaigns.launch import LEADING_GROUP, launch_campaign
from qinglian.declarations.completeness import FORMS_DELIVERABLE

BATCH = 20_000
TEMPLATE = "coi-2012"
CAMPAIGN_START = date(2012, 7, 16)
FILED, LATE_SHARE, AMENDED = 0.93, 0.125, 0.05
RETIRED, GONE = 0.03, 0.01
ON_TIME_DELIVERY, LATE_DELIVERY = 80, 8  # percent of deliverables due by as_of

# The 31 provincial-level divisions with their statistical codes.
PROVINCES = (
    ("11", "北京市"), ("12", "天津市"), ("13", "河北省"), ("14", "山西省"),
    ("15", "内蒙古自治区"), ("21", "辽宁省"), ("22", "吉林省"), ("23", "黑龙江省"),
    ("31", "上海市"), ("32", "江苏省"), ("33", "浙江省"), ("34", "安徽省"), ("35", "福建省"),
    ("36", "江西省"), ("37", "山东省"), ("41", "河南省"), ("42", "湖北省"), ("43", "湖南省"),
    ("44", "广东省"), ("45", "广西壮族自治区"), ("46", "海南省"), ("50", "重庆市"),
    ("51", "四川省"), ("52", "贵州省"), ("53", "云南省"), ("54", "西藏自治区"),
    ("61", "陕西省"), ("62", "甘肃省"), ("63", "青海省"), ("64", "宁夏回族自治区"),
    ("65", "新疆维吾尔自治区"),
)  # fmt: skip
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建国志文斌辉宁"
# Article 2 category of the cadres of each level: 1 ministry and province, 2 city and county,
# 3 an institution's leaders, 4 department heads.
_CATEGORY = {
    Level.ministry: 1,
    Level.province: 1,
    Level.city: 2,
    Level.county: 2,
    Level.institution: 3,
    Level.department: 4,
}


@dataclass(frozen=True)
class Shape:
    """How many units of each level, and cadres in all; admin units' leaders by level."""

    name: str
    root: Level  # province (one province) or ministry (the nation)
    provinces: int
    cities: int  # per province
    counties: int  # per city
    institutions: int  # per county
    departments: int  # in the whole tree, spread evenly over the institutions
    cadres: int  # in scope, in the whole tree
    leaders: Mapping[Level, int] = field(
        default_factory=lambda: {
            Level.ministry: 40,
            Level.province: 30,
            Level.city: 15,
            Level.county: 6,
        }
    )


PROVINCE = Shape("province", Level.province, 1, 13, 8, 17, 4_888, 9_000)
NATION = Shape("nation", Level.ministry, 31, 11, 8, 17, 0, 1_000_000)
SMALL = Shape("small", Level.province, 1, 2, 2, 3, 12, 200)  # 31 units: a smoke test
SHAPES = {shape.name: shape for shape in (PROVINCE, NATION, SMALL)}


@dataclass
class Built:
    """What was written, and how long each step took (seconds)."""

    campaign_id: int = 0
    root_code: str = ""
    units: dict[str, int] = field(default_factory=dict)  # by level
    cadres: int = 0  # in scope
    out_of_scope: int = 0
    forms: int = 0  # cadres with a current declaration
    late_forms: int = 0
    versions: int = 0  # declaration rows, amendments' earlier versions included
    section_rows: int = 0
    deliverables: int = 0
    delivered: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # rows written by the generator, per step
    seconds: dict[str, float] = field(default_factory=dict)
    report: Callable[[str, float, int | None], None] | None = field(default=None, repr=False)

    def lap(self, step: str, started: float, rows: int | None = None) -> None:
        self.seconds[step] = time.perf_counter() - started
        if rows is not None:
            self.rows[step] = rows
        if self.report is not None:
            self.report(step, self.seconds[step], rows)

    @property
    def unit_count(self) -> int:
        return sum(self.units.values())


def build(
    engine: Engine,
    shape: Shape,
    *,
    as_of: date,
    seed: int = 2012,
    report: Callable[[str, float, int | None], None] | None = None,
) -> Built:
    """The tree, the launched campaign, cadres, forms and deliveries (see the module doc).

    ``report(step, seconds, rows)`` is called as each step ends.
    """
    rng = random.Random(seed)
    built = Built(report=report)
    with engine.begin() as connection:
        if connection.execute(select(func.count()).select_from(Unit)).scalar_one():
            raise SystemExit("the database already has units: build() needs an empty one")

    started = time.perf_counter()
    units = list(_units(shape))
    with engine.begin() as connection:
        _write(connection, Unit, units)
    built.root_code = units[0]["code"]
    for row in units:
        built.units[row["level"].value] = built.units.get(row["level"].value, 0) + 1
    built.lap("units", started, len(units))

    started = time.perf_counter()
    with Session(engine) as session:
        campaign, _ = launch_campaign(
            session=session, template_key=TEMPLATE, root_code=built.root_code
        )
        session.commit()
        assert campaign.id is not None
        built.campaign_id = campaign.id
    with engine.begin() as connection:
        built.deliverables = connection.execute(
            select(func.count())
            .select_from(Deliverable)
            .where(Deliverable.campaign_id == built.campaign_id)
        ).scalar_one()
        dues = dict(
            connection.execute(
                select(Deliverable.unit_id, Deliverable.due_on).where(
                    Deliverable.campaign_id == built.campaign_id,
                    Deliverable.kind == FORMS_DELIVERABLE,
                )
            ).all()
        )
    built.lap("launch_campaign", started, built.deliverables)

    started = time.perf_counter()
    homes = _homes(units, shape, rng)
    del units
    written = 0
    with engine.begin() as connection:
        for cadres, declarations, sections in _people(homes, dues, built, rng, as_of):
            _write(connection, Cadre, cadres)
            _write(connection, Declaration, declarations)
            for model, rows in sections.items():
                _write(connection, model, rows)
            written += len(cadres) + len(declarations) + sum(map(len, sections.values()))
    built.lap("cadres and forms", started, written)

    started = time.perf_counter()
    with engine.begin() as connection:
        built.delivered = _deliver(connection, built.campaign_id, as_of)
    built.lap("deliveries", started, built.delivered)

    if engine.dialect.name == "postgresql":
        started = time.perf_counter()
        _after_load(engine)
        built.lap("sequences and ANALYZE", started)
    return built


# --- the tree --------------------------------------------------------------------------------


def _units(shape: Shape) -> Iterator[dict[str, Any]]:
    """Every unit, parents first, with explicit ids and materialised paths."""
    next_id = 1

    def unit(parent: dict[str, Any] | None, code: str, name: str, level: Level) -> dict[str, Any]:
        nonlocal next_id
        row = {
            "id": next_id,
            "code": code,
            "name": name,
            "aliases": [],
            "level": level,
            "kind": UnitKind.health_admin
            if level.rank <= Level.county.rank
            else (UnitKind.public_medical),
            "office_email": None,
            "office_webhook": None,
            "head": None,
            "discipline_email": None,
            "parent_id": parent["id"] if parent else None,
            "path": f"{parent['path'] if parent else '/'}{next_id}/",
            "depth": parent["depth"] + 1 if parent else 0,
        }
        next_id += 1
        return row

    if shape.root is Level.ministry:
        root = unit(None, "MOH", "卫生部", Level.ministry)
        yield root
        provinces = [unit(root, f"P{code}", _bureau(name), Level.province)
                     for code, name in PROVINCES[: shape.provinces]]  # fmt: skip
    else:
        provinces = [unit(None, "P32", _bureau("江苏省"), Level.province)]
    institutions = shape.provinces * shape.cities * shape.counties * shape.institutions
    base, extra = divmod(shape.departments, institutions) if institutions else (0, 0)
    seen = 0
    for province in provinces:
        yield province
        short = province["name"][:2]
        for c in range(shape.cities):
            city = unit(province, f"{province['code']}C{c + 1:02d}", f"{short}{c + 1}市卫生局",
                        Level.city)  # fmt: skip
            yield city
            for k in range(shape.counties):
                county = unit(city, f"{city['code']}K{k + 1:02d}",
                              f"{short}{c + 1}市{k + 1}县卫生局", Level.county)  # fmt: skip
                yield county
                for h in range(shape.institutions):
                    name = f"{short}{c + 1}市{k + 1}县第{h + 1}人民医院"
                    institution = unit(county, f"{county['code']}H{h + 1:02d}", name,
                                       Level.institution)  # fmt: skip
                    yield institution
                    for d in range(base + (1 if seen < extra else 0)):
                        yield unit(institution, f"{institution['code']}D{d + 1}",
                                   f"{name}第{d + 1}科", Level.department)  # fmt: skip
                    seen += 1


def _bureau(name: str) -> str:
    """A provincial health administration's name in 2012: 卫生厅, or 卫生局 in a municipality."""
    return f"{name}卫生局" if name.endswith("市") else f"{name}卫生厅"


def _homes(
    units: list[dict[str, Any]], shape: Shape, rng: random.Random
) -> list[tuple[int, int, int]]:
    """(unit id, managing unit id, category) per in-scope cadre: leaders of every admin unit,
    a head for each department, the rest shared evenly by the institutions' leaderships."""
    homes: list[tuple[int, int, int]] = []
    institutions: list[dict[str, Any]] = []
    for row in units:
        level: Level = row["level"]
        managing = row["parent_id"] or row["id"]
        if level is Level.institution:
            institutions.append(row)
        count = shape.leaders.get(level, 1 if level is Level.department else 0)
        homes += [(row["id"], managing, _CATEGORY[level])] * count
    rest = max(0, shape.cadres - len(homes))
    base, extra = divmod(rest, len(institutions)) if institutions else (0, 0)
    for index, row in enumerate(institutions):
        count = base + (1 if index < extra else 0)
        homes += [(row["id"], row["parent_id"], 3)] * count
    del homes[shape.cadres :]
    homes.sort()  # by unit: cadres of one unit are neighbours, as an import writes them
    return homes


# --- cadres and their forms ------------------------------------------------------------------


def _people(
    homes: list[tuple[int, int, int]],
    dues: dict[int, date],
    built: Built,
    rng: random.Random,
    as_of: date,
) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]], dict[type[SQLModel], list]]]:
    """Batches of cadres, their declarations and section rows, with explicit ids."""
    now = datetime.now(UTC)
    names = [s + g for s in _SURNAMES for g in _GIVEN] + [
        s + g + h for s in _SURNAMES[:40] for g in _GIVEN[:20] for h in _GIVEN[20:]
    ]
    gone_every = round(1 / GONE)
    cadre_id = declaration_id = 0
    for start in range(0, len(homes), BATCH):
        cadres: list[dict[str, Any]] = []
        declarations: list[dict[str, Any]] = []
        sections: dict[type[SQLModel], list[dict[str, Any]]] = {
            DeclaredRelative: [],
            DeclaredPost: [],
            DeclaredRetirementJob: [],
            DeclaredRecusal: [],
        }
        for unit_id, managing_id, category in homes[start : start + BATCH]:
            cadre_id += 1
            own = cadre_id
            retired = rng.random() < RETIRED
            left_on = date(2010, 1, 1) + timedelta(days=_below(rng, 901)) if retired else None
            cadres.append(_cadre(own, unit_id, managing_id, category, names, rng, left_on))
            built.cadres += 1
            if own % gone_every == 0:  # and a colleague who left too long ago to file
                cadre_id += 1
                cadres.append(
                    _cadre(cadre_id, unit_id, managing_id, category, names, rng, date(2005, 3, 1))
                )
                built.out_of_scope += 1
            due = dues.get(unit_id)
            if due is None or rng.random() >= FILED:
                continue
            first = _submitted(due, as_of, rng)
            if first > as_of:  # would file on time, but not yet
                continue
            built.forms += 1
            built.late_forms += first > due
            versions = 2 if rng.random() < AMENDED and first < as_of else 1
            for version in range(1, versions + 1):
                declaration_id += 1
                on = (
                    first
                    if version == 1
                    else first + timedelta(days=1 + _below(rng, (as_of - first).days))
                )
                rows = _sections(sections, declaration_id, left_on, rng)
                built.section_rows += rows
                declarations.append({
                    "id": declaration_id, "campaign_id": built.campaign_id, "cadre_id": own,
                    "unit_id": unit_id, "version": version, "is_current": version == versions,
                    "submitted_on": on, "signed_on": on, "nothing_to_declare": rows == 0,
                    "left_within_3_years": left_on is not None,
                    "amendment_reason": "补充亲属从业情况" if version > 1 else "",
                    "content_hash": f"{declaration_id:064x}", "source_file": "基准测试报告表.xlsx",
                    "recorded_at": now,
                })  # fmt: skip
            built.versions += versions
        yield cadres, declarations, sections


def _cadre(
    cadre_id: int,
    unit_id: int,
    managing_id: int,
    category: int,
    names: list[str],
    rng: random.Random,
    left_on: date | None,
) -> dict[str, Any]:
    return {
        "id": cadre_id,
        "staff_no": f"C{cadre_id:08d}",
        "name": _pick(rng, names),
        "post": "科主任" if category == 4 else "领导班子成员",
        "rank": "",
        "scope_category": category,
        "retired": left_on is not None,
        "left_on": left_on,
        "unit_id": unit_id,
        "managing_unit_id": managing_id,
    }


def _submitted(due: date, as_of: date, rng: random.Random) -> date:
    """The first submission: a few days before the unit's deadline, or late by ``as_of``."""
    if due < as_of and rng.random() < LATE_SHARE:
        return due + timedelta(days=1 + _below(rng, (as_of - due).days))
    return due - timedelta(days=_below(rng, 5))


def _below(rng: random.Random, n: int) -> int:
    """0 … n - 1 (``randrange`` at a quarter of its cost: a million forms draw millions)."""
    return int(rng.random() * n)


def _pick(rng: random.Random, values: Sequence[Any]) -> Any:
    return values[int(rng.random() * len(values))]


def _pool(weights: Mapping[Any, int]) -> tuple[Any, ...]:
    """Each value as often as its weight: a uniform pick from it is a weighted choice."""
    return tuple(value for value, weight in weights.items() for _ in range(weight))


# Weights as in benchmarks/detection.py: a few percent of each section hits a rule.
_BUSINESS = _pool(dict(zip(BusinessType, (6, 3, 3, 6, 82), strict=True)))
_ORG_TYPES = _pool(dict(zip(OrgType, (30, 40, 30), strict=True)))
_RELATIONS = tuple(Relation)
_EMPLOYERS = tuple(EmployerType)
_SITUATIONS = tuple(RecusalSituation)


def _sections(
    sections: dict[type[SQLModel], list[dict[str, Any]]],
    did: int,
    left_on: date | None,
    rng: random.Random,
) -> int:
    """One form's section rows (the distribution of ``benchmarks/detection.py``); how many."""
    draw = rng.random
    added = 0
    if draw() < 0.20:
        for row in range(2, 4 if draw() < 1 / 3 else 3):
            sections[DeclaredRelative].append({
                "declaration_id": did, "sheet": "亲属从业", "row": row,
                "name": f"亲属{did}-{row}", "relation": _pick(rng, _RELATIONS),
                "employer": f"第{1 + _below(rng, 500)}医药有限公司", "position": "职员",
                "business_type": _pick(rng, _BUSINESS), "within_jurisdiction": draw() < 0.5,
            })  # fmt: skip
            added += 1
    if draw() < 0.10:
        sections[DeclaredPost].append({
            "declaration_id": did, "sheet": "本人兼职", "row": 2,
            "organisation": f"第{1 + _below(rng, 200)}学会", "org_type": _pick(rng, _ORG_TYPES),
            "post": "理事", "is_leadership": draw() < 0.5,
            "approved": draw() < 0.8, "paid": draw() < 0.1,
        })  # fmt: skip
        added += 1
    if left_on is not None:
        sections[DeclaredRetirementJob].append({
            "declaration_id": did, "sheet": "离退休后从业", "row": 2,
            "employer": f"第{1 + _below(rng, 100)}民营医院",
            "employer_type": _pick(rng, _EMPLOYERS), "within_former_jurisdiction": draw() < 0.5,
            "started_on": left_on + timedelta(days=30 + _below(rng, 371)),
        })  # fmt: skip
        added += 1
    if draw() < 0.05:
        sections[DeclaredRecusal].append({
            "declaration_id": did, "sheet": "回避事项", "row": 2,
            "situation": _pick(rng, _SITUATIONS), "matter": f"事项{did}",
            "occurred_on": date(2012, 5, 1), "recused": draw() < 0.9,
        })  # fmt: skip
        added += 1
    return added


# --- deliveries ------------------------------------------------------------------------------


def _deliver(connection: Connection, campaign_id: int, as_of: date) -> int:
    """Set-based: a fixed pseudo-random share of what is due by ``as_of`` is submitted."""
    table = Deliverable.__table__  # type: ignore[attr-defined]
    due = and_(
        table.c.campaign_id == campaign_id,
        table.c.kind != FORMS_DELIVERABLE,
        table.c.due_on <= as_of,
    )
    draw = (table.c.id % 1000) * 7919 % 100  # stays within a 32-bit integer
    now = datetime.now(UTC)
    on_time = connection.execute(
        update(table)
        .where(due, draw < ON_TIME_DELIVERY)
        .values(submitted_on=table.c.due_on, recorded_at=now)
    ).rowcount
    late = connection.execute(
        update(table)
        .where(
            due,
            table.c.due_on < as_of,
            draw >= ON_TIME_DELIVERY,
            draw < ON_TIME_DELIVERY + LATE_DELIVERY,
        )
        .values(submitted_on=as_of, recorded_at=now)
    ).rowcount
    # A leading group is recorded with its office and how many sit in it.
    connection.execute(
        update(table)
        .where(
            table.c.campaign_id == campaign_id,
            table.c.kind == LEADING_GROUP,
            table.c.submitted_on.is_not(None),
        )
        .values(detail={"office": "纪检监察室", "leader": 1, "deputy": 2, "member": 5})
    )
    return on_time + late


# --- writing ---------------------------------------------------------------------------------


def _write(connection: Connection, model: Any, rows: list[dict[str, Any]]) -> None:
    """Core executemany in batches; ``COPY`` on PostgreSQL."""
    if not rows:
        return
    table = model.__table__
    if connection.dialect.name != "postgresql":
        for start in range(0, len(rows), BATCH):
            connection.execute(insert(table), rows[start : start + BATCH])
        return
    columns = list(rows[0])
    as_json = {name for name in columns if isinstance(table.c[name].type, JSON)}
    quoted = ", ".join(f'"{name}"' for name in columns)
    driver = connection.connection.driver_connection
    assert driver is not None
    with (
        driver.cursor() as cursor,
        cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy,
    ):
        if as_json:
            for row in rows:
                copy.write_row([json.dumps(row[c]) if c in as_json else row[c] for c in columns])
        else:
            for row in rows:
                copy.write_row([row[c] for c in columns])


def _after_load(engine: Engine) -> None:
    """Sequences past the explicit ids; fresh planner statistics (autovacuum's ANALYZE)."""
    tables = [Unit, Cadre, Declaration, DeclaredRelative, DeclaredPost, DeclaredRetirementJob,
              DeclaredRecusal]  # fmt: skip
    with engine.begin() as connection:
        for model in tables:
            name = model.__table__.name  # type: ignore[attr-defined]
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                    f'COALESCE((SELECT max(id) FROM "{name}"), 0) + 1, false)'
                )
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("ANALYZE"))
