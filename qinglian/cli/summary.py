"""`qinglian summary`: the phase summaries (阶段性总结): units submit their narrative upward;
the figures come from the phase flows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from models.summary import NARRATIVE_MAX_CHARS
from qinglian.cli.common import (
    UNIT_CODE,
    AsOfToday,
    CampaignArg,
    campaign_id_option,
    console,
    date_option,
    friendly,
)
from qinglian.cli.database import (
    SkipInvalid,
    database_app,
    import_campaign_file,
    in_session,
    record_input,
)
from qinglian.core.clock import today_in_china
from qinglian.core.errors import QinglianError
from qinglian.exchange.encodings import decode_csv
from qinglian.reporting.artifacts import percent
from qinglian.reporting.import_narratives import import_narratives
from qinglian.reporting.narratives import submit_narrative
from qinglian.reporting.summary_store import stored_summaries

app = database_app("summary", "阶段性总结 / phase summaries")


@app.command("submit")
@friendly
def summary_submit(
    campaign: CampaignArg,
    phase: Annotated[str, typer.Option(help="阶段 phase key, e.g. find")],
    unit: Annotated[str, typer.Option(**UNIT_CODE, help="单位编码 unit code")],
    file: Annotated[
        Path | None, typer.Option(help="总结正文文件（UTF-8 文本）narrative text file")
    ] = None,
    text: Annotated[str | None, typer.Option(help="总结正文 narrative text")] = None,
    on: Annotated[str | None, typer.Option(help="提交日期 submitted on (default today)")] = None,
    by: Annotated[str, typer.Option(help="提交人 submitted by")] = "",
) -> None:
    """提交本单位阶段性总结（报上级）/ submit a unit's phase-summary narrative upward."""
    campaign_id = campaign_id_option(campaign)
    today = today_in_china()
    day = date_option(on, "提交日期", "on") or today
    if (file is None) == (text is None):
        raise QinglianError(
            "请用 --file 或 --text 给出总结正文（二选一）", "give the narrative by --file or --text"
        )
    body = _narrative_file(file) if file is not None else text or ""
    receipt = record_input(
        submit_narrative,
        campaign_id=campaign_id,
        phase_key=phase,
        unit_code=unit,
        text=body,
        submitted_on=day,
        submitted_by=by,
        as_of=today,
    )
    due = f"，截止 {receipt.due_on}" if receipt.due_on else ""
    console.print(
        f"{receipt.unit_name} · {receipt.phase_title}阶段性总结："
        f"{'已更新' if receipt.replaced else '已提交'}（{receipt.submitted_on} 提交{due}，"
        f"{receipt.status}）/ {'updated' if receipt.replaced else 'submitted'}"
    )


def _narrative_file(path: Path) -> str:
    if not path.is_file():
        raise QinglianError(f"找不到文件 {path}", f"no such file: {path}")
    size = path.stat().st_size
    if size > 4 * NARRATIVE_MAX_CHARS:  # UTF-8 Chinese is 3 bytes a character; refuse unread
        raise QinglianError(
            f"{path.name}：文件过大（{size} 字节），阶段性总结最多 {NARRATIVE_MAX_CHARS} 个字符，未保存",
            f"{path.name}: too large ({size} bytes) for a narrative of at most"
            f" {NARRATIVE_MAX_CHARS} characters; nothing saved",
        )
    # The encoding told as for a CSV (UTF-8, UTF-16 with a BOM or GB18030): a Big5 text is
    # refused, not stored as GB18030 nonsense.
    try:
        return decode_csv(path.name, path.read_bytes()).removeprefix("\ufeff")
    except QinglianError:
        raise QinglianError(
            f"{path.name}：无法识别文件编码（应为 UTF-8、带 BOM 的 UTF-16 或 GB18030 文本）",
            f"{path.name}: not UTF-8, UTF-16 (with a BOM) or GB18030 text",
        ) from None


@app.command("import")
@friendly
def summary_import(
    campaign: CampaignArg,
    file: Path,
    as_of: AsOfToday = None,
    skip_invalid: SkipInvalid = False,
) -> None:
    """导入阶段性总结（单位编码、阶段、总结内容、提交日期、提交人）/ import narratives."""
    import_campaign_file(import_narratives, file, campaign, as_of, skip_invalid)


@app.command("show")
@friendly
def summary_show(
    campaign: CampaignArg,
    unit: Annotated[str, typer.Option(**UNIT_CODE, help="单位编码 unit code")],
    as_json: Annotated[bool, typer.Option("--json", help="JSON 输出")] = False,
) -> None:
    """查看单位各阶段的阶段性总结（统计与正文）/ a unit's phase summaries."""
    campaign_id = campaign_id_option(campaign)
    summaries = in_session(stored_summaries, campaign_id=campaign_id, unit_code=unit)
    if as_json:
        typer.echo(
            json.dumps(
                [item.model_dump(mode="json") for item in summaries], ensure_ascii=False, indent=2
            )
        )
        return
    if not summaries:
        console.print("尚无阶段性总结（运行阶段流程后生成）/ no phase summary yet")
    for item in summaries:
        figures = item.subtree
        table = Table("项目 item", "本单位及下级 subtree", title=f"{item.phase_title}阶段性总结")
        table.add_row("统计截至 computed as of", str(item.computed_as_of or ""))
        table.add_row(
            "事项上报率 reporting rate",
            f"{percent(figures.deliverables.rate)}（应报 {figures.deliverables.expected}，"
            f"缺报 {figures.deliverables.missing}）",
        )
        if figures.forms.expected:
            table.add_row("《报告表》上报率", percent(figures.forms.rate))
        table.add_row("问题线索 findings", str(figures.findings))
        table.add_row(
            "整改 rectified",
            f"{figures.rectified}/{figures.rectification_items}"
            f"（逾期 {figures.rectification_overdue}）",
        )
        table.add_row("督办提醒 escalations", str(figures.escalations))
        table.add_row("滞后下级 lagging children", "、".join(item.lagging_children) or "—")
        table.add_row(
            "总结正文 narrative",
            f"{item.submitted_on} 提交，{len(item.narrative)} 字" if item.narrative else "未提交",
        )
        console.print(table)
        if item.narrative:
            console.print(item.narrative)
