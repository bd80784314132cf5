"""The signed paper 报告表: one printable sheet per cadre, laid out like the paper form.

《卫生系统领导干部防止利益冲突有关事项报告表》 is a signed document. The office imports what the
cadres filled in and prints, for each cadre, the form as stored (the current version): the
title, 基本情况, then 亲属从业, 本人兼职, 离退休后从业 and 回避事项 as tables ("无" when there is
nothing), the pledge, and the lines 本人签字 and 日期 for the cadre to sign by hand. A cadre
with no form yet gets a blank one with the register's basics filled in, to be completed by hand.

Each cadre is one sheet named after the 工号 (A4 portrait, one page wide, pages numbered from 1
on every sheet), so printing the workbook prints each form on its own pages. The file holds
names and family members: it is written where the caller says, and nothing here logs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlmodel import Session, SQLModel, col, select

from models.cadre import Cadre
from models.campaign import Campaign
from models.form import (
    Declaration,
    DeclaredPost,
    DeclaredRecusal,
    DeclaredRelative,
    DeclaredRetirementJob,
)
from models.unit import Unit
from qinglian.core.errors import QinglianError
from qinglian.core.settings import Settings
from qinglian.core.sql import chunked
from qinglian.declarations.print_setup import footer_text, protect, set_up_printing
from qinglian.declarations.printable_layout import COLUMNS, StoredForm, write_form
from qinglian.declarations.workbook import campaign_unit, form_cadres
from qinglian.exchange.output import file_under, write_atomically

# Each section's table and the ``StoredForm`` list its rows go to.
_SECTION_ROWS: tuple[tuple[type[SQLModel], str], ...] = (
    (DeclaredRelative, "relatives"),
    (DeclaredPost, "posts"),
    (DeclaredRetirementJob, "retirement_jobs"),
    (DeclaredRecusal, "recusals"),
)
_SHEET_NAME_MAX = 31  # Excel's limit
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True, slots=True)
class PrintedForms:
    """What ``write_printable_forms`` wrote: how many forms, how many of them blank."""

    path: Path
    cadres: int
    blank: int


def default_printable_path(
    settings: Settings, campaign_id: int, unit_code: str, staff_nos: Sequence[str] = ()
) -> Path:
    """``forms/campaign-<id>/报告表打印-<code>[-<工号>…].xlsx`` under the output folder."""
    chosen = "".join(f"-{staff_no}" for staff_no in sorted(staff_nos))
    return file_under(
        settings.output_dir,
        "forms",
        f"campaign-{campaign_id}",
        f"报告表打印-{unit_code}{chosen}.xlsx",
    )


def write_printable_forms(
    *,
    session: Session,
    campaign_id: int,
    unit_code: str,
    path: Path,
    staff_nos: Sequence[str] = (),
) -> PrintedForms:
    """Write the unit's printable forms, one sheet per cadre who files (or only ``staff_nos``).

    Every name is checked before anything is written: an unknown campaign or unit, a unit
    outside the campaign, or a 工号 that is not one of the unit's cadres filing in the campaign
    is one bilingual error and no file.
    """
    campaign, unit = campaign_unit(session=session, campaign_id=campaign_id, unit_code=unit_code)
    cadres = _chosen(form_cadres(session=session, campaign=campaign, unit=unit), staff_nos, unit)
    if not cadres:
        raise QinglianError(
            f"{unit.name}（{unit.code}）在专项活动 {campaign_id} 中没有需要填报的干部",
            f"{unit.code} has no cadre filing a form in campaign {campaign_id}",
        )
    forms = _current_forms(session, campaign, [cadre.id for cadre in cadres if cadre.id])
    workbook = Workbook()
    default = workbook.active
    assert default is not None
    workbook.remove(default)
    for cadre, name in zip(cadres, sheet_names([c.staff_no for c in cadres]), strict=True):
        sheet = workbook.create_sheet(name)
        form = forms.get(cadre.id or 0)
        last = write_form(sheet, campaign, unit, cadre, form)
        set_up_printing(
            sheet,
            columns=COLUMNS,
            rows=last,
            landscape=False,
            repeat_rows=None,
            footer_left=unit.name,
            footer_right=footer_text(f"工号 {cadre.staff_no}"),
            page_number="第 &P 页",
        )
        sheet.page_setup.firstPageNumber = 1
        sheet.page_setup.useFirstPageNumber = True
        sheet.sheet_view.showGridLines = False
        protect(sheet)
    write_atomically(path, workbook.save)
    blank = sum(1 for cadre in cadres if (cadre.id or 0) not in forms)
    return PrintedForms(path=path, cadres=len(cadres), blank=blank)


def sheet_names(staff_nos: Sequence[str]) -> list[str]:
    """A sheet name per 工号: the 工号 itself where Excel takes it (31 characters, none of
    ``[]:*?/\\``, no quote at either end, not "History"), unique ignoring case."""
    names: list[str] = []
    taken: set[str] = set()
    for staff_no in staff_nos:
        base = _SHEET_NAME_BAD.sub("_", staff_no).strip("'")[:_SHEET_NAME_MAX] or "_"
        if base.casefold() == "history":  # Excel keeps that name for itself
            base = f"{base}_"
        name, number = base, 1
        while name.casefold() in taken:
            number += 1
            tag = f"~{number}"
            name = base[: _SHEET_NAME_MAX - len(tag)] + tag
        taken.add(name.casefold())
        names.append(name)
    return names


def _chosen(cadres: Sequence[Cadre], staff_nos: Sequence[str], unit: Unit) -> list[Cadre]:
    if not staff_nos:
        return list(cadres)
    by_staff_no = {cadre.staff_no: cadre for cadre in cadres}
    unknown = [staff_no for staff_no in dict.fromkeys(staff_nos) if staff_no not in by_staff_no]
    if unknown:
        shown = "、".join(unknown[:20])
        raise QinglianError(
            f"工号 {shown} 不是{unit.name}（{unit.code}）本次需要填报的干部，未生成任何文件",
            f"staff number(s) {', '.join(unknown[:20])} are not cadres of {unit.code} filing "
            "in this campaign; nothing written",
        )
    wanted = set(staff_nos)
    return [cadre for cadre in cadres if cadre.staff_no in wanted]


def _current_forms(
    session: Session, campaign: Campaign, cadre_ids: list[int]
) -> dict[int, StoredForm]:
    """Each cadre's current declaration in the campaign, with its section rows in order."""
    forms: dict[int, StoredForm] = {}
    for ids in chunked(cadre_ids):
        for declaration in session.exec(
            select(Declaration).where(
                Declaration.campaign_id == campaign.id,
                col(Declaration.is_current),
                col(Declaration.cadre_id).in_(ids),
            )
        ):
            forms[declaration.cadre_id] = StoredForm(declaration)
    by_id = {form.declaration.id: form for form in forms.values()}
    for model, attribute in _SECTION_ROWS:
        table: Any = model
        for ids in chunked(list(by_id)):
            for row in session.exec(
                select(table)
                .where(col(table.declaration_id).in_(ids))
                .order_by(col(table.sheet), col(table.row), col(table.id))
            ):
                getattr(by_id[row.declaration_id], attribute).append(row)
    return forms
