"""Real exchange files for tests (XLSX via openpyxl, or UTF-8 CSV), unit rows and a CLI harness.

The tree is the seeds' own chain (seed 002): 卫生部 → 江苏省卫生厅 → 连云港市卫生局 →
连云港市妇幼保健院 (连妇保) → two departments, with a few of its in-scope cadres.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import create_engine, func, select, text
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner, Result

import models  # noqa: F401  (registers the tables)
from models.cadre import Cadre
from models.enums import Level, UnitKind
from models.unit import Unit
from qinglian.campaigns.launch import launch_campaign
from qinglian.cli.main import app
from qinglian.core import db
from qinglian.core.settings import get_settings
from qinglian.org.import_cadres import import_cadres
from qinglian.org.import_units import import_units
from tests.databases import PG_URL

UNIT_HEADERS = (
    "单位编码",
    "单位名称",
    "简称",
    "层级",
    "类型",
    "上级单位编码",
    "办公室邮箱",
    "办公室Webhook",
    "负责人",
    "纪检邮箱",
)
CADRE_HEADERS = (
    "工号",
    "姓名",
    "单位编码",
    "职务",
    "职级",
    "适用类别",
    "管理单位编码",
    "是否离退休",
    "离任日期",
)
DELIVERY_HEADERS = ("单位编码", "事项", "完成日期", "说明", "组长", "副组长", "成员", "办公室")

MOH, JS, LYG, FB = "MOH", "JS", "JS-LYG", "JS-LYG-FB"
FB_OBSTETRICS, FB_SUPERVISION = "JS-LYG-FB-CK", "JS-LYG-FB-JCS"
# Root first, then each level down: the chain a deadline cascades along.
CHAIN = (MOH, JS, LYG, FB, FB_OBSTETRICS)

UNITS: tuple[dict[str, Any], ...] = (
    {"单位编码": MOH, "单位名称": "卫生部", "层级": "部", "类型": "卫生行政部门"},
    {
        "单位编码": JS,
        "单位名称": "江苏省卫生厅",
        "层级": "省",
        "类型": "卫生行政部门",
        "上级单位编码": MOH,
    },
    {
        "单位编码": LYG,
        "单位名称": "连云港市卫生局",
        "层级": "市",
        "类型": "卫生行政部门",
        "上级单位编码": JS,
        "办公室邮箱": "office@lyg.example.cn",
        "办公室Webhook": "lyg-wecom",
        "负责人": "王局长",
        "纪检邮箱": "jjz@lyg.example.cn",
    },
    {
        "单位编码": FB,
        "单位名称": "连云港市妇幼保健院",
        "简称": "连妇保",
        "层级": "单位",
        "类型": "公立医疗卫生单位",
        "上级单位编码": LYG,
    },
    {
        "单位编码": FB_OBSTETRICS,
        "单位名称": "产科",
        "层级": "科室",
        "类型": "公立医疗卫生单位",
        "上级单位编码": FB,
    },
    {
        "单位编码": FB_SUPERVISION,
        "单位名称": "院监察室",
        "层级": "科室",
        "类型": "公立医疗卫生单位",
        "上级单位编码": FB,
    },
)

CADRES: tuple[dict[str, Any], ...] = (
    {"工号": "LYG001", "姓名": "王局长", "单位编码": LYG, "职务": "局长", "适用类别": 1},
    {"工号": "FB001", "姓名": "施庆喜", "单位编码": FB, "职务": "院长", "适用类别": 3},
    {"工号": "FB002", "姓名": "邵亚玲", "单位编码": FB, "职务": "党委书记", "适用类别": 3},
    {"工号": "FB003", "姓名": "顾扬", "单位编码": FB, "职务": "副院长", "适用类别": 3},
    {
        "工号": "FB101",
        "姓名": "潘菁",
        "单位编码": FB_OBSTETRICS,
        "职务": "产科主任",
        "适用类别": 4,
        "管理单位编码": FB,
    },
)

# Seed 002: the leading group of 连妇保 and where its campaign office sits.
LEADERS = ("施庆喜", "邵亚玲")
DEPUTIES = ("程学亮", "顾扬", "王泰康")
MEMBERS = ("潘菁", "许成", "彭润民")
OFFICE = "院监察室"


def write_xlsx_rows(path: Path, rows: Iterable[Sequence[Any]], *, title: str) -> Path:
    """Rows as they stand (headers included) on one sheet named ``title`` of a new workbook."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def write_csv_rows(
    path: Path, rows: Iterable[Sequence[Any]], *, encoding: str = "utf-8-sig", delimiter: str = ","
) -> Path:
    """Rows as they stand (headers included) in a CSV file; ``None`` is written as an empty cell."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_table(
    path: Path, headers: Sequence[str], rows: Sequence[Mapping[str, Any]], *, bom: bool = True
) -> Path:
    """Write ``rows`` under ``headers``: an .xlsx workbook, else a UTF-8 CSV (BOM by default)."""
    table = [list(headers), *([row.get(header) for header in headers] for row in rows)]
    if path.suffix.lower() == ".xlsx":
        return write_xlsx_rows(path, table, title=path.stem)
    return write_csv_rows(path, table, encoding="utf-8-sig" if bom else "utf-8")


def write_units(path: Path, rows: Sequence[Mapping[str, Any]] = UNITS) -> Path:
    return write_table(path, UNIT_HEADERS, rows)


def write_cadres(path: Path, rows: Sequence[Mapping[str, Any]] = CADRES) -> Path:
    return write_table(path, CADRE_HEADERS, rows)


def import_seed_tree(session: Session, directory: Path) -> None:
    """The units and cadres above, imported from files as an office hands them in."""
    import_units(session=session, path=write_units(directory / "units.csv"))
    import_cadres(session=session, path=write_cadres(directory / "cadres.csv"))


def launch_seed_campaign(session: Session, directory: Path) -> int:
    """The seed tree imported and coi-2012 launched on 卫生部; the campaign's id."""
    import_seed_tree(session, directory)
    campaign, _ = launch_campaign(session=session, template_key="coi-2012", root_code=MOH)
    assert campaign.id is not None
    return campaign.id


