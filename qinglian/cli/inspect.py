"""`qinglian inspect`: inspection sampling, results, and the year-end assessment table.

Loaded by the root command (:mod:`qinglian.cli.main`) when `qinglian inspect` is used; the
error line and the option parsers come from :mod:`qinglian.cli.common`.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from models.inspection import ProblemIn, SamplePublic
from qinglian.campaigns.lookup import get_campaign
from qinglian.cli.common import (
    LARGEST_ID,
    UNIT_CODE,
    CampaignArg,
    as_of_or_today,
    campaign_id_option,
    console,
    date_option,
    err,
    friendly,
    require_xlsx,
    whole_number,
)
from qinglian.cli.database import database_app, in_session, record_input
from qinglian.core.clock import today_in_china
from qinglian.core.errors import QinglianError
from qinglian.exchange.cells import split_reason
from qinglian.inspection.assessment import assessment_rows
from qinglian.inspection.assessment_xlsx import write_assessment_xlsx
from qinglian.inspection.import_results import import_inspection_results
from qinglian.inspection.results import record_inspection
from qinglian.inspection.samples import draw_inspection_sample, list_inspection_samples
from qinglian.inspection.values import parse_problem_category, parse_score

inspect_app = database_app(
    "inspect", "检查组抽查与年终考核 / inspection sampling, results and the year-end assessment"
)

_LARGEST_SEED = 2**63 - 1  # the seed column is a BIGINT
_PROBLEM = re.compile(r"\s*([^:：]*?)\s*[:：]\s*(.*)", re.DOTALL)

AsOf = Annotated[str | None, typer.Option("--as-of", help="按此日期 as-of date (默认今天)")]


def _score(text: str) -> float:
    try:
        return parse_score(text)
    except ValueError as exc:
        raise QinglianError(*split_reason(str(exc))) from exc


def parse_problem(text: str) -> ProblemIn:
    """``类别:描述`` (a full-width colon too), e.g. ``隐瞒不报:未报告配偶经商情况``."""
    match = _PROBLEM.fullmatch(text)
    if match is None or not match.group(1) or not match.group(2).strip():
        raise QinglianError(
            f"问题应写成「类别:描述」，例如「隐瞒不报:未报告配偶经商情况」，而不是「{text}」",
            f"write a problem as CATEGORY:DESCRIPTION, e.g. concealment:spouse's business"
            f" not declared, not {text!r}",
        )
    try:
        category = parse_problem_category(match.group(1))
    except ValueError as exc:
        raise QinglianError(*split_reason(str(exc))) from exc
    return ProblemIn(category=category, summary=match.group(2).strip())


def _sample_table(sample: SamplePublic) -> Table:
    table = Table(
        "#",
        "单位编码 code",
        "单位名称 unit",
        "层级 level",
        "工作滞后 lagging",
        "权重 weight",
        "得分 score",
        "检查日期 inspected",
        "问题 problems",
        title=f"抽查名单 第{sample.id}批 / sample {sample.id}：{len(sample.visits)} 个单位 units，"
        f"种子 seed {sample.seed}，{sample.drawn_on}",
    )
    for number, visit in enumerate(sample.visits, start=1):
        table.add_row(
            str(number),
            visit.unit_code,
            visit.unit_name,
            visit.stratum.label,
            "是" if visit.lagging else "",
            f"{visit.weight:g}",
            "" if visit.score is None else f"{visit.score:g}",
            str(visit.inspected_on or ""),
            str(visit.problems) if visit.score is not None else "",
        )
    return table


app = inspect_app  # the name the root command loads

# --- commands ------------------------------------------------------------------------------


@inspect_app.command("sample")
@friendly
def inspect_sample(
    campaign: CampaignArg,
    size: Annotated[str, typer.Option("--size", help="抽查单位数 how many units")],
    seed: Annotated[
        str | None, typer.Option("--seed", help="随机种子（可复现）/ seed (default: a new one)")
    ] = None,
    as_of: AsOf = None,
) -> None:
    """抽取检查单位（按层级分层，向工作滞后单位倾斜）/ draw the units to inspect."""
    campaign_id = campaign_id_option(campaign)
    count = whole_number(size, LARGEST_ID, "抽查数量", "the sample size")
    chosen = (
        whole_number(seed, _LARGEST_SEED, "随机种子", "the seed")
        if seed is not None
        else secrets.randbelow(2**31)
    )
    day = as_of_or_today(as_of)
    sample = record_input(
        draw_inspection_sample, campaign_id=campaign_id, size=count, seed=chosen, as_of=day
    )
    if not sample.created:
        err.print("该抽查名单已抽取，未重复创建 / this sample was drawn before, nothing created")
    console.print(_sample_table(sample))
    if seed is None:
        console.print(f"以 --seed {chosen} 可复现本次抽取 / repeat this draw with --seed {chosen}")


@inspect_app.command("list")
@friendly
def inspect_list(campaign: CampaignArg) -> None:
    """列出抽查名单及检查结果 / list the samples and their results."""
    campaign_id = campaign_id_option(campaign)
    samples = in_session(list_inspection_samples, campaign_id=campaign_id)
    if not samples:
        console.print("尚未抽取检查单位 / no sample drawn yet: run `qinglian inspect sample`")
    for sample in samples:
        console.print(_sample_table(sample))


@inspect_app.command("record")
@friendly
def inspect_record(
    campaign: CampaignArg,
    unit: Annotated[str, typer.Option("--unit", **UNIT_CODE, help="单位编码 unit code")],
    score: Annotated[str, typer.Option("--score", help="得分 score, 0–100")],
    problem: Annotated[
        list[str] | None,
        typer.Option("--problem", help="问题「类别:描述」(可重复) / CATEGORY:DESCRIPTION, repeat"),
    ] = None,
    inspector: Annotated[str, typer.Option("--inspector", help="检查人 inspector")] = "",
    on: Annotated[str | None, typer.Option("--on", help="检查日期 date (默认今天)")] = None,
    note: Annotated[str, typer.Option("--note", help="备注 note")] = "",
) -> None:
    """登记一个单位的检查结果，问题转为问题线索并限期整改 / record a unit's inspection."""
    campaign_id = campaign_id_option(campaign)
    value = _score(score)
    problems = [parse_problem(text) for text in problem or []]
    today = today_in_china()
    day = date_option(on, "检查日期", "the inspection date") or today
    if day > today:
        raise QinglianError(
            f"检查日期 {day.isoformat()} 晚于今天（{today.isoformat()}）",
            f"the inspection date {day.isoformat()} is after today ({today.isoformat()})",
        )
    result = record_input(
        record_inspection,
        campaign_id=campaign_id,
        unit_code=unit,
        score=value,
        inspected_on=day,
        inspector=inspector,
        problems=problems,
        note=note,
    )
    state = "已登记" if result.changed else "未变"
    console.print(
        f"{state} / {'recorded' if result.changed else 'unchanged'}: {result.visit.unit_name}"
        f"（{result.visit.unit_code}）得分 {value:g}，新增问题线索 {result.findings_created} 条，"
        f"整改事项 {result.items_created} 项 / score {value:g}, {result.findings_created} new"
        f" finding(s), {result.items_created} rectification item(s)"
    )


