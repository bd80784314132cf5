"""The report's charts as PNG files, drawn with matplotlib's object API (no pyplot state).

Three charts: the reporting rate of each child unit, findings by category (a bar segment per
source), and the rectification burn-down (the inspection phase's items stacked apart on the
units' own, 自查自纠等 / 检查发现). A chart with nothing to show is skipped (its path is ``None``), so the
report never carries an empty axis. Labels are Chinese, drawn in the font the project ships
(Noto Sans SC, :mod:`qinglian.core.fonts`): no system font is needed, and no glyph falls back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import BarContainer
from matplotlib.dates import AutoDateLocator, DateFormatter
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, PercentFormatter

from models.report import ReportData
from models.summary import SOURCE_LABELS
from qinglian.core.fonts import cjk_family

DPI = 150
REPORTING_RATE_PNG = "reporting_rate.png"
FINDINGS_PNG = "findings_by_category.png"
BURN_DOWN_PNG = "rectification_burn_down.png"

# Latin letters and digits the shipped face lacks (none today) fall back to matplotlib's own.
_FALLBACK_FAMILY = "DejaVu Sans"

_BAR = "#2f5597"
_LAGGING = "#c00000"
_LINE = "#c00000"
_OWN = "#2f5597"
_INSPECTION = "#ed7d31"
# Findings by source, in the vocabulary's order: 自查, 信访举报, 检查, 制度清理.
_SOURCE_RANK = {label: rank for rank, label in enumerate(SOURCE_LABELS.values())}
# Each source keeps its colour in every chart: 检查 is the burn-down's inspection orange.
_SOURCE_COLORS = (_OWN, "#70ad47", _INSPECTION, "#7f7f7f")
BURN_DOWN_OWN = "自查自纠等"
BURN_DOWN_INSPECTION = "检查发现"


@dataclass(frozen=True, slots=True)
class ReportCharts:
    """Where each chart was written; ``None`` for a chart skipped for lack of data."""

    reporting_rate: Path | None = None
    findings_by_category: Path | None = None
    burn_down: Path | None = None

    def drawn(self) -> list[Path]:
        return [p for p in (self.reporting_rate, self.findings_by_category, self.burn_down) if p]


def format_percent(rate: float) -> str:
    """A rate in 0..1 as the report prints it: ``0.952 → "95.2%"``."""
    return f"{rate * 100:.1f}%"


def cjk_font_family() -> str:
    """The CJK font family the charts use: the shipped one, registered with matplotlib."""
    return cjk_family()


def render_charts(data: ReportData, folder: Path) -> ReportCharts:
    """Draw the report's charts into ``folder``; charts without data are skipped and removed."""
    families = _families()
    charts = ReportCharts(
        reporting_rate=_render(folder / REPORTING_RATE_PNG, _draw_reporting_rate, data, families),
        findings_by_category=_render(folder / FINDINGS_PNG, _draw_findings, data, families),
        burn_down=_render(folder / BURN_DOWN_PNG, _draw_burn_down, data, families),
    )
    if not charts.drawn() and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
    return charts


def _families() -> list[str]:
    return [cjk_font_family(), _FALLBACK_FAMILY]


_Draw = Callable[[Figure, ReportData, list[str]], bool]


def _render(path: Path, draw: _Draw, data: ReportData, families: list[str]) -> Path | None:
    figure = Figure(figsize=(6.4, 3.6), layout="constrained")
    FigureCanvasAgg(figure)
    if not draw(figure, data, families):
        # A stale chart from an earlier report must not be picked up as this one's.
        path.unlink(missing_ok=True)
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI, format="png")
    return path


def _font(families: list[str], size: float = 10) -> FontProperties:
    return FontProperties(family=families, size=size)


def _dress(ax: Axes, families: list[str], title: str, xlabel: str = "", ylabel: str = "") -> None:
    ax.set_title(title, fontproperties=_font(families, 12))
    if xlabel:
        ax.set_xlabel(xlabel, fontproperties=_font(families))
    if ylabel:
        ax.set_ylabel(ylabel, fontproperties=_font(families))
    ax.tick_params(labelfontfamily=families, labelsize=9)
    ax.spines[["top", "right"]].set_visible(False)


def _height(rows: int) -> float:
    return max(2.4, 0.42 * rows + 1.3)


def _barh(
    ax: Axes, labels: Sequence[str], values: Sequence[float], colors: Sequence[str]
) -> BarContainer:
    # Positions, not the labels themselves: two units with the same name must stay two bars.
    positions = list(range(len(labels)))
    bars = ax.barh(positions, values, color=colors, height=0.6)
    ax.set_yticks(positions, labels=list(labels))
    ax.invert_yaxis()
    return bars