def delivery(unit: str, item: str, on: Any, **extra: Any) -> dict[str, Any]:
    """One row of a deliveries file; ``extra`` uses the Chinese headers (组长=…, 办公室=…)."""
    return {"单位编码": unit, "事项": item, "完成日期": on, **extra}


def leading_group_row(unit: str = FB, on: Any = "2012-07-18", **extra: Any) -> dict[str, Any]:
    """Seed 002's leading group as one deliveries row, names joined as offices write them."""
    group = {
        "组长": "、".join(LEADERS),
        "副组长": "、".join(DEPUTIES),
        "成员": "、".join(MEMBERS),
        "办公室": OFFICE,
    }
    return delivery(unit, "leading_group", on, **{**group, **extra})


def write_deliveries(path: Path, rows: Sequence[Mapping[str, Any]]) -> Path:
    return write_table(path, DELIVERY_HEADERS, rows)


# --- rows in a session -------------------------------------------------------------------------

# code, name, level, kind, parent code (None or "" for a root); parents before their children.
UnitRow = tuple[str, str, Level, UnitKind, str | None]

# A province by its numeric codes: 连云港 with a hospital and its department, and 南京 beside it.
CODED_UNITS: tuple[UnitRow, ...] = (
    ("32", "江苏省卫生厅", Level.province, UnitKind.health_admin, None),
    ("3207", "连云港市卫生局", Level.city, UnitKind.health_admin, "32"),
    ("3201", "南京市卫生局", Level.city, UnitKind.health_admin, "32"),
    ("320701", "连云港市妇幼保健院", Level.institution, UnitKind.public_medical, "3207"),
    ("32070101", "妇产科", Level.department, UnitKind.public_medical, "320701"),
)


def add_unit(session: Session, parent: Unit | None, **fields: Any) -> Unit:
    """A unit below ``parent`` (a root when None), flushed with its materialised path."""
    unit = Unit(
        parent_id=parent.id if parent else None, depth=parent.depth + 1 if parent else 0, **fields
    )
    session.add(unit)
    session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    session.add(unit)
    session.flush()
    return unit


def add_units(
    session: Session,
    rows: Iterable[UnitRow],
    details: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Unit]:
    """The units of ``rows`` by code, each below the unit its parent code names.

    ``details`` gives some units more fields by code (aliases, office contacts, head).
    """
    units: dict[str, Unit] = {}
    for code, name, level, kind, parent_code in rows:
        parent = units[parent_code] if parent_code else None
        more = (details or {}).get(code, {})
        units[code] = add_unit(
            session, parent, code=code, name=name, level=level, kind=kind, **more
        )
    return units


