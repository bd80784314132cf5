"""The report's charts as PNG files, drawn with matplotlib's object API (no pyplot state).

Three charts: the reporting rate of each child unit, findings by category, and the
rectification burn-down. A chart with nothing to show is skipped (its path is ``None``), so the
report never carries an empty axis. Labels are Chinese, so a CJK font is looked up once; without
one the charts are still drawn (the Chinese shows as boxes) and a warning is logged once.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.container import BarContainer
from matplotlib.dates import AutoDateLocator, DateFormatter
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, PercentFormatter

from models.report import ReportData

_log = logging.getLogger(__name__)

DPI = 150
REPORTING_RATE_PNG = "reporting_rate.png"
FINDINGS_PNG = "findings_by_category.png"
BURN_DOWN_PNG = "rectification_burn_down.png"

# Simplified-Chinese faces first: the SC face draws 们/骨/直 the mainland way.
_CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
    "Noto Serif CJK SC",
    "SimSun",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Noto Sans CJK HK",
    "Noto Sans CJK KR",
)
# File-name fragments of CJK fonts, for a font cache built before the fonts were installed.
_CJK_FILE_HINTS = ("cjk", "sourcehan", "wqy", "simhei", "simsun", "msyh", "pingfang", "notosanssc")
_FALLBACK_FAMILY = "DejaVu Sans"

_BAR = "#2f5597"
_LAGGING = "#c00000"
_LINE = "#c00000"


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


def cjk_font_family() -> str | None:
    """The CJK font family the charts use, or ``None`` (warned about once) when there is none."""
    return _cjk_font_family()


@cache
def _cjk_font_family() -> str | None:
    family = _find_cjk_family()
    if family is None:
        _log.warning(
            "未找到中文字体，图表中的中文将无法正常显示（可安装 fonts-noto-cjk）/ "
            "no CJK font found: Chinese chart labels will not render (install fonts-noto-cjk)"
        )
    return family


def _find_cjk_family() -> str | None:
    family = _known_family()
    if family is not None:
        return family
    for path in font_manager.findSystemFonts():
        if any(hint in Path(path).name.lower() for hint in _CJK_FILE_HINTS):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
    return _known_family()


def _known_family() -> str | None:
    names = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((family for family in _CJK_FAMILIES if family in names), None)


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
    family = cjk_font_family()
    return [family, _FALLBACK_FAMILY] if family else [_FALLBACK_FAMILY]


_Draw = Callable[[Figure, ReportData, list[str]], bool]


def _render(path: Path, draw: _Draw, data: ReportData, families: list[str]) -> Path | None:
    figure = Figure(figsize=(6.4, 3.6), layout="constrained")
    FigureCanvasAgg(figure)
    with warnings.catch_warnings():
        # Without a CJK font every Chinese glyph would warn; that was logged once already.
        warnings.filterwarnings("ignore", message=r"Glyph .* missing from")
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
    bars = _barh(ax, list(counts), list(counts.values()), [_BAR] * len(counts))
    ax.bar_label(bars, padding=3, fontproperties=_font(families, 9))
    ax.set_xlim(0, max(counts.values()) * 1.15 + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _dress(ax, families, "发现问题分类统计", xlabel="问题数（个）")
    return True


def _draw_burn_down(figure: Figure, data: ReportData, families: list[str]) -> bool:
    points = sorted(data.burn_down, key=lambda point: point.day)
    if not points:
        return False
    ax = figure.add_subplot()
    days = [point.day for point in points]
    counts = [point.open_items for point in points]
    ax.plot(days, counts, color=_LINE, marker="o" if len(points) <= 31 else None, markersize=3)
    ax.fill_between(days, counts, color=_LINE, alpha=0.08)
    ax.set_ylim(0, max(max(counts), 1) * 1.15)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.xaxis.set_major_locator(AutoDateLocator(maxticks=8))
    same_year = days[0].year == days[-1].year
    ax.xaxis.set_major_formatter(DateFormatter("%m-%d" if same_year else "%Y-%m-%d"))
    xlabel = f"日期（{days[0].year}年）" if same_year else "日期"
    _dress(ax, families, "整改事项销号进度", xlabel=xlabel, ylabel="未完成整改事项（项）")
    return True