@inspect_app.command("import")
@friendly
def inspect_import(
    campaign: CampaignArg,
    file: Annotated[Path, typer.Argument(help="检查结果 XLSX/XLS/ET/CSV results file")],
    as_of: AsOf = None,
) -> None:
    """导入检查结果（每个问题一行；全部有效才导入）/ import inspection results."""
    campaign_id = campaign_id_option(campaign)
    day = as_of_or_today(as_of)
    report = record_input(import_inspection_results, campaign_id=campaign_id, path=file, as_of=day)
    console.print(
        f"{report.file} [{report.sheet}]: 新登记 {report.created} 个单位，更新 {report.updated}，"
        f"未变 {report.unchanged}；新增问题线索 {report.findings_created} 条，整改事项"
        f" {report.items_created} 项 / recorded {report.created}, updated {report.updated},"
        f" unchanged {report.unchanged}; {report.findings_created} new finding(s),"
        f" {report.items_created} rectification item(s)",
        soft_wrap=True,
    )


@inspect_app.command("assessment")
@friendly
def inspect_assessment(
    campaign: CampaignArg,
    out: Annotated[Path, typer.Option("--out", help="输出文件 output .xlsx")],
    as_of: AsOf = None,
) -> None:
    """生成年终考核表（XLSX）/ write the year-end assessment table."""
    campaign_id = campaign_id_option(campaign)
    day = as_of_or_today(as_of)
    require_xlsx(out)
    rows = in_session(assessment_rows, campaign_id=campaign_id, as_of=day)
    title = in_session(get_campaign, campaign_id=campaign_id).title
    path = write_assessment_xlsx(rows, out, title=title, as_of=day)
    lagging = sum(row.lagging for row in rows)
    average = sum(row.composite for row in rows) / len(rows) if rows else 0.0
    console.print(
        f"已生成 / written: {path}（{len(rows)} 个单位 units，工作滞后 lagging {lagging}，"
        f"平均综合得分 mean score {average:.1f}，截至 as of {day}）",
        soft_wrap=True,
    )