def add_cadre(
    session: Session, unit: Unit, *, managing: Unit | None = None, **fields: Any
) -> Cadre:
    """A cadre of ``unit``, managed by ``managing`` (by default the unit's parent, else itself)."""
    managing_unit_id = managing.id if managing else unit.parent_id or unit.id
    cadre = Cadre(unit_id=unit.id, managing_unit_id=managing_unit_id, **fields)
    session.add(cadre)
    session.flush()
    return cadre


# --- the CLI on a real database --------------------------------------------------------------

# Wide enough that Rich wraps neither tables nor messages; the 80-column default is tested apart.
WIDE = {"COLUMNS": "1000", "LINES": "50"}
_CJK = re.compile(r"[\u4e00-\u9fff]")
_ENGLISH = re.compile(r"[A-Za-z]{3,}")


@dataclass
class Qinglian:
    """The `qinglian` command run in-process on one database (SQLite file or PostgreSQL)."""

    kind: str
    home: Path
    env: dict[str, str] = field(default_factory=lambda: dict(WIDE))

    def __call__(self, *args: str | Path, env: Mapping[str, str] | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(app, [str(arg) for arg in args], env={**self.env, **(env or {})})

    def ok(self, *args: str | Path) -> Result:
        """Run a command that must succeed, showing everything it printed when it does not."""
        result = self(*args)
        assert result.exit_code == 0, (result.exit_code, result.output, result.exception)
        return result

    def session(self) -> Session:
        return Session(db.get_engine(), expire_on_commit=False)

    def counts(self) -> dict[str, int]:
        """Rows per table: what a command that must write nothing is compared on."""
        with db.get_engine().connect() as connection:
            return {
                name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in SQLModel.metadata.tables.items()
            }

    def dump(self) -> dict[str, list[tuple[str, ...]]]:
        """Every row of every table, ordered by primary key, values as text: what a command
        that must change nothing is compared on, cell by cell."""
        with db.get_engine().connect() as connection:
            return {
                name: [
                    tuple(str(value) for value in row)
                    for row in connection.execute(
                        select(table).order_by(*table.primary_key.columns)
                    )
                ]
                for name, table in SQLModel.metadata.tables.items()
            }


@contextmanager
def qinglian_cli(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, upgrade: bool = True
) -> Iterator[Qinglian]:
    """A fresh ``QINGLIAN_HOME`` and database, upgraded unless told not to.

    ``kind``: "sqlite" (the embedded default, migrated by the CLI itself), "postgresql" (a
    fresh schema in ``QINGLIAN_TEST_PG_URL``) or "sqlite-url" (a SQLite file configured through
    ``QINGLIAN_DATABASE_URL``). A configured database is never migrated on the fly.
    """
    home = tmp_path / "home"
    monkeypatch.setenv("QINGLIAN_HOME", str(home))
    if kind == "postgresql":
        assert PG_URL
        reset_postgres(PG_URL)
        monkeypatch.setenv("QINGLIAN_DATABASE_URL", PG_URL)
    elif kind == "sqlite-url":
        monkeypatch.setenv("QINGLIAN_DATABASE_URL", f"sqlite:///{tmp_path / 'configured.db'}")
    else:
        monkeypatch.delenv("QINGLIAN_DATABASE_URL", raising=False)
    _clear_caches()
    cli = Qinglian(kind=kind, home=home)
    try:
        if upgrade and kind != "sqlite":
            cli.ok("db", "upgrade")
        yield cli
    finally:
        db.get_engine().dispose()  # PostgreSQL: no idle connection survives into the next test
        _clear_caches()


def reset_postgres(url: str) -> None:
    """Drop and recreate the public schema: every test starts from an empty database."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def _clear_caches() -> None:
    get_settings.cache_clear()
    db.engine_for.cache_clear()


def assert_one_error(result: Result, *, rows: bool = False) -> str:
    """A failed command: non-zero exit, no traceback, ONE bilingual line on stderr.

    ``rows``: an import refused row by row, whose line is followed by one indented bilingual
    line per refused row (and a count of those not shown).
    """
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    if rows:
        assert len(lines) > 1, lines
        for row in lines[1:]:
            assert row.startswith("  ") and " / " in row, row
            assert _CJK.search(row) and _ENGLISH.search(row), row
        lines = lines[:1]
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith("错误 / error:"), line
    zh, separator, en = line.removeprefix("错误 / error:").partition(" / ")
    assert separator, line
    assert _CJK.search(zh), line
    assert _ENGLISH.search(en), line
    return line
