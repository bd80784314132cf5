"""Lay the written comprehensive report (书面综合情况报告) out as Markdown, Word and PDF.

The report is composed once, from ``ReportData`` alone, into a short list of blocks (headings,
paragraphs, tables, pictures, quotations); Markdown and Word are two ways of writing the same
blocks. Every sentence is a phrasing of the figures: nothing is said that the data does not say,
and there is no complaint text or complainant in the data to begin with.

The Word layout follows GB/T 9704 (党政机关公文格式) closely enough for an office to print it:
A4, 37/35/28/26 mm margins, a 小标宋 title, 黑体 and 楷体 headings, a 仿宋 三号 body on a
fixed 29 pt line, and the page number as "— 1 —".
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Literal

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.text.font import CT_RPr
from docx.oxml.text.run import CT_R
from docx.shared import Cm, Length, Mm, Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.text.paragraph import Paragraph
from docx.text.parfmt import ParagraphFormat

from models.enums import RectificationStatus
from models.rate import ReportingRate
from models.report import ReportData
from models.summary import CASE_LABELS, RULE_LABELS
from qinglian.core.errors import QinglianError
from qinglian.reporting.document.charts import ReportCharts, format_percent, render_charts

ReportFormat = Literal["docx", "md", "pdf"]

SECTIONS = (
    "一、基本情况",
    "二、主要做法",
    "三、发现问题及整改情况",
    "四、存在不足",
    "五、下一步工作",
)
PDF_TIMEOUT_SECONDS = 120

_CLOSED = (RectificationStatus.done.label, RectificationStatus.verified.label)
_CASE_OPEN = CASE_LABELS["open"]
_RULE_UNDECIDED = RULE_LABELS["undecided"]
_NUMERALS = "一二三四五六七八九十"
_NONE = "—"
_FIGURE = re.compile(r"[\d.,/%—-]*")


class ReportError(QinglianError):
    """The report could not be written; nothing was left behind."""


class LibreOfficeMissing(ReportError):
    """PDF was asked for, but LibreOffice is not installed."""

    def __init__(self) -> None:
        super().__init__(
            "未找到 LibreOffice（soffice），无法生成 PDF：请安装 LibreOffice"
            "（如 apt-get install libreoffice-writer-nogui），或改用 --format docx / --format md",
            "LibreOffice (soffice) was not found, so no PDF can be made: install it "
            "(e.g. apt-get install libreoffice-writer-nogui) or use --format docx or --format md",
        )


class PdfConversionFailed(ReportError):
    """LibreOffice ran but produced no PDF."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(
            f"LibreOffice 未能将 {name} 转换为 PDF：{detail}",
            f"LibreOffice could not convert {name} to PDF: {detail}",
        )


# ---------------------------------------------------------------------------------------------
# Composition: ReportData → blocks


@dataclass(frozen=True, slots=True)
class _Heading:
    text: str
    level: int  # 1: 一、…  2: （一）…


@dataclass(frozen=True, slots=True)
class _Para:
    text: str


@dataclass(frozen=True, slots=True)
class _Quote:
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Table:
    caption: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class _Image:
    path: Path
    caption: str


_Block = _Heading | _Para | _Quote | _Table | _Image


