"""``import_forms(unit_code=…)``: a unit reporting for itself may only submit the forms of the
cadres its template lists; anything else refuses the whole file, naming whose cadre it is."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from qinglian.core.errors import QinglianError
from tests.declarations.test_import_forms import (
    World,
    build_world,
    counts,
    run_import,
    write_xlsx,
)


@pytest.fixture
def world(session: Session) -> World:
    return build_world(session)


def _basics(*staff: str) -> dict[str, list[dict[str, str]]]:
    return {"基本情况": [{"工号": s, "无报告事项": "是", "填报日期": "2012-08-06"} for s in staff]}


def test_the_units_own_forms_import(session: Session, world: World, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "fb.xlsx", _basics("F001", "F002"))
    assert run_import(session, world, path, unit_code="FB").created == 2


@pytest.mark.parametrize(
    ("staff", "named"),
    [
        pytest.param(("F001", "L001"), ["L001", "LYG", "连云港市卫生局"], id="the-city"),
        pytest.param(("K001",), ["K001", "FB-FCK", "妇产科"], id="its-own-department"),
        pytest.param(("N001",), ["N001", "NM", "内蒙古自治区卫生厅"], id="another-province"),
        pytest.param(("F004",), ["F004", "离任已满三年"], id="left-long-ago"),
    ],
)
def test_anyone_else_refuses_the_whole_file(
    session: Session, world: World, tmp_path: Path, staff: tuple[str, ...], named: list[str]
) -> None:
    path = write_xlsx(tmp_path / "mixed.xlsx", _basics(*staff))
    before = counts(session)
    with pytest.raises(QinglianError) as caught:
        run_import(session, world, path, unit_code="FB")
    session.rollback()
    assert counts(session) == before
    assert all(text in caught.value.zh for text in named)
    assert "未导入任何数据" in caught.value.zh and "nothing imported" in caught.value.en


def test_without_a_unit_the_cli_behaviour_is_unchanged(
    session: Session, world: World, tmp_path: Path
) -> None:
    path = write_xlsx(tmp_path / "all.xlsx", _basics("F001", "K001", "L001"))
    assert run_import(session, world, path).created == 3
