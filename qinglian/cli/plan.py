"""`qinglian plan`: a unit adopts its own plan (实施方案) for its subtree, and shows its calendar."""

from __future__ import annotations

import getpass
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from qinglian.campaigns.lookup import get_campaign
from qinglian.campaigns.plan_show import unit_calendar
from qinglian.campaigns.plans import PlanOutcome, adopt_plan, read_plan
from qinglian.campaigns.templates import get_template
from qinglian.cli.common import UNIT_CODE, CampaignArg, console, friendly
from qinglian.cli.database import database_app, in_session, record_input
from qinglian.core.clock import china_minute
from qinglian.core.errors import QinglianError

app = database_app("plan", "本单位实施方案与时限 / a unit's own plan and calendar")

UnitOption = Annotated[str, typer.Option("--unit", **UNIT_CODE, help="单位编码 unit code")]
_CHANGES_SHOWN = 30


@app.command("adopt")
@friendly
def plan_adopt(
    campaign: CampaignArg,
    unit: UnitOption,
    file: Annotated[
        Path, typer.Option("--file", help="方案文件 plan: YAML, .docx or .txt (UTF-8/GB18030)")
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="只显示方案与上级时限的对照，不写入 / write nothing")
    ] = False,
    allow_late: Annotated[
        bool,
        typer.Option("--allow-late", help="允许时限晚于上级要求（须 --reason）/ allow later dates"),
    ] = False,
    reason: Annotated[str, typer.Option("--reason", help="理由 why the plan is later")] = "",
    by: Annotated[str | None, typer.Option("--by", help="采用人 adopted by")] = None,
) -> None:
    """采用本单位实施方案，其下级时限随之逐级提前 / adopt a unit's plan for its subtree."""
    if reason and not allow_late:
        raise QinglianError(
            "--reason 只与 --allow-late 一起使用", "--reason goes with --allow-late only"
        )
    found = in_session(get_campaign, campaign_id=campaign)
    template = get_template(found.template_key)
    plan, digest = read_plan(file, template=template, year=found.start_on.year)
    arguments = {
        "campaign_id": campaign,
        "unit_code": unit,
        "plan": plan,
        "source_name": file.name,
        "source_sha256": digest,
        "adopted_by": by or _login(),
        "allow_late": allow_late,
        "late_reason": reason,
        "dry_run": dry_run,
    }
    outcome = (
        in_session(adopt_plan, **arguments) if dry_run else record_input(adopt_plan, **arguments)
    )
    _print_outcome(outcome, dry_run)


@app.command("show")
@friendly
def plan_show(campaign: CampaignArg, unit: UnitOption) -> None:
    """本单位现行时限及每个日期的来源 / the unit's effective calendar and where each date comes from."""
    calendar = in_session(unit_calendar, campaign_id=campaign, unit_code=unit)
    console.print(f"{calendar.unit_code} {calendar.unit_name} · 专项活动 campaign {campaign}")
    phases = Table("阶段 phase", "起止 window", "来源 source", title="阶段 phases")
    for phase in calendar.phases:
        phases.add_row(
            phase.title, f"{phase.window.start_on} – {phase.window.end_on}", phase.source
        )
    console.print(phases)
    items = Table(
        "阶段 phase",
        "事项 item",
        "时限 due",
        "已报 submitted",
        "来源 source",
        title="时限 deadlines",
    )
    for item in calendar.items:
        items.add_row(
            item.phase_title, item.title, str(item.due_on), _day(item.submitted_on), item.source
        )
    console.print(items)
    if not calendar.history:
        console.print("本单位未采用自己的实施方案 / no plan of its own adopted")
        return
    history = Table(
        "版本 version", "文件 file", "采用时间 adopted", "采用人 by", "备注 note",
        title="已采用的方案 adopted plans",
    )  # fmt: skip
    for version in calendar.history:
        note = "现行 current" if version.current else "已替换 replaced"
        if version.late:
            note += f"；计划时限晚于上级要求（{version.late_reason}）"
        history.add_row(
            str(version.version),
            version.source_name,
            china_minute(version.adopted_at),
            version.adopted_by,
            note,
        )
    console.print(history)


def _print_outcome(outcome: PlanOutcome, dry_run: bool) -> None:
    parent = outcome.parent_name or "（无上级 no parent）"
    console.print(
        f"{outcome.unit_code} {outcome.unit_name} · 方案 plan {outcome.source_name} · 上级 parent {parent}"
    )
    phases = Table("阶段 phase", "上级 parent's", "方案 plan's", title="阶段 phases")
    for phase in outcome.phases:
        planned = (
            f"{_day(phase.plan_start)} – {_day(phase.plan_end)}"
            if phase.plan_start or phase.plan_end
            else "—"
        )
        phases.add_row(phase.title, f"{phase.parent.start_on} – {phase.parent.end_on}", planned)
    console.print(phases)
    table = Table(
        "事项 item", "上级时限 parent's due", "现时限 current due", "方案时限 plan's due",
        "调整 change", title="时限对照 deadlines",
    )  # fmt: skip
    for row in outcome.rows:
        table.add_row(
            row.title,
            _day(row.parent_due),
            str(row.current_due),
            _day(row.plan_due),
            _change(row.current_due, row.new_due, row.late),
        )
    console.print(table)
    for sentence in outcome.unplaced:
        console.print(
            f"未采用的日期 unplaced: {sentence.sentence} —— {sentence.reason_zh} / {sentence.reason_en}"
        )
    for item in outcome.late:
        console.print(
            f"计划时限晚于上级要求 later than the parent: {item.title} {item.due_on}"
            f"（上级 parent {item.parent_due_on}）"
        )
    if outcome.unchanged:
        console.print(
            "方案与现行方案相同，未作改动 / the same plan is already adopted: nothing changed"
        )
        return
    count = len(outcome.changes)
    if dry_run and outcome.late:
        console.print(
            f"有 {len(outcome.late)} 项晚于上级，采用时须加 --allow-late 并说明理由 / "
            f"{len(outcome.late)} item(s) later than the parent: adopting needs --allow-late"
            " and a --reason"
        )
    if dry_run:
        console.print(
            f"试运行，未写入；将调整 {count} 项时限 / dry run, nothing written; {count} deadline(s) would change"
        )
        return
    console.print(
        f"已采用第 {outcome.version} 版方案，调整 {count} 项时限 / adopted as version {outcome.version}, {count} deadline(s) changed"
    )
    for change in outcome.changes[:_CHANGES_SHOWN]:
        console.print(
            f"  {change.unit_code} {change.unit_name} · {change.title}: {change.old_due} → {change.new_due}"
        )
    if count > _CHANGES_SHOWN:
        console.print(f"  … 另有 {count - _CHANGES_SHOWN} 项 / {count - _CHANGES_SHOWN} more")


def _change(current: date, new: date, late: bool) -> str:
    flag = "（晚于上级）" if late else ""
    if new == current:
        return "不变" + flag
    days = (new - current).days
    word = "推迟" if days > 0 else "提前"
    return f"{current} → {new}（{word} {abs(days)} 天）{flag}"


def _day(day: date | None) -> str:
    return str(day) if day else "—"


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "命令行 cli"
