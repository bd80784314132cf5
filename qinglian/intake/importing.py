"""Importing returned workbooks for the unit that sent them, through the importers as they are.

Each attachment goes through the importer its kind names, never skipping an invalid row: a
file with any invalid row imports nothing (``ImportRejected``; its row errors go back to the
sender). Every importer writes through the caller's session and only flushes, so the mail's
imports, its new status and its receipt commit together or not at all.

A unit sends for itself, as its office does in the portal: every row of every workbook must
be its own (the 单位编码, the cadres of a 报告表, the findings of a 整改台账). A mail holding
workbooks of several units, or of another unit, is refused whole before anything is read
into the database; the 报告表 importer checks its cadres again (``unit_code``).

A 报告表 that changes forms the unit filed before is an amendment: the reason is read from a
line ``修改原因：…`` in the mail's body; without one the mail is refused with a reply asking
for it. Imported forms mark the unit's 收齐《报告表》 item as a portal upload does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlmodel import Session, col, select

from models.campaign import Campaign
from models.unit import Unit
from qinglian.campaigns.import_deliveries import import_deliveries
from qinglian.core.errors import QinglianError
from qinglian.declarations.completeness import cadre_forms, sync_forms_deliverable
from qinglian.declarations.import_forms import AmendmentReasonRequired, import_forms
from qinglian.intake.workbooks import KIND_LABELS, Recognised, WorkbookKind
from qinglian.rectification.import_ledger import import_rectification
from qinglian.reporting.import_narratives import import_narratives

_FORM_COUNTS = ("created", "amended", "unchanged", "not_filled", "on_time", "late")
_TABLE_COUNTS = ("created", "updated", "unchanged")
_COUNT_LABELS = {
    "created": ("新增", "new"),
    "amended": ("修改", "amended"),
    "updated": ("更新", "updated"),
    "unchanged": ("未变", "unchanged"),
    "not_filled": ("未填写", "not filled in"),
    "on_time": ("按时", "on time"),
    "late": ("逾期", "late"),
}


class NotOwnWorkbook(QinglianError):
    """A workbook of another unit, or of several: its message names units, never a person."""


@dataclass(frozen=True, slots=True)
class Accepted:
    """One workbook imported: what it was and what the importer counted."""

    file: str
    kind: WorkbookKind
    counts: dict[str, int]

    def line(self) -> str:
        """``报告表（a.xlsx）：新增 3，… / report forms (a.xlsx): 3 new, …``"""
        zh, en = KIND_LABELS[self.kind]
        shown = [(key, value) for key, value in self.counts.items() if value]
        counts_zh = "，".join(f"{_COUNT_LABELS[key][0]} {value}" for key, value in shown)
        counts_en = ", ".join(f"{value} {_COUNT_LABELS[key][1]}" for key, value in shown)
        return f"{zh}（{self.file}）：{counts_zh or '无变化'} / {en} ({self.file}): {counts_en or 'no change'}"


def check_units(unit: Unit, workbooks: Sequence[Recognised], names: dict[int, Unit]) -> None:
    """Refuse the mail unless every workbook is the sending unit's own (see module docs)."""
    named = {unit_id for workbook in workbooks for unit_id in workbook.unit_ids}
    others = sorted(
        (names[unit_id] for unit_id in named - {unit.id} if unit_id in names),
        key=lambda other: other.code,
    )
    if not others:
        return
    shown = "、".join(f"{other.code}（{other.name}）" for other in others)
    shown_en = ", ".join(f"{other.code} ({other.name})" for other in others)
    if unit.id in named or len(others) > 1:
        raise NotOwnWorkbook(
            f"邮件中的工作簿涉及多个单位（{unit.code}、{shown}），每封邮件只能报送发件单位"
            f" {unit.name}（{unit.code}）本单位的工作簿；未导入任何数据",
            f"the mail holds workbooks of several units ({unit.code}, {shown_en}); a mail may "
            f"carry only the sending unit's ({unit.code}) own workbooks; nothing imported",
        )
    raise NotOwnWorkbook(
        f"工作簿属于其他单位 {shown}，而发件单位是 {unit.name}（{unit.code}）；只能报送本单位的"
        "工作簿，未导入任何数据",
        f"the workbook is another unit's ({shown_en}) and the sender is {unit.code}; a unit "
        "sends only its own workbooks; nothing imported",
    )


def units_named(session: Session, workbooks: Sequence[Recognised]) -> dict[int, Unit]:
    ids = sorted({unit_id for workbook in workbooks for unit_id in workbook.unit_ids})
    if not ids:
        return {}
    return {
        unit.id: unit for unit in session.exec(select(Unit).where(col(Unit.id).in_(ids))) if unit.id
    }


def import_workbook(
    session: Session,
    *,
    workbook: Recognised,
    campaign: Campaign,
    unit: Unit,
    as_of: date,
    reason: str | None,
) -> Accepted:
    """Import one workbook for ``unit`` (flushed, not committed); raises what importers raise."""
    assert campaign.id is not None and unit.id is not None
    path = workbook.path
    if workbook.kind is WorkbookKind.forms:
        return _forms(session, path, campaign, unit, as_of, reason)
    if workbook.kind is WorkbookKind.deliveries:
        report = import_deliveries(session=session, campaign_id=campaign.id, path=path, as_of=as_of)
    elif workbook.kind is WorkbookKind.rectification:
        report = import_rectification(
            session=session, campaign_id=campaign.id, path=path, as_of=as_of
        )
    else:
        report = import_narratives(session=session, campaign_id=campaign.id, path=path, as_of=as_of)
    counts = {name: int(getattr(report, name)) for name in _TABLE_COUNTS}
    return Accepted(file=path.name, kind=workbook.kind, counts=counts)


def _forms(
    session: Session, path: Path, campaign: Campaign, unit: Unit, as_of: date, reason: str | None
) -> Accepted:
    assert campaign.id is not None and unit.id is not None
    try:
        report = import_forms(
            session=session,
            path=path,
            campaign_id=campaign.id,
            as_of=as_of,
            reason=reason,
            unit_code=unit.code,
        )
    except AmendmentReasonRequired as exc:
        raise QinglianError(
            exc.zh.replace("（--reason）", "（请在邮件正文中写一行“修改原因：……”后重新发送）"),
            exc.en.replace("(--reason)", "(write a line '修改原因：…' in the mail and send again)"),
        ) from None
    if not (report.created or report.amended or report.unchanged):
        raise QinglianError(
            f"{path.name}：没有填写任何报告表（模板中的干部均未填报），未导入任何数据",
            f"{path.name}: no form is filled in (the template's cadres are all blank); "
            "nothing imported",
        )
    forms = cadre_forms(session=session, campaign=campaign, root=unit, as_of=as_of, own_only=True)
    sync_forms_deliverable(
        session=session, campaign_id=campaign.id, unit_id=unit.id, forms=forms.get(unit.id, [])
    )
    counts = {name: int(getattr(report, name)) for name in _FORM_COUNTS}
    return Accepted(file=path.name, kind=WorkbookKind.forms, counts=counts)
