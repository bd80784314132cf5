"""Ingest speed of report forms: a province's forms as CSV per sheet (and XLSX), end to end.

    .venv/bin/python benchmarks/forms_ingest.py [--n 100000] [--xlsx] [--xlsx-n 20000]

1. Builds a province-sized tree in a temporary QINGLIAN_HOME (SQLite): 1 province, 15 cities,
   150 counties, 2,000 institutions, 10,000 departments, ``--n`` in-scope cadres (plus 1 % who
   left office too long ago), written with Core inserts; launches coi-2012 on the province.
2. Writes one form per in-scope cadre as CSV per sheet: about 20 % declare relatives, 10 %
   concurrent posts, 5 % recusals, every recent retiree a post-retirement job; the rest
   declare nothing. With ``--xlsx``, also the first ``--xlsx-n`` forms as one workbook.
3. Imports them with ``import_forms`` in a fresh process (so its peak RSS is the import's own),
   then imports the same files again (a no-op), and prints the figures.

Targets: at least 20,000 form rows/s end to end from CSV; peak memory under 1 GB.
Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import insert

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent.parent))

# Settings are read on first use, after main() has pointed QINGLIAN_HOME at a temp directory.
from models import Cadre, Level, Unit, UnitKind  # noqa: E402
from qinglian.campaigns.launch import launch_campaign  # noqa: E402
from qinglian.core import db  # noqa: E402
from qinglian.declarations.columns import SECTIONS  # noqa: E402
from qinglian.declarations.import_forms import import_forms  # noqa: E402

AS_OF = date(2012, 9, 1)
CITIES, COUNTIES_PER_CITY, INSTITUTIONS, DEPARTMENTS_PER_INSTITUTION = 15, 10, 2000, 5
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建国志文斌辉宁"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=100_000, help="forms (in-scope cadres)")
    parser.add_argument("--xlsx", action="store_true", help="also time one XLSX workbook")
    parser.add_argument("--xlsx-n", type=int, default=20_000, help="forms in the workbook")
    parser.add_argument("--import-only", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--campaign", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--rollback", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.import_only:
        _import(args.import_only, args.campaign, rollback=args.rollback)
        return

    home = Path(tempfile.mkdtemp(prefix="qinglian-forms-bench-"))
    os.environ["QINGLIAN_HOME"] = str(home)
    os.environ.pop("QINGLIAN_DATABASE_URL", None)
    started = time.perf_counter()
    campaign_id, cadres = _build(args.n)
    print(f"tree + {args.n:,} cadres + coi-2012 launched in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    forms = _forms(cadres)
    csv_dir = _write_csv(home / "forms", forms)
    files = sorted(csv_dir.glob("*.csv"))
    size = sum(path.stat().st_size for path in files) / 1e6
    print(f"forms written as CSV per sheet in {time.perf_counter() - started:.1f} s "
          f"({len(files)} files, {size:.1f} MB)")  # fmt: skip
    del cadres

    if args.xlsx:
        count = min(args.xlsx_n, len(forms))
        started = time.perf_counter()
        workbook = _write_xlsx(home / "forms.xlsx", forms[:count])
        print(f"{count:,} forms written as XLSX in {time.perf_counter() - started:.1f} s "
              f"({workbook.stat().st_size / 1e6:.1f} MB)")  # fmt: skip
        print(f"\n== XLSX, {count:,} forms (rolled back afterwards) ==")
        _child(workbook, campaign_id, rollback=True)
    del forms
    print(f"\n== CSV per sheet, {args.n:,} forms ==")
    _child(csv_dir, campaign_id)
    print("\n== the same CSV again (no-op) ==")
    _child(csv_dir, campaign_id)
    print("\ntargets: >= 20,000 form rows/s end to end from CSV; peak RSS < 1 GB")
    print(f"(database and files under {home})")


# --- the tree, with Core inserts -----------------------------------------------------------


def _build(count: int) -> tuple[int, list[dict[str, Any]]]:
    db.ensure_schema()
    units: list[dict[str, Any]] = []

    def unit(code: str, name: str, level: Level, kind: UnitKind, parent: dict | None) -> dict:
        row = {
            "id": len(units) + 1,
            "code": code,
            "name": name,
            "aliases": [],
            "level": level,
            "kind": kind,
            "parent_id": parent["id"] if parent else None,
            "depth": parent["depth"] + 1 if parent else 0,
        }
        row["path"] = f"{parent['path'] if parent else '/'}{row['id']}/"
        units.append(row)
        return row

    province = unit("P32", "基准省卫生厅", Level.province, UnitKind.health_admin, None)
    counties: list[dict[str, Any]] = []
    for c in range(CITIES):
        city = unit(
            f"P32C{c:02d}", f"第{c + 1}市卫生局", Level.city, UnitKind.health_admin, province
        )
        for k in range(COUNTIES_PER_CITY):
            code = f"{city['code']}K{k:02d}"
            counties.append(unit(code, f"{city['name']}第{k + 1}县卫生局", Level.county,
                                 UnitKind.health_admin, city))  # fmt: skip
    institutions = [
        unit(f"{counties[i % len(counties)]['code']}H{i:04d}", f"第{i + 1}医院",
             Level.institution, UnitKind.public_medical, counties[i % len(counties)])
        for i in range(INSTITUTIONS)
    ]  # fmt: skip
    departments = [
        unit(f"{inst['code']}D{d}", f"{inst['name']}第{d + 1}科", Level.department,
             UnitKind.public_medical, inst)
        for inst in institutions
        for d in range(DEPARTMENTS_PER_INSTITUTION)
    ]  # fmt: skip

    # Leaders of administrations and institutions, then department heads for the rest.
    homes: list[tuple[dict[str, Any], int]] = [(province, 1)] * 200
    homes += [(u, 1) for u in units if u["level"] in (Level.city, Level.county) for _ in range(20)]
    homes += [(u, 3) for u in institutions for _ in range(10)]
    homes = homes[:count]
    homes += [(departments[i % len(departments)], 4) for i in range(count - len(homes))]
    rng = random.Random(2012)
    cadres: list[dict[str, Any]] = []
    for index, (home, category) in enumerate(homes):
        retired = rng.random() < 0.03
        cadres.append(
            {
                "staff_no": f"C{index:07d}",
                "name": rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.randint(1, 2))),
                "post": "科主任" if category == 4 else "领导班子成员",
                "rank": "",
                "scope_category": category,
                "retired": retired,
                "left_on": date(2011, 1, 1) + timedelta(days=rng.randint(0, 500))
                if retired
                else None,
                "unit_id": home["id"],
                "managing_unit_id": home["parent_id"] or home["id"],
            }
        )
    gone = [
        dict(cadres[i], staff_no=f"X{i:07d}", retired=True, left_on=date(2005, 3, 1))
        for i in range(0, len(cadres), 100)
    ]
    with db.session_scope() as session:
        session.execute(insert(Unit), units)
        session.execute(insert(Cadre), [*cadres, *gone])
        campaign, _ = launch_campaign(session=session, template_key="coi-2012", root_code="P32")
        assert campaign.id is not None
        return campaign.id, cadres


# --- the forms -----------------------------------------------------------------------------


def _forms(cadres: list[dict[str, Any]]) -> list[dict[str, list[list[Any]]]]:
    """Per cadre: the rows it contributes to each sheet."""
    rng = random.Random(92)
    relations = ["配偶", "子女", "子女的配偶"]
    business = ["药品销售", "医疗器械销售", "其他营利性医疗卫生经营活动", "其他"]
    forms = []
    for cadre in cadres:
        staff_no = cadre["staff_no"]
        form: dict[str, list[list[Any]]] = {
            "亲属从业": [],
            "本人兼职": [],
            "离退休后从业": [],
            "回避事项": [],
        }
        if rng.random() < 0.20:
            for n in range(rng.choice((1, 1, 2))):
                form["亲属从业"].append([
                    staff_no, rng.choice(_SURNAMES) + rng.choice(_GIVEN) + str(n), rng.choice(relations),
                    f"某某医药有限公司{rng.randint(1, 500)}", "销售代表", rng.choice(business),
                    rng.choice(("是", "否")),
                ])  # fmt: skip
        if rng.random() < 0.10:
            form["本人兼职"].append([
                staff_no, f"某市医学会{rng.randint(1, 50)}", "卫生社会组织", "理事", "否",
                rng.choice(("是", "否")), "否",
            ])  # fmt: skip
        if cadre["retired"]:
            form["离退休后从业"].append([
                staff_no, f"某民营医院{rng.randint(1, 300)}", "营利性医疗卫生机构",
                rng.choice(("是", "否")), (cadre["left_on"] + timedelta(days=30)).isoformat(),
            ])  # fmt: skip
        if rng.random() < 0.05:
            form["回避事项"].append([
                staff_no, str(rng.randint(1, 6)), f"{rng.randint(2010, 2012)}年设备采购评审", "2011-05-04", "是",
            ])  # fmt: skip
        nothing = not any(form.values())
        submitted = date(2012, 8, 1) + timedelta(days=rng.randint(0, 14))
        form["基本情况"] = [[
            staff_no, cadre["name"], "", cadre["post"], cadre["scope_category"],
            "是" if cadre["retired"] else "否", "是" if nothing else "否",
            submitted.isoformat(), submitted.isoformat(),
        ]]  # fmt: skip
        forms.append(form)
    return forms


def _headers() -> dict[str, list[str]]:
    return {section.sheet: [spec.header for spec in section.columns] for section in SECTIONS}


def _write_csv(directory: Path, forms: list[dict[str, list[list[Any]]]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for sheet, header in _headers().items():
        with (directory / f"{sheet}.csv").open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            for form in forms:
                writer.writerows(form[sheet])
    return directory


def _write_xlsx(path: Path, forms: list[dict[str, list[list[Any]]]]) -> Path:
    # A regular (not write-only) workbook: like Excel and WPS it records each sheet's
    # <dimension>, without which openpyxl rescans whole sheets on every open.
    workbook = Workbook()
    assert workbook.active is not None
    workbook.remove(workbook.active)
    for sheet, header in _headers().items():
        worksheet = workbook.create_sheet(sheet)
        worksheet.append(header)
        for form in forms:
            for row in form[sheet]:
                worksheet.append(row)
    workbook.save(path)
    return path


# --- the import, in its own process --------------------------------------------------------


def _child(path: Path, campaign_id: int, *, rollback: bool = False) -> None:
    command = [
        sys.executable,
        str(HERE),
        "--import-only",
        str(path),
        "--campaign",
        str(campaign_id),
    ]
    subprocess.run([*command, *(["--rollback"] if rollback else [])], check=True)


def _import(path: Path, campaign_id: int, *, rollback: bool) -> None:
    session_started = time.perf_counter()
    with db.session_scope() as session:
        started = time.perf_counter()
        report = import_forms(session=session, path=path, campaign_id=campaign_id, as_of=AS_OF)
        imported = time.perf_counter() - started
        if rollback:
            session.rollback()
    total = time.perf_counter() - session_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = report.rows_read
    print(f"rows read            {rows:>12,}  ({len(report.sheets)} sheets)")
    print(f"forms                {report.created:>12,} created, {report.amended:,} amended, "
          f"{report.unchanged:,} unchanged, {len(report.rejected)} errors")  # fmt: skip
    print(f"on time / late       {report.on_time:>12,} / {report.late:,}")
    print(f"import_forms         {imported:>12.2f} s")
    print(f"incl. commit         {total:>12.2f} s")
    print(f"rows/s end to end    {rows / total:>12,.0f}")
    print(
        f"forms/s end to end   {(report.created + report.amended + report.unchanged) / total:>12,.0f}"
    )
    print(f"peak RSS             {peak_mb:>12,.0f} MB  (ru_maxrss of the importing process)")


if __name__ == "__main__":
    main()
