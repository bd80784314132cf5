"""Write the written comprehensive report (书面综合情况报告) to one file: Markdown, Word or PDF.

The text is composed once (``sections``) and laid out as Markdown (``markdown``) or Word
(``word``, after GB/T 9704); PDF is the Word file converted by LibreOffice (``pdf``).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Literal

from models.report import ReportData
from qinglian.exchange.output import file_under
from qinglian.reporting.document.charts import render_charts
from qinglian.reporting.document.markdown import render_markdown
from qinglian.reporting.document.output import ReportError, write_atomically
from qinglian.reporting.document.pdf import convert_to_pdf, find_office
from qinglian.reporting.document.word import write_docx

ReportFormat = Literal["docx", "md", "pdf"]


def write_report(data: ReportData, path: Path, fmt: ReportFormat) -> Path:
    """Write the report to ``path`` as ``fmt``, charts beside it in ``<stem>_charts/``.

    The report file appears whole or not at all; a charts folder made by a failed call is
    removed again.
    """
    if fmt not in ("docx", "md", "pdf"):
        raise ReportError(f"不支持的报告格式：{fmt}", f"unsupported report format: {fmt}")
    if fmt == "pdf":
        find_office()  # fail before drawing anything
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = file_under(path.parent, f"{path.stem}_charts")
    made_folder = not folder.exists()
    try:
        charts = render_charts(data, folder)
        if fmt == "md":
            text = render_markdown(data, charts, image_root=path.parent)
            write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
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