@dataclass(slots=True)
class _Body:
    """Collects blocks, numbering tables (表1) and figures (图1) as they come."""

    blocks: list[_Block] = field(default_factory=list)
    tables: int = 0
    figures: int = 0
    subsections: int = 0

    def section(self, title: str) -> None:
        self.blocks.append(_Heading(title, 1))
        self.subsections = 0

    def subsection(self, title: str) -> None:
        self.subsections += 1
        self.blocks.append(_Heading(f"（{_numeral(self.subsections)}）{title}", 2))

    def para(self, text: str) -> None:
        self.blocks.append(_Para(text))

    def quote(self, text: str) -> None:
        lines = tuple(line.strip() for line in text.splitlines() if line.strip())
        if lines:
            self.blocks.append(_Quote(lines))

    def table(self, caption: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        self.tables += 1
        self.blocks.append(
            _Table(
                f"表{self.tables}　{caption}",
                tuple(header),
                tuple(tuple(str(value) for value in row) for row in rows),
            )
        )

    def image(self, path: Path | None, caption: str) -> None:
        if path is not None:
            self.figures += 1
            self.blocks.append(_Image(path, f"图{self.figures}　{caption}"))


# A report names the heaviest lagging units (the list arrives heaviest first), then counts.
LAGGING_NAMED = 10


def report_title(data: ReportData) -> str:
    return f"关于{data.campaign_title}的书面综合情况报告"


def document_number(data: ReportData) -> str:
    """The 发文字号 line, left for the office to fill: its 代字 and serial number are blank."""
    return f"　　〔{data.as_of.year}〕　　号"


def _compose(data: ReportData, charts: ReportCharts | None) -> list[_Block]:
    charts = charts or ReportCharts()
    body = _Body()
    body.para(_opening(data))
    _basic_situation(body, data, charts)
    _measures(body, data)
    _findings_and_rectification(body, data, charts)
    body.section(SECTIONS[3])
    _enumerate(body, _shortcomings(data), _no_shortcomings(data))
    body.section(SECTIONS[4])
    _enumerate(
        body, _next_steps(data), "现有各项工作均已完成，暂无待办事项，将按上级部署做好后续工作。"
    )
    return body.blocks


def _opening(data: ReportData) -> str:
    basis = f"（依据：{data.basis}）" if data.basis else ""
    return (
        f"{data.unit_name}按照{data.campaign_title}工作部署{basis}组织开展了相关工作。"
        f"现将截至{_cn_date(data.as_of)}的工作情况报告如下。"
    )


def _basic_situation(body: _Body, data: ReportData, charts: ReportCharts) -> None:
    body.section(SECTIONS[0])
    body.subsection("总体情况")
    body.para(
        f"纳入本次专项活动范围的单位共{data.units}个（含本单位），适用对象干部{data.cadres}人。"
    )

    body.subsection("材料报送情况")
    body.para(_deliverables_sentence(data))
    rows = [("工作材料", *_rate_cells(data.deliverables))] if data.deliverables.expected else []
    if data.forms is not None and data.forms.expected:
        rows.append(("《报告表》", *_rate_cells(data.forms)))
    if rows:
        body.table("材料报送情况", ("项目", *_RATE_HEADER), rows)

    if data.children:
        body.subsection("所属单位情况")
        body.para(f"所属{len(data.children)}个单位的报送、问题和整改情况如下（含其下属单位）。")
        with_forms = any(child.forms is not None for child in data.children)
        header = ["单位", "层级", "材料已报/到期", "报送率"]
        if with_forms:
            header.append("报表报送率")
        header += ["发现问题", "整改已完成/事项", "备注"]
        rows = []
        for child in data.children:
            row: list[object] = [
                child.name,
                child.level_label,
                f"{child.deliverables.received}/{child.deliverables.due}",
                _percent_of(child.deliverables),
            ]
            if with_forms:
                row.append(_percent_of(child.forms) if child.forms else _NONE)
            row += [
                child.findings,
                f"{child.rectified}/{child.rectification_items}",
                "工作滞后" if child.lagging else "",
            ]
            rows.append(row)
        body.table("所属单位情况", header, rows)
        body.image(charts.reporting_rate, "所属单位材料报送率")


_RATE_HEADER = ("应报", "按时", "逾期", "未报", "未到期", "报送率", "按时报送率")


def _rate_cells(rate: ReportingRate) -> tuple[object, ...]:
    return (
        rate.expected,
        rate.on_time,
        rate.late,
        rate.missing,
        rate.pending,
        _percent_of(rate),
        _percent_of(rate, on_time=True),
    )


def _percent_of(rate: ReportingRate, *, on_time: bool = False) -> str:
    """A reporting rate, or a dash while nothing is due: 100% of nothing says nothing."""
    if not rate.due:
        return _NONE
    return format_percent(rate.on_time_rate if on_time else rate.rate)


def _deliverables_sentence(data: ReportData) -> str:
    rate = data.deliverables
    if not rate.expected:
        text = f"截至{_cn_date(data.as_of)}，尚无应报送的工作材料。"
    else:
        text = (
            f"截至{_cn_date(data.as_of)}，工作材料应报{rate.expected}份，其中已到期{rate.due}份；"
            f"已报{rate.received}份（按时{rate.on_time}份、逾期{rate.late}份），"
            f"未报{rate.missing}份，尚未到期{rate.pending}份。"
        )
        if rate.due:
            text += (
                f"报送率{format_percent(rate.rate)}，"
                f"按时报送率{format_percent(rate.on_time_rate)}。"
            )
    if data.forms is not None and data.forms.expected:
        forms = data.forms
        text += (
            f"《报告表》应报{forms.expected}份，已报{forms.received}份，未报{forms.missing}份"
            + (f"，报送率{format_percent(forms.rate)}。" if forms.due else "。")
        )
    return text


def _measures(body: _Body, data: ReportData) -> None:
    body.section(SECTIONS[1])
    if data.leading_group:
        body.subsection("组织领导")
        body.para(f"成立专项活动领导小组，成员{len(data.leading_group)}人：")
        for line in data.leading_group:
            body.para(line)

    if data.phases:
        body.subsection("分阶段推进")
        phases = "、".join(
            f"{phase.title}（{_cn_date(phase.starts_on)}至{_cn_date(phase.ends_on)}）"
            for phase in data.phases
        )
        body.para(
            f"工作分{len(data.phases)}个阶段推进：{phases}。各阶段材料报送情况见表{body.tables + 1}。"
        )
        body.table(
            "各阶段材料报送情况",
            ("阶段", *_RATE_HEADER),
            [(phase.title, *_rate_cells(phase.deliverables)) for phase in data.phases],
        )

    if data.inspections:
        body.subsection("检查组抽查")
        problems = sum(line.problems for line in data.inspections)
        body.para(f"检查组抽查{len(data.inspections)}个单位，发现问题{problems}个。")
        body.table(
            "检查组抽查情况",
            ("被抽查单位", "检查得分", "发现问题"),
            [
                (line.name, _NONE if line.score is None else f"{line.score:g}", line.problems)
                for line in data.inspections
            ],
        )

    body.subsection("阶段性工作总结")
    if not data.narratives:
        body.para(f"截至{_cn_date(data.as_of)}，尚未报送阶段性工作总结。")
    for narrative in data.narratives:
        submitted = f"（{_cn_date(narrative.submitted_on)}报送）" if narrative.submitted_on else ""
        phase = narrative.phase_title.removesuffix("阶段")
        body.para(f"{phase}阶段工作总结{submitted}：")
        body.quote(narrative.text)


def _findings_and_rectification(body: _Body, data: ReportData, charts: ReportCharts) -> None:
    body.section(SECTIONS[2])
    body.subsection("发现问题情况")
    total = sum(data.findings_by_category.values())
    if not total:
        body.para(f"截至{_cn_date(data.as_of)}，未发现问题。")
    else:
        text = f"截至{_cn_date(data.as_of)}，共发现问题{total}个。"
        if data.findings_by_source:
            text += f"从问题来源看，{_counts(data.findings_by_source, '个')}。"
        body.para(text)
        body.table(
            "发现问题分类统计",
            ("问题类别", "数量（个）", "占比"),
            [
                *(
                    (label, n, format_percent(n / total))
                    for label, n in _items(data.findings_by_category)
                ),
                ("合计", total, format_percent(1.0)),
            ],
        )
        body.image(charts.findings_by_category, "发现问题分类统计")
        if data.findings_by_source:
            body.table(
                "发现问题来源统计",
                ("问题来源", "数量（个）"),
                [*_items(data.findings_by_source), ("合计", sum(data.findings_by_source.values()))],
            )

    if data.cases_by_outcome:
        body.subsection("核查处置情况")
        cases = sum(data.cases_by_outcome.values())
        body.para(f"问题线索核查{cases}件，其中{_counts(data.cases_by_outcome, '件')}。")
        body.table(
            "问题线索核查结果",
            ("核查结果", "件数"),
            [*_items(data.cases_by_outcome), ("合计", cases)],
        )

    body.subsection("整改情况")
    items = sum(data.rectification_by_status.values())
    if not items:
        body.para(f"截至{_cn_date(data.as_of)}，尚无整改事项。")
    else:
        closed = _closed(data)
        text = (
            f"共建立整改事项{items}项，已完成{closed}项，未完成{items - closed}项，"
            f"整改完成率{format_percent(closed / items)}；"
            f"按状态分：{_counts(data.rectification_by_status, '项')}。"
        )
        if data.rectification_overdue:
            text += f"其中逾期未完成{data.rectification_overdue}项。"
        if data.escalations:
            text += f"针对逾期事项，按督办程序发出催办{data.escalations}次。"
        body.para(text)
        body.table(
            "整改事项进展情况",
            ("整改状态", "事项数（项）"),
            [
                *_items(data.rectification_by_status),
                ("合计", items),
                ("其中：逾期未完成", data.rectification_overdue),
            ],
        )
    points = sorted(data.burn_down, key=lambda point: point.day)
    if len(points) >= 2:
        first, last = points[0], points[-1]
        body.para(
            f"未完成整改事项由{_cn_date(first.day)}的{first.open_items}项"
            f"变为{_cn_date(last.day)}的{last.open_items}项。"
        )
    if points:
        body.image(charts.burn_down, "整改事项销号进度")

    if data.rules_by_decision:
        body.subsection("制度建设情况")
        rules = sum(data.rules_by_decision.values())
        body.para(f"清理规章制度{rules}项，其中{_counts(data.rules_by_decision, '项')}。")
        body.table(
            "制度清理情况",
            ("处理方式", "数量（项）"),
            [*_items(data.rules_by_decision), ("合计", rules)],
        )


def _shortcomings(data: ReportData) -> list[str]:
    found: list[str] = []
    if data.lagging:
        shown = data.lagging[:LAGGING_NAMED]
        units = "；".join(f"{line.name}（{line.reason}）" for line in shown)
        more = f"等{len(data.lagging)}个单位" if len(data.lagging) > len(shown) else ""
        found.append(f"部分单位工作滞后或问题较多，共{len(data.lagging)}个：{units}{more}。")
    rate = data.deliverables
    if rate.missing or rate.late:
        parts = [f"未报{rate.missing}份"] if rate.missing else []
        parts += [f"逾期报送{rate.late}份"] if rate.late else []
        text = f"材料报送不够及时，工作材料{'、'.join(parts)}"
        behind = [data.unit_name] if data.own_deliverables_missing else []
        behind += [child.name for child in data.children if child.deliverables.missing]
        text += f"，未报涉及{'、'.join(behind)}。" if behind else "。"
        found.append(text)
    if data.forms is not None and data.forms.missing:
        found.append(f"《报告表》尚有{data.forms.missing}份未报。")
    open_items = sum(data.rectification_by_status.values()) - _closed(data)
    if open_items:
        overdue = f"，其中逾期{data.rectification_overdue}项" if data.rectification_overdue else ""
        found.append(f"整改尚未全部到位，{open_items}项整改事项未完成{overdue}。")
    inspected = sum(line.problems for line in data.inspections)
    if inspected:
        found.append(f"检查组抽查发现问题{inspected}个。")
    return found


def _no_shortcomings(data: ReportData) -> str:
    return f"截至{_cn_date(data.as_of)}，未发现材料未报或逾期、整改未完成、工作滞后的情况。"


def _next_steps(data: ReportData) -> list[str]:
    steps: list[str] = []
    rate = data.deliverables
    missing = rate.missing + (data.forms.missing if data.forms else 0)
    if missing:
        own = data.own_deliverables_missing or data.own_forms_missing
        behind = [data.unit_name] if own else []
        behind += [
            child.name
            for child in data.children
            if child.deliverables.missing or (child.forms and child.forms.missing)
        ]
        who = "、".join(behind) if behind else "未报送单位"
        steps.append(f"督促{who}尽快补报未报的{missing}份材料。")
    if rate.pending:
        steps.append(f"按时完成尚未到期的{rate.pending}份工作材料的报送。")
    open_items = sum(data.rectification_by_status.values()) - _closed(data)
    if open_items:
        text = f"持续督促{open_items}项未完成的整改事项整改到位"
        if data.rectification_overdue:
            text += f"，对逾期的{data.rectification_overdue}项加强督办"
        steps.append(text + "。")
    awaiting = data.rectification_by_status.get(RectificationStatus.done.label, 0)
    if awaiting:
        steps.append(f"对已完成、待验收的{awaiting}项整改事项及时组织验收。")
    if data.lagging:
        names = "、".join(line.name for line in data.lagging[:LAGGING_NAMED])
        more = f"等{len(data.lagging)}个单位" if len(data.lagging) > LAGGING_NAMED else ""
        steps.append(f"对{names}{more}加强督导，跟踪其问题整改和工作进度。")
    if data.cases_by_outcome.get(_CASE_OPEN):
        steps.append(f"加快核查尚在核实中的{data.cases_by_outcome[_CASE_OPEN]}件问题线索。")
    if data.rules_by_decision.get(_RULE_UNDECIDED):
        steps.append(
            f"对{data.rules_by_decision[_RULE_UNDECIDED]}项待定的规章制度尽快作出清理决定。"
        )
    return steps


def _enumerate(body: _Body, items: list[str], otherwise: str) -> None:
    if not items:
        body.para(otherwise)
    for index, text in enumerate(items):
        body.para(f"{_numeral(index + 1)}是{text}" if len(items) > 1 else text)


def _closed(data: ReportData) -> int:
    return sum(data.rectification_by_status.get(label, 0) for label in _CLOSED)


def _items(counts: dict[str, int]) -> list[tuple[str, int]]:
    return [(label, n) for label, n in counts.items() if n]


def _counts(counts: dict[str, int], unit: str) -> str:
    return "、".join(f"{label}{n}{unit}" for label, n in _items(counts))


def _numeral(n: int) -> str:
    if n <= 10:
        return _NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return f"{_NUMERALS[tens - 1] if tens > 1 else ''}十{_NUMERALS[ones - 1] if ones else ''}"


def _cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


# ---------------------------------------------------------------------------------------------
# Markdown


def render_markdown(
    data: ReportData, charts: ReportCharts | None = None, *, image_root: Path | None = None
) -> str:
    """The report as Markdown; charts are linked relative to ``image_root`` (the file's folder).

    Without ``image_root`` a chart is linked as ``<its folder>/<its file>``, which is right for a
    Markdown file written beside its ``<stem>_charts/`` folder, as ``write_report`` does.
    """
    lines = [document_number(data), "", f"# {_md_escape(report_title(data))}", ""]
    if data.parent_name:
        lines += [f"{_md_escape(data.parent_name)}：", ""]
    for block in _compose(data, charts):
        lines += _markdown_block(block, image_root)
        lines.append("")
    pad = "　" * 16
    lines += ["", f"{pad}{_md_escape(data.unit_name)}", "", f"{pad}{_cn_date(data.as_of)}", ""]
    return "\n".join(lines)


def _markdown_block(block: _Block, image_root: Path | None) -> list[str]:
    match block:
        case _Heading(text, level):
            return [f"{'#' * (level + 1)} {text}"]
        case _Para(text):
            return [_md_escape(text)]
        case _Quote(lines):
            return [line for text in lines for line in (f"> {_md_escape(text)}", ">")][:-1]
        case _Table(caption, header, rows):
            return [
                f"**{caption}**",
                "",
                _md_row(header),
                "|" + "|".join(_md_alignment(rows, len(header))) + "|",
                *(_md_row(row) for row in rows),
            ]
        case _Image(path, caption):
            return [f"![{caption}]({_image_link(path, image_root)})", "", f"*{caption}*"]
    raise TypeError(block)


def _md_alignment(rows: Sequence[Sequence[str]], columns: int) -> list[str]:
    """Figures right, words left, as a printed table sets them."""
    return [
        "---:" if rows and all(_FIGURE.fullmatch(row[column]) for row in rows) else ":---"
        for column in range(columns)
    ]


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(_md_escape(cell).replace("|", "\\|") for cell in cells) + " |"


def _md_escape(text: str) -> str:
    # Names and reasons are data: keep them from turning into emphasis, links or line breaks.
    for char in ("\\", "*", "_", "[", "]", "<", ">", "`"):
        text = text.replace(char, "\\" + char)
    text = " ".join(text.splitlines())
    return "\\" + text if text[:1] in ("#", "-", "+", "=", "|") else text


def _image_link(path: Path, image_root: Path | None) -> str:
    if image_root is None:
        relative = f"{path.parent.name}/{path.name}" if path.parent.name else path.name
    else:
        relative = Path(os.path.relpath(path, image_root)).as_posix()
    return relative.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


# ---------------------------------------------------------------------------------------------
# Word

_LATIN = "Times New Roman"
_TITLE_FONT = "方正小标宋简体"
_BODY_FONT = "仿宋"
_H1_FONT = "黑体"
_H2_FONT = "楷体"
_BODY_SIZE = Pt(16)  # 三号
_TABLE_SIZE = Pt(10.5)  # 五号
_LINE = Pt(29)  # 22 lines on the 225 mm type area
_INDENT = Pt(32)  # two characters of 三号
_PICTURE_WIDTH = Cm(15)
_TYPE_AREA = Mm(210 - 28 - 26)
_CELL_PADDING = 3.5  # cell margins and a little air, in half-width characters of 五号


def write_docx(data: ReportData, path: Path, charts: ReportCharts | None = None) -> Path:
    """Write the report as a Word document at ``path`` (atomically) and return ``path``."""
    document = _build_docx(data, charts)
    _write_atomically(path, lambda tmp: document.save(str(tmp)))
    return path


def _build_docx(data: ReportData, charts: ReportCharts | None) -> DocxDocument:
    document = Document()
    _page_setup(document)
    _styles(document)
    properties = document.core_properties
    properties.title = report_title(data)
    properties.author = data.unit_name
    properties.last_modified_by = data.unit_name
    properties.language = "zh-CN"
    properties.created = properties.modified = datetime.combine(data.as_of, time(), tzinfo=UTC)

    _plain(document, document_number(data), align=WD_ALIGN_PARAGRAPH.CENTER)
    _plain(document, "")
    title = _plain(document, report_title(data), align=WD_ALIGN_PARAGRAPH.CENTER)
    _font(title.runs[0]._r, _TITLE_FONT, Pt(22))
    title.paragraph_format.line_spacing = Pt(35)
    _plain(document, "")
    if data.parent_name:
        _plain(document, f"{data.parent_name}：")

    for block in _compose(data, charts):
        _docx_block(document, block)

    _plain(document, "")
    for line in (data.unit_name, _cn_date(data.as_of)):
        paragraph = _plain(document, line, align=WD_ALIGN_PARAGRAPH.RIGHT)
        paragraph.paragraph_format.right_indent = _INDENT * 2
    return document


def _page_setup(document: DocxDocument) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(22)  # the page number sits 7 mm below the type area
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("— ")
    page = OxmlElement("w:fldSimple")
    page.set(qn("w:instr"), "PAGE")
    number = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    number.append(text)
    page.append(number)
    footer._p.append(page)
    footer.add_run(" —")
    for run in footer._p.iter(qn("w:r")):
        _font(run, "宋体", Pt(14))


def _styles(document: DocxDocument) -> None:
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        r_pr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if r_pr is not None:
            _font_on(r_pr, _BODY_FONT)

    normal = document.styles["Normal"]
    assert isinstance(normal, ParagraphStyle)
    _font_on(normal.element.get_or_add_rPr(), _BODY_FONT, _BODY_SIZE)
    _line(normal.paragraph_format)
    normal.paragraph_format.widow_control = True

    for name, east_asia in (("Heading 1", _H1_FONT), ("Heading 2", _H2_FONT)):
        style = document.styles[name]
        assert isinstance(style, ParagraphStyle)
        _font_on(style.element.get_or_add_rPr(), east_asia, _BODY_SIZE)
        style.font.bold = False
        style.font.italic = False
        style.font.color.rgb = RGBColor(0, 0, 0)
        _line(style.paragraph_format)
        style.paragraph_format.first_line_indent = _INDENT
        style.paragraph_format.keep_with_next = True


def _line(paragraph_format: ParagraphFormat) -> None:
    paragraph_format.space_before = Pt(0)
    paragraph_format.space_after = Pt(0)
    paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    paragraph_format.line_spacing = _LINE


def _font_on(r_pr: CT_RPr, east_asia: str, size: Length | None = None) -> None:
    """Set the Latin and East Asian fonts of a run's or style's ``w:rPr``, dropping theme fonts.

    Word picks the font of a Chinese character from ``w:eastAsia`` and of a digit from
    ``w:ascii``; a theme attribute beside either would win over it.
    """
    fonts = r_pr.get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(attribute), _LATIN)
    fonts.set(qn("w:eastAsia"), east_asia)
    if size is not None:
        r_pr.get_or_add_sz().val = size
    language = r_pr.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        r_pr.insert_element_before(language, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    language.set(qn("w:val"), "en-US")
    language.set(qn("w:eastAsia"), "zh-CN")


def _font(run: CT_R, east_asia: str, size: Length | None = None) -> None:
    _font_on(run.get_or_add_rPr(), east_asia, size)


def _plain(
    document: DocxDocument, text: str, *, align: WD_ALIGN_PARAGRAPH | None = None
) -> Paragraph:
    paragraph = document.add_paragraph()
    if text:
        paragraph.add_run(text)
    paragraph.alignment = align
    return paragraph


def _docx_block(document: DocxDocument, block: _Block) -> None:
    match block:
        case _Heading(text, level):
            document.add_heading(text, level=level)
        case _Para(text):
            paragraph = _plain(document, text, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
            paragraph.paragraph_format.first_line_indent = _INDENT
        case _Quote(lines):
            for text in lines:
                paragraph = _plain(document, text, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
                paragraph.paragraph_format.first_line_indent = _INDENT
                _font(paragraph.runs[0]._r, _H2_FONT)
        case _Table():
            _docx_table(document, block)
        case _Image(path, caption):
            paragraph = document.add_paragraph()
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            # A fixed line height would crop the picture to one line.
            paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            paragraph.add_run().add_picture(str(path), width=_PICTURE_WIDTH)
            _caption(document, caption)


def _caption(document: DocxDocument, text: str) -> None:
    paragraph = _plain(document, text, align=WD_ALIGN_PARAGRAPH.CENTER)
    _font(paragraph.runs[0]._r, _H1_FONT, Pt(14))
    paragraph.paragraph_format.keep_with_next = True


def _docx_table(document: DocxDocument, block: _Table) -> None:
    _caption(document, block.caption)
    table = document.add_table(rows=1 + len(block.rows), cols=len(block.header))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = _column_widths(block)
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row_index, values in enumerate((block.header, *block.rows)):
        row = table.rows[row_index]
        if row_index == 0:
            # Repeat the header row on every page the table runs over.
            header = OxmlElement("w:tblHeader")
            row._tr.get_or_add_trPr().append(header)
        for column, value in enumerate(values):
            cell = row.cells[column]
            cell.width = widths[column]
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            paragraph = cell.paragraphs[0]
            paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            paragraph.alignment = (
                WD_ALIGN_PARAGRAPH.LEFT if column == 0 and row_index else WD_ALIGN_PARAGRAPH.CENTER
            )
            run = paragraph.add_run(value)
            _font(
                run._r,
                _H1_FONT if row_index == 0 else _BODY_FONT,
                _TABLE_SIZE,
            )
    _plain(document, "")


def _column_widths(block: _Table) -> list[Length]:
    """Share the type area among the columns by what they hold; a long header may wrap."""
    weights: list[float] = []
    for column, header in enumerate(block.header):
        cells = max((_text_width(row[column]) for row in block.rows), default=0)
        head = _text_width(header)
        text = max(cells, head if head <= 8 else max(8, (head + 1) // 2), 4)
        weights.append(text + _CELL_PADDING)
    total = sum(weights)
    return [Length(int(_TYPE_AREA * weight / total)) for weight in weights]


def _text_width(text: str) -> int:
    """Width in half-width character cells: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WFA" else 1 for char in text)


# ---------------------------------------------------------------------------------------------
# PDF


def convert_to_pdf(docx: Path, pdf: Path) -> Path:
    """Convert ``docx`` to ``pdf`` with headless LibreOffice; on failure no ``pdf`` is left."""
    office = _office()
    with tempfile.TemporaryDirectory(prefix="qinglian-pdf-") as tmp:
        folder = Path(tmp)
        source = folder / "in" / "report.docx"
        source.parent.mkdir()
        shutil.copyfile(docx, source)
        out = folder / "out"
        # A private profile: two conversions at once must not fight over ~/.config/libreoffice.
        profile = (folder / "profile").as_uri()
        command = [
            office,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--nolockcheck",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(source),
        ]
        fonts = folder / "fonts.conf"
        fonts.write_text(_FONTCONFIG, encoding="utf-8")
        output = _run(command, docx.name, env={**os.environ, "FONTCONFIG_FILE": str(fonts)})
        produced = out / "report.pdf"
        if not produced.is_file() or produced.read_bytes()[:5] != b"%PDF-":
            raise PdfConversionFailed(docx.name, output or "no PDF was produced")
        _write_atomically(pdf, lambda tmp: shutil.copyfile(produced, tmp))
    return pdf


def _aliases(families: Iterable[str], prefer: Iterable[str]) -> str:
    prefer_xml = "".join(f"<family>{family}</family>" for family in prefer)
    return "".join(
        f'<alias binding="strong"><family>{family}</family><prefer>{prefer_xml}</prefer></alias>'
        for family in families
    )


# Where the Word fonts of a Chinese office (仿宋, 黑体, 楷体, 小标宋) are missing, as on a Linux
# server, fontconfig would hand LibreOffice whatever covers Han first, often a Japanese face in
# a sans style. These aliases keep serif as serif and sans as sans, and prefer the SC faces.
_SERIF = ("Noto Serif CJK SC", "Source Han Serif SC", "AR PL UMing CN")
_FONTCONFIG = f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  {_aliases(("仿宋", "仿宋_GB2312", "FangSong", "FangSong_GB2312"), ("FangSong", *_SERIF))}
  {_aliases(("宋体", "SimSun", "方正小标宋简体", "方正小标宋_GBK"), ("SimSun", *_SERIF))}
  {_aliases(("楷体", "楷体_GB2312", "KaiTi", "KaiTi_GB2312"), ("KaiTi", "AR PL UKai CN", *_SERIF))}
  {_aliases(("黑体", "SimHei"), ("SimHei", "Noto Sans CJK SC", "Source Han Sans SC"))}
</fontconfig>
"""


def _office() -> str:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        raise LibreOfficeMissing()
    return office


def _run(command: list[str], name: str, env: dict[str, str]) -> str:
    # Its own session, so a timeout can stop soffice.bin too, not only the launcher script.
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env=env,
    )
    try:
        output, _ = process.communicate(timeout=PDF_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise PdfConversionFailed(name, f"timed out after {PDF_TIMEOUT_SECONDS} s") from None
    text = output.decode("utf-8", "replace").strip()
    if process.returncode:
        raise PdfConversionFailed(name, f"exit code {process.returncode}: {text[-500:]}")
    return text[-500:]


# ---------------------------------------------------------------------------------------------
# One entry point


def write_report(data: ReportData, path: Path, fmt: ReportFormat) -> Path:
    """Write the report to ``path`` as ``fmt``, charts beside it in ``<stem>_charts/``.

    The report file appears whole or not at all; a charts folder made by a failed call is
    removed again.
    """
    if fmt not in ("docx", "md", "pdf"):
        raise ReportError(f"不支持的报告格式：{fmt}", f"unsupported report format: {fmt}")
    if fmt == "pdf":
        _office()  # fail before drawing anything
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = path.parent / f"{path.stem}_charts"
    made_folder = not folder.exists()
    try:
        charts = render_charts(data, folder)
        if fmt == "md":
            text = render_markdown(data, charts, image_root=path.parent)
            _write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        elif fmt == "docx":
            write_docx(data, path, charts)
        else:
            with tempfile.TemporaryDirectory(prefix="qinglian-report-") as tmp:
                convert_to_pdf(write_docx(data, Path(tmp) / "report.docx", charts), path)
    except BaseException:
        if made_folder:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return path


def _write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(descriptor)
    temporary = Path(name)
    try:
        write(temporary)
        temporary.chmod(0o644)  # mkstemp's 0600 would keep the report from its readers
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