def _draw_reporting_rate(figure: Figure, data: ReportData, families: list[str]) -> bool:
    # A unit with nothing due yet has a rate of 100% by convention; drawing it would flatter.
    children = [child for child in data.children if child.deliverables.due]
    if not children:
        return False
    figure.set_size_inches(6.4, _height(len(children)))
    ax = figure.add_subplot()
    rates = [child.deliverables.rate * 100 for child in children]
    colors = [_LAGGING if child.lagging else _BAR for child in children]
    bars = _barh(ax, [child.name for child in children], rates, colors)
    ax.bar_label(
        bars,
        labels=[format_percent(child.deliverables.rate) for child in children],
        padding=3,
        fontproperties=_font(families, 9),
    )
    ax.set_xlim(0, 115)
    ax.set_xticks([0, 20, 40, 60, 80, 100])
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
    _dress(ax, families, "各单位材料报送率", xlabel="报送率（已报÷应报已到期）")
    if any(child.lagging for child in children):
        figure.legend(
            handles=[Patch(color=_BAR, label="其他单位"), Patch(color=_LAGGING, label="滞后单位")],
            prop=_font(families, 9),
            loc="outside lower center",
            ncols=2,
            frameon=False,
        )
    return True


def _draw_findings(figure: Figure, data: ReportData, families: list[str]) -> bool:
    counts = {label: n for label, n in data.findings_by_category.items() if n}
    if not counts:
        return False
    figure.set_size_inches(6.4, _height(len(counts)))
    ax = figure.add_subplot()
    crossed = data.findings_by_category_source
    labels = list(counts)
    if crossed:
        _stacked_by_source(figure, ax, labels, crossed, families)
    else:
        bars = _barh(ax, labels, list(counts.values()), [_BAR] * len(counts))
        ax.bar_label(bars, padding=3, fontproperties=_font(families, 9))
    ax.set_xlim(0, max(counts.values()) * 1.15 + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    title = "发现问题分类统计（按来源）" if crossed else "发现问题分类统计"
    _dress(ax, families, title, xlabel="问题数（个）")
    return True


def _stacked_by_source(
    figure: Figure,
    ax: Axes,
    labels: list[str],
    crossed: dict[str, dict[str, int]],
    families: list[str],
) -> None:
    """One bar per category, a segment per source (自查, 信访举报, 检查, 制度清理)."""
    sources = list(dict.fromkeys(source for row in crossed.values() for source in row))
    sources.sort(key=lambda source: _SOURCE_RANK.get(source, len(_SOURCE_RANK)))
    positions = list(range(len(labels)))
    left = [0] * len(labels)
    handles = []
    for source in sources:
        widths = [crossed.get(label, {}).get(source, 0) for label in labels]
        color = _SOURCE_COLORS[_SOURCE_RANK.get(source, len(_SOURCE_RANK)) % len(_SOURCE_COLORS)]
        ax.barh(positions, widths, left=left, color=color, height=0.6)
        handles.append(Patch(color=color, label=source))
        left = [a + b for a, b in zip(left, widths, strict=True)]
    for position, total in zip(positions, left, strict=True):
        ax.annotate(
            str(total),
            (total, position),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontproperties=_font(families, 9),
        )
    ax.set_yticks(positions, labels=labels)
    ax.invert_yaxis()
    figure.legend(
        handles=handles,
        prop=_font(families, 9),
        loc="outside lower center",
        ncols=len(handles),
        frameon=False,
    )


def _draw_burn_down(figure: Figure, data: ReportData, families: list[str]) -> bool:
    """Open items over time; what the inspection phase added stacked on the units' own, so
    findings that arrive late do not read as a relapse."""
    points = sorted(data.burn_down, key=lambda point: point.day)
    if not points:
        return False
    ax = figure.add_subplot()
    days = [point.day for point in points]
    own = [point.own_open for point in points]
    inspection = [point.inspection_open for point in points]
    marker = "o" if len(points) <= 31 else None
    if any(point.inspection_found for point in points):
        ax.stackplot(days, own, inspection, colors=[_OWN, _INSPECTION], alpha=0.35, baseline="zero")
        # The total first: where nothing was added by inspection the own line covers it.
        totals = [a + b for a, b in zip(own, inspection, strict=True)]
        ax.plot(days, totals, color=_INSPECTION, marker=marker, markersize=3)
        ax.plot(days, own, color=_OWN, marker=marker, markersize=3)
        figure.legend(
            handles=[
                Patch(color=_OWN, alpha=0.6, label=BURN_DOWN_OWN),
                Patch(color=_INSPECTION, alpha=0.6, label=BURN_DOWN_INSPECTION),
            ],
            prop=_font(families, 9),
            loc="outside lower center",
            ncols=2,
            frameon=False,
        )
        top = max(totals)
    else:
        ax.plot(days, own, color=_LINE, marker=marker, markersize=3)
        ax.fill_between(days, own, color=_LINE, alpha=0.08)
        top = max(own)
    ax.set_ylim(0, max(top, 1) * 1.15)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_locator(AutoDateLocator(maxticks=8))
    same_year = days[0].year == days[-1].year
    ax.xaxis.set_major_formatter(DateFormatter("%m-%d" if same_year else "%Y-%m-%d"))
    xlabel = f"日期（{days[0].year}年）" if same_year else "日期"
    _dress(ax, families, "整改事项销号进度", xlabel=xlabel, ylabel="未完成整改事项（项）")
    return True
