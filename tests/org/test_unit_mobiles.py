"""The unit file's mobile columns (办公室联系人手机, 负责人手机): normalised on import, refused
without ever repeating the number, kept on ``Unit`` and out of everything shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from models.unit import Unit, UnitPublic
from qinglian.core.errors import ImportRejected
from qinglian.org.import_units import import_units
from qinglian.org.unit_cells import parse_mobile
from tests.factories import write_csv_rows, write_xlsx_rows

HEADERS = ["单位编码", "单位名称", "层级", "类型", "上级单位编码", "办公室联系人手机", "负责人手机"]


def _rows(*units: tuple[Any, ...]) -> list[list[Any]]:
    base = [
        ("3207", "连云港市卫生局", "市", "行政", ""),
        ("320701", "连妇保", "医院", "医疗", "3207"),
    ]
    return [HEADERS, *([*b, *u] for b, u in zip(base, units, strict=False))]


@pytest.mark.parametrize(
    "value",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138 0013 8000",
        "+86-13800138000",
        "0086 13800138000",
        "8613800138000",
        "（138）0013-8000",
        "１３８００１３８０００",  # full-width, as typed with a Chinese input method
        13800138000,  # an Excel number
        13800138000.0,
    ],
)
def test_a_mobile_is_normalised_to_its_eleven_digits(value: Any) -> None:
    assert parse_mobile(value) == "13800138000"


@pytest.mark.parametrize("value", [None, "", "  "])
def test_an_empty_mobile_is_none(value: Any) -> None:
    assert parse_mobile(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "12800138000",  # no such prefix
        "1380013800",  # ten digits
        "138001380001",  # twelve
        "025-83456789",  # a landline
        "13800138000转1",
        "+1 13800138000",
        "13800138000, 13900139000",
        "王局长",
    ],
)
def test_a_bad_mobile_is_refused_without_repeating_it(value: str) -> None:
    with pytest.raises(ValueError, match="手机号码格式不正确") as caught:
        parse_mobile(value)
    message = str(caught.value)
    assert " / not a mainland mobile number" in message
    assert value not in message and "0013" not in message and "8345" not in message


def test_mobiles_are_imported_normalised_and_kept_off_what_is_shown(
    session: Session, tmp_path: Path
) -> None:
    path = write_xlsx_rows(
        tmp_path / "units.xlsx",
        _rows(("138 0013 8000", "+86 139-0013-9000"), (None, 13700137000)),
        title="单位",
    )
    report = import_units(session=session, path=path)
    assert report.created == 2
    units = {unit.code: unit for unit in session.exec(select(Unit)).all()}
    lyg, fb = units["3207"], units["320701"]
    assert (lyg.office_mobile, lyg.head_mobile) == ("13800138000", "13900139000")
    assert (fb.office_mobile, fb.head_mobile) == (None, "13700137000")
    # Never in the public model, a repr or the import's report.
    public = UnitPublic.model_validate(lyg, from_attributes=True).model_dump_json()
    for shown in (public, repr(lyg), report.model_dump_json()):
        assert "13800138000" not in shown and "13900139000" not in shown
    assert not {"office_mobile", "head_mobile"} & set(UnitPublic.model_fields)


def test_english_headers_an_absent_column_keeps_and_an_empty_cell_clears(
    session: Session, tmp_path: Path
) -> None:
    rows = [
        ["code", "name", "level", "kind", "office mobile", "Head Mobile"],
        ["3207", "连云港市卫生局", "city", "health_admin", "13800138000", "13900139000"],
    ]
    import_units(session=session, path=write_csv_rows(tmp_path / "en.csv", rows))
    without = [
        ["code", "name", "level", "kind"],
        ["3207", "连云港市卫生局", "city", "health_admin"],
    ]
    report = import_units(session=session, path=write_csv_rows(tmp_path / "short.csv", without))
    assert report.unchanged == 1
    emptied = [rows[0], [*rows[1][:4], "", "13900139000"]]
    report = import_units(session=session, path=write_csv_rows(tmp_path / "empty.csv", emptied))
    assert report.updated == 1
    unit = session.exec(select(Unit)).one()
    assert (unit.office_mobile, unit.head_mobile) == (None, "13900139000")


def test_a_bad_mobile_is_a_row_error_that_does_not_echo_it(
    session: Session, tmp_path: Path
) -> None:
    path = write_xlsx_rows(
        tmp_path / "bad.xlsx", _rows(("13800138000", None), (None, "139-0013-900")), title="单位"
    )
    with pytest.raises(ImportRejected) as caught:
        import_units(session=session, path=path)
    (error,) = caught.value.errors
    assert (error.file, error.sheet, error.row, error.column) == (
        "bad.xlsx",
        "单位",
        3,
        "负责人手机",
    )
    assert "手机号码格式不正确" in error.zh and "not a mainland mobile number" in error.en
    shown = f"{caught.value} {error.zh} {error.en} {error!r}"
    assert "0013" not in shown and "900" not in shown
    assert session.exec(select(Unit)).all() == []
    # Quarantining the row: the report names the problem, never the number.
    report = import_units(session=session, path=path, skip_invalid=True)
    assert report.created == 1 and "0013" not in report.model_dump_json()
