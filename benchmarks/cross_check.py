"""Complaints at national scale: normalise, store, match and cross-check 100,000 complaints
against 1,000,000 declarations on a tree of about 50,000 units.

    .venv/bin/python benchmarks/cross_check.py [DECLARATIONS] [COMPLAINTS]
        [--provinces N] [--keep] [--db PRISTINE.db]

The data is built in a child process, by Core inserts into a temporary SQLite file (the
production pragmas: WAL, synchronous=NORMAL), so its memory does not count: 1 ministry, 31
provinces, 341 cities with 5 hospitals each, 2,728 counties with 16 institutions each; about
21 in-scope cadres per institution and 32 per administration, with real-looking names (many
shared across the country, as names are); a current declaration for DECLARATIONS of them (the
others have none); section rows on about 20% of the forms. ``--provinces`` builds a smaller
tree (for a quick try); ``--keep`` leaves a copy of the built data in the temp directory, which ``--db`` then reuses
(a copy of it), to time again without building again.

The complaints are a mix: exact names and unit names; surname + title (王院长) at a unit
alias; traditional characters with web-copy pinyin glosses; names in pinyin; homophones; units
that do not exist; and copies of a complaint arriving by a second channel. Then it times,
separately:
  1. normalisation (names, units against the tree, texts), pure;
  2. intake: store_complaints (normalise, digest, encrypt, insert, link copies);
  3. matching: match_complaints (cadre index of the whole campaign, blocked scoring, writes);
  4. cross_check (load the matched cadres' forms, assess, findings, cases, audit), and again
     (the idempotent re-run);
and prints seconds for each, the total, the peak RSS of the measuring process and the number
of candidate comparisons actually scored. Target: < 60 s and < 2 GB on 2 cores.
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import opencc
from cryptography.fernet import Fernet
from pypinyin import Style, lazy_pinyin
from sqlalchemy import Engine, func, insert, select
from sqlmodel import Session, SQLModel

import models  # noqa: F401  (registers the tables)
from models.cadre import Cadre
from models.campaign import Campaign
from models.complaint import Complaint, VerificationCase
from models.enums import (
    BusinessType,
    ComplaintChannel,
    Level,
    OrgType,
    RecusalSituation,
    Relation,
    UnitKind,
)
from models.finding import Finding
from models.form import Declaration, DeclaredPost, DeclaredRecusal, DeclaredRelative
from models.unit import Unit
from qinglian.complaints import crypto
from qinglian.complaints.crosscheck import cross_check
from qinglian.complaints.intake import store_complaints
from qinglian.complaints.matching import match_complaints, unit_directory
from qinglian.complaints.parsing import IntakeItem, parse_category
from qinglian.core import db
from qinglian.rules.names import normalise_name
from qinglian.rules.text import normalise_content

AS_OF = date(2012, 9, 1)
BATCH = 20_000
PROVINCES = [
    "北京",
    "天津",
    "河北",
    "山西",
    "内蒙古",
    "辽宁",
    "吉林",
    "黑龙江",
    "上海",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "广西",
    "海南",
    "重庆",
    "四川",
    "贵州",
    "云南",
    "西藏",
    "陕西",
    "甘肃",
    "青海",
    "宁夏",
    "新疆",
]
PLACE = (
    "安宝昌成川春达德东丰福阜盖高广贵桂海汉和河鹤衡洪华怀淮黄惠吉济嘉建江金锦晋景靖九康"
    "兰乐黎连临灵柳龙隆泸鲁罗洛马茂梅蒙绵明牡南宁平浦齐祁黔钦清庆曲泉饶仁容汝瑞三沙山汕"
    "商韶邵绍深沈胜石寿双顺朔松宿绥泰滕天通铜潼威渭文武西仙咸湘襄孝新信兴宣延盐扬阳伊宜"
    "益永榆玉元岳云枣湛漳长昭肇镇郑中舟珠淄遵"
)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余"
    "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文辉海燕鹏飞宇浩然"
    "晨阳雪梅琳倩慧颖婷丹鑫斌波宁峰亮俊凯欣怡佳琪晓东新春庆喜亚玲扬泰康菁成学润民"
)
INSTITUTION_POSTS = (
    "院长",
    "副院长",
    "副院长",
    "党委书记",
    "纪委书记",
    *(
        f"{dept}主任"
        for dept in [
            "内科",
            "外科",
            "妇产科",
            "儿科",
            "急诊科",
            "药剂科",
            "检验科",
            "放射科",
            "麻醉科",
            "护理部",
            "医务科",
            "财务科",
            "总务科",
            "设备科",
            "院办",
            "感染科",
        ]
    ),
)
ADMIN_POSTS = (
    "局长",
    "副局长",
    "副局长",
    "副局长",
    "党组书记",
    "纪检组长",
    *(
        f"{office}{title}"
        for office in [
            "办公室",
            "医政科",
            "疾控科",
            "妇幼科",
            "规财科",
            "人事科",
            "药政科",
            "监督科",
            "基层科",
            "法规科",
            "科教科",
            "中医科",
            "宣传科",
        ]
        for title in ("科长", "副科长")
    ),
)
COUNTY_KINDS = (("人民医院", "人医"), ("中医院", "中医"), ("妇幼保健院", "妇保"))
CITY_KINDS = (
    ("第一人民医院", "一院"),
    ("第二人民医院", "二院"),
    ("中医院", "中医院"),
    ("妇幼保健院", "妇保"),
    ("疾病预防控制中心", "疾控"),
)
CATEGORIES = ("亲属经商", "兼职取酬", "外资任职", "兼任领导", "离职从业", "未回避", "隐瞒不报", "")
CHANNELS = list(ComplaintChannel)
_S2T = opencc.OpenCC("s2t")


# --- building (in a child process) -------------------------------------------------------


def build(path: Path, declarations: int, provinces: int) -> None:
    random.seed(20120709)
    engine = db.engine_for(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    now = datetime.now(UTC)
    units: list[dict[str, Any]] = []
    places = _unique_places()

    def add(
        name: str, level: Level, kind: UnitKind, parent: dict[str, Any] | None, *aliases: str
    ) -> dict[str, Any]:
        unit_id = len(units) + 1
        unit = {
            "id": unit_id,
            "code": f"U{unit_id:06d}",
            "name": name,
            "aliases": [alias for alias in aliases if alias],
            "level": level,
            "kind": kind,
            "office_email": None,
            "office_webhook": None,
            "head": None,
            "discipline_email": None,
            "parent_id": parent["id"] if parent else None,
            "path": f"{parent['path'] if parent else '/'}{unit_id}/",
            "depth": parent["depth"] + 1 if parent else 0,
        }
        units.append(unit)
        return unit

    admin, medical = UnitKind.health_admin, UnitKind.public_medical
    ministry = add("卫生部", Level.ministry, admin, None)
    for province_name in PROVINCES[:provinces]:
        province = add(f"{province_name}省卫生厅", Level.province, admin, ministry)
        for _ in range(11):
            city_place = next(places)
            city = add(f"{city_place}市卫生局", Level.city, admin, province)
            for kind, short in CITY_KINDS:
                add(
                    f"{city_place}市{kind}",
                    Level.institution,
                    medical,
                    city,
                    f"{city_place[0]}{short}",
                )
            for _ in range(8):
                county_place = next(places)
                county = add(f"{county_place}县卫生局", Level.county, admin, city)
                for kind, short in COUNTY_KINDS:
                    add(
                        f"{county_place}县{kind}",
                        Level.institution,
                        medical,
                        county,
                        f"{county_place}{short}",
                    )
                for _ in range(13):
                    add(f"{next(places)}乡卫生院", Level.institution, medical, county)
    with engine.begin() as connection:
        for start in range(0, len(units), BATCH):
            connection.execute(insert(Unit), units[start : start + BATCH])
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
    cadres = _cadres(units)
    declare_share = min(1.0, declarations / len(cadres))
    declaration_id = 0
    with engine.begin() as connection:
        for start in range(0, len(cadres), BATCH):
            batch = cadres[start : start + BATCH]
            connection.execute(insert(Cadre), batch)
            forms: list[dict[str, Any]] = []
            sections: dict[type[SQLModel], list[dict[str, Any]]] = {
                DeclaredRelative: [],
                DeclaredPost: [],
                DeclaredRecusal: [],
            }
            for cadre in batch:
                if random.random() >= declare_share:
                    continue
                declaration_id += 1
                forms.append(
                    {
                        "id": declaration_id,
                        "campaign_id": 1,
                        "cadre_id": cadre["id"],
                        "unit_id": cadre["unit_id"],
                        "version": 1,
                        "is_current": True,
                        "submitted_on": date(2012, 8, 8),
                        "signed_on": date(2012, 8, 8),
                        "nothing_to_declare": False,
                        "left_within_3_years": False,
                        "amendment_reason": "",
                        "content_hash": f"{declaration_id:064d}",
                        "source_file": "bench.xlsx",
                        "recorded_at": now,
                    }
                )
                _sections(sections, declaration_id)
            connection.execute(insert(Declaration), forms)
            for model, rows in sections.items():
                if rows:
                    connection.execute(insert(model), rows)
    engine.dispose()


def _unique_places() -> Iterator[str]:
    seen: set[str] = set()
    while True:
        size = random.choice((2, 2, 2, 3))
        place = "".join(random.choice(PLACE) for _ in range(size))
        if place not in seen:
            seen.add(place)
            yield place


def _name() -> str:
    surname = random.choice(SURNAMES)
    given = random.choice(GIVEN) + (random.choice(GIVEN) if random.random() < 0.75 else "")
    return surname + given


def _cadres(units: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cadres: list[dict[str, Any]] = []
    by_id = {unit["id"]: unit for unit in units}
    for unit in units:
        institution = unit["level"] is Level.institution
        posts = INSTITUTION_POSTS if institution else ADMIN_POSTS
        for index, post in enumerate(posts):
            leader = index < (5 if institution else 6)
            category = (3 if leader else 4) if institution else (1 if leader else 2)
            parent = by_id.get(unit["parent_id"]) if unit["parent_id"] else None
            managing = unit["id"] if category == 4 or parent is None else parent["id"]
            cadres.append(
                {
                    "id": len(cadres) + 1,
                    "staff_no": f"S{len(cadres) + 1:08d}",
                    "name": _name(),
                    "post": post,
                    "rank": "",
                    "scope_category": category,
                    "retired": False,
                    "left_on": None,
                    "unit_id": unit["id"],
                    "managing_unit_id": managing,
                }
            )
    return cadres


def _sections(sections: dict[type[SQLModel], list[dict[str, Any]]], did: int) -> None:
    roll = random.random()
    if roll < 0.12:
        sections[DeclaredRelative].append(
            {
                "declaration_id": did,
                "sheet": "亲属从业",
                "row": 2,
                "name": f"亲属{did}",
                "relation": random.choice(list(Relation)),
                "employer": f"第{random.randint(1, 500)}医药有限公司",
                "position": "销售",
                "business_type": random.choice(list(BusinessType)),
                "within_jurisdiction": random.random() < 0.5,
            }
        )
    elif roll < 0.18:
        sections[DeclaredPost].append(
            {
                "declaration_id": did,
                "sheet": "本人兼职",
                "row": 2,
                "organisation": f"第{random.randint(1, 200)}学会",
                "org_type": random.choice(list(OrgType)),
                "post": "理事",
                "is_leadership": random.random() < 0.5,
                "approved": random.random() < 0.8,
                "paid": random.random() < 0.1,
            }
        )
    elif roll < 0.20:
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


# --- complaints (generated in the measuring process, not timed) ---------------------------


def _glossed(text: str) -> str:
    """Traditional characters with a tone-marked pinyin gloss after some, as web copy has."""
    out = []
    for char in _S2T.convert(text):
        if "\u4e00" <= char <= "\u9fff" and random.random() < 0.4:
            out.append(f"{char}({lazy_pinyin(char, style=Style.TONE)[0]})")
        else:
            out.append(char)
    return "".join(out)


def _title_of(post: str) -> str:
    for title in ("院长", "局长", "书记", "主任", "科长", "组长"):
        if title in post:
            return title
    return ""


def complaints(engine: Engine, count: int) -> tuple[list[IntakeItem], list[tuple[int, str]]]:
    """The complaints, and for each the cadre it is really about and how it was written."""
    random.seed(20120906)
    with engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(Cadre)).scalar_one()
        copies = count // 20
        sample = sorted(random.sample(range(1, total + 1), count - copies))
        rows: list[Any] = []
        for start in range(0, len(sample), 900):
            rows.extend(
                connection.execute(
                    select(Cadre.id, Cadre.name, Cadre.post, Unit.name, Unit.aliases)  # type: ignore[call-overload]
                    .join(Unit, Unit.id == Cadre.unit_id)
                    .where(Cadre.id.in_(sample[start : start + 900]))  # type: ignore[attr-defined]
                )
            )
    homophones: dict[str, list[str]] = {}
    for char in GIVEN:
        homophones.setdefault(lazy_pinyin(char)[0], []).append(char)
    items: list[IntakeItem] = []
    truth: list[tuple[int, str]] = []
    for index, (cadre_id, name, post, unit_name, aliases) in enumerate(rows):
        roll = random.random()
        unit = unit_name
        if roll < 0.40:
            written, kind = name, "exact name, unit name"
        elif roll < 0.55:
            title = _title_of(post)
            written = f"{name[0]}{title}" if title else name
            unit = aliases[0] if aliases else unit_name
            kind = "surname+title, unit alias"
        elif roll < 0.70:
            written = _glossed(name[0]) + " " + _S2T.convert(name[1:])
            unit = _glossed(unit_name)
            kind = "traditional + pinyin glosses"
        elif roll < 0.80:
            syllables = lazy_pinyin(name)
            written = f"{syllables[0].title()} {''.join(syllables[1:]).title()}"
            kind = "name in pinyin"
        elif roll < 0.90:
            written = name
            unit = "".join(random.choice(PLACE) for _ in range(2)) + "市某某民营医院"
            kind = "unknown unit"
        else:
            last = name[-1]
            options = [c for c in homophones.get(lazy_pinyin(last)[0], []) if c != last]
            written = name[:-1] + (random.choice(options) if options else last)
            kind = "homophone"
        truth.append((cadre_id, kind))
        category, raw = parse_category(random.choice(CATEGORIES))
        items.append(
            IntakeItem(
                channel=random.choice(CHANNELS),
                received_on=date(2012, 8, random.randint(1, 31)),
                anonymous=random.random() < 0.6,
                accused_name=written,
                accused_unit=unit,
                alleged_category=category,
                alleged_category_raw=raw,
                content=f"群众反映第{index}号线索：该同志涉嫌{raw or '违规'}，具体情况见附件。",
                contact=""
                if random.random() < 0.6
                else f"1{random.randint(3000000000, 9999999999)}",
            )
        )
    # Copies by a second channel: the same text about the same person.
    for copied in random.sample(range(len(items)), copies):
        item = items[copied]
        truth.append((truth[copied][0], "copy by a second channel"))
        items.append(
            IntakeItem(
                channel=ComplaintChannel.letter,
                received_on=item.received_on,
                anonymous=item.anonymous,
                accused_name=item.accused_name,
                accused_unit=item.accused_unit,
                alleged_category=item.alleged_category,
                alleged_category_raw=item.alleged_category_raw,
                content=item.content,
                contact=item.contact,
            )
        )
    return items, truth


# --- measuring -----------------------------------------------------------------------------


def _accuracy(assigned: list[int | None], truth: list[tuple[int, str]]) -> None:
    """Per way of writing: assigned to the right cadre, to a wrong one, or left to a person."""
    tally: dict[str, list[int]] = {}
    for cadre_id, (true_id, kind) in zip(assigned, truth, strict=True):
        counts = tally.setdefault(kind, [0, 0, 0])
        counts[0 if cadre_id == true_id else 2 if cadre_id is None else 1] += 1
    print("matching quality (assigned right / assigned wrong / left to a person):")
    for kind, (right, wrong, queued) in tally.items():
        print(f"  {kind:<30} {right:7,} / {wrong:5,} / {queued:6,}")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


_VALUED = ("--db", "--provinces")


def _option(name: str) -> str | None:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else None


def _positional() -> list[str]:
    args, skip = [], False
    for arg in sys.argv[1:]:
        if skip:
            skip = False
        elif arg in _VALUED:
            skip = True
        elif not arg.startswith("--"):
            args.append(arg)
    return args


def main() -> None:
    args = _positional()
    provinces = int(_option("--provinces") or len(PROVINCES))
    if "--build" in sys.argv:
        build(Path(args[0]), int(args[1]), provinces)
        return
    declarations = int(args[0]) if args else 1_000_000
    complaint_count = int(args[1]) if len(args) > 1 else 100_000
    home = Path(tempfile.mkdtemp(prefix="qinglian-complaints-"))
    path = home / "bench.db"
    started = time.perf_counter()
    if _option("--db"):
        shutil.copy(str(_option("--db")), path)
    else:
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--build",
                str(path),
                str(declarations),
                "--provinces",
                str(provinces),
            ],
            check=True,
        )
    built = time.perf_counter() - started
    os.environ.setdefault(crypto.KEY_ENV, Fernet.generate_key().decode())
    crypto.reset_keys()
    engine = db.engine_for(f"sqlite:///{path}")
    with engine.connect() as connection:
        sizes = {
            model.__name__: connection.execute(select(func.count()).select_from(model)).scalar_one()
            for model in (Unit, Cadre, Declaration, DeclaredRelative, DeclaredPost, DeclaredRecusal)
        }
    with_sections = sizes["DeclaredRelative"] + sizes["DeclaredPost"] + sizes["DeclaredRecusal"]
    print(
        f"data (built in {built:.0f} s, not measured): {sizes['Unit']:,} units, "
        f"{sizes['Cadre']:,} cadres, {sizes['Declaration']:,} current declarations "
        f"({with_sections:,} section rows)"
    )
    if "--keep" in sys.argv:
        kept = Path(tempfile.gettempdir()) / "qinglian-complaints-bench.db"
        shutil.copy(path, kept)
        print(f"pristine copy kept at {kept}")
    items, truth = complaints(engine, complaint_count)
    print(f"complaints generated (not measured): {len(items):,}")

    with Session(engine, expire_on_commit=False) as session:
        campaign = session.get(Campaign, 1)
        assert campaign is not None

        started = time.perf_counter()
        units = unit_directory(session=session, campaign=campaign)
        unknown = 0
        for item in items:
            normalise_name(item.accused_name)
            unknown += not units.resolve(item.accused_unit).known
            normalise_content(item.content)
        normalised = time.perf_counter() - started

        started = time.perf_counter()
        units = unit_directory(session=session, campaign=campaign)
        stored = store_complaints(
            session=session, campaign=campaign, items=items, units=units, actor="bench"
        )
        session.commit()
        intake = time.perf_counter() - started

        started = time.perf_counter()
        matched = match_complaints(session=session, campaign_id=1, units=units)
        session.commit()
        matching = time.perf_counter() - started

        started = time.perf_counter()
        checked = cross_check(session=session, campaign_id=1, as_of=AS_OF)
        session.commit()
        checking = time.perf_counter() - started

        started = time.perf_counter()
        again = cross_check(session=session, campaign_id=1, as_of=AS_OF)
        session.commit()
        rechecking = time.perf_counter() - started
        cases = session.execute(select(func.count()).select_from(VerificationCase)).scalar_one()
        findings = session.execute(select(func.count()).select_from(Finding)).scalar_one()
        complaints_stored = session.execute(
            select(func.count()).select_from(Complaint)
        ).scalar_one()
        outcome = dict(
            session.execute(select(Complaint.id, Complaint.matched_cadre_id)).all()  # type: ignore[arg-type]
        )

    total = normalised + intake + matching + checking
    cadres = sizes["Cadre"]
    print(
        f"normalisation:  {normalised:6.2f} s  ({len(items):,} names, units, texts; {unknown:,} units unknown)"
    )
    print(
        f"intake:         {intake:6.2f} s  ({complaints_stored:,} stored, encrypted; "
        f"{sum(s.duplicate_of_id is not None for s in stored):,} copies linked on arrival)"
    )
    print(
        f"matching:       {matching:6.2f} s  (matched {matched.matched:,}, ambiguous "
        f"{matched.ambiguous:,}, unmatched {matched.unmatched:,}; widened {matched.widened:,}; "
        f"copies linked by cadre {matched.linked_duplicates:,})"
    )
    print(
        f"cross-check:    {checking:6.2f} s  ({checked.complaints:,} complaints: "
        f"{checked.concealment_suspected:,} concealment, {checked.no_form:,} no form, "
        f"{checked.declared:,} declared, {checked.unspecified:,} unspecified; "
        f"{checked.findings_created:,} findings created, {checked.findings_linked:,} linked; "
        f"{cases:,} cases; {findings:,} findings in table)"
    )
    print(f"total:          {total:6.2f} s  (target < 60 s)")
    print(f"cross-check again (idempotent): {rechecking:.2f} s, {again.cases_opened} cases opened")
    print(f"peak RSS:       {_peak_rss_mb():6.0f} MB (target < 2,048 MB)")
    _accuracy([outcome[entry.complaint_id] for entry in stored], truth)
    print(
        f"candidate comparisons scored: {matched.comparisons:,} "
        f"(pairwise would be {len(items):,} × {cadres:,} = {len(items) * cadres:.2e})"
    )
    engine.dispose()
    shutil.rmtree(home)


if __name__ == "__main__":
    main()
