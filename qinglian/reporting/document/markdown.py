"""Lay the composed report out as Markdown, charts linked beside it."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from models.report import ReportData
from qinglian.reporting.document.blocks import Block, Heading, Image, Para, Quote, Table
from qinglian.reporting.document.charts import ReportCharts
from qinglian.reporting.document.sections import compose

_FIGURE = re.compile(r"[\d.,/%—-]*")
# Sixteen full-width spaces push the signature towards the right, as on the printed page.
_SIGNATURE_PAD = "　" * 16


def render_markdown(
    data: ReportData, charts: ReportCharts | None = None, *, image_root: Path | None = None
) -> str:
    """The report as Markdown; charts are linked relative to ``image_root`` (the file's folder).

    Without ``image_root`` a chart is linked as ``<its folder>/<its file>``, which is right for a
    Markdown file written beside its ``<stem>_charts/`` folder, as ``write_report`` does.
    """
    text = compose(data, charts)
    lines = [text.number, "", f"# {_md_escape(text.title)}", ""]
    if text.salutation:
        lines += [_md_escape(text.salutation), ""]
    for block in text.blocks:
        lines += _markdown_block(block, image_root)
        lines.append("")
    unit, day = text.signature
    lines += ["", f"{_SIGNATURE_PAD}{_md_escape(unit)}", "", f"{_SIGNATURE_PAD}{day}", ""]
    return "\n".join(lines)


def _markdown_block(block: Block, image_root: Path | None) -> list[str]:
    match block:
        case Heading(text, level):
            return [f"{'#' * (level + 1)} {text}"]
        case Para(text):
            return [_md_escape(text)]
        case Quote(lines):
            return [line for text in lines for line in (f"> {_md_escape(text)}", ">")][:-1]
        case Table(caption, header, rows):
            return [
                f"**{caption}**",
                "",
                _md_row(header),
                "|" + "|".join(_md_alignment(rows, len(header))) + "|",
                *(_md_row(row) for row in rows),
            ]
        case Image(path, caption):
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
