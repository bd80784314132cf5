"""Write the written comprehensive report (书面综合情况报告) to one file: Markdown, Word or PDF.

The text is composed once (``sections``) and laid out as Markdown (``markdown``) or as a Word
公文 (``word``, in the frame of a GB/T 9704 template: ``frame``); PDF is the Word file converted
by LibreOffice (``pdf``).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Literal

from models.report import ReportData
from qinglian.core.settings import Settings, get_settings
from qinglian.exchange.output import file_under
from qinglian.reporting.document.charts import render_charts
from qinglian.reporting.document.frame import FrameOptions, check_template, document_frame
from qinglian.reporting.document.markdown import render_markdown
from qinglian.reporting.document.output import ReportError, write_atomically
from qinglian.reporting.document.pdf import convert_to_pdf, find_office
from qinglian.reporting.document.word import write_docx

ReportFormat = Literal["docx", "md", "pdf"]


def write_report(
    data: ReportData,
    path: Path,
    fmt: ReportFormat,
    options: FrameOptions | None = None,
    *,
    settings: Settings | None = None,
) -> Path:
    """Write the report to ``path`` as ``fmt``, charts beside it in ``<stem>_charts/``.

    Word and PDF are a 公文 in the settings' template (``QINGLIAN_REPORT_TEMPLATE``, else the
    built-in one), its 版头 and 版记 from the settings and ``options`` (``frame``). The report
    file appears whole or not at all; a charts folder made by a failed call is removed again.
    """
    if fmt not in ("docx", "md", "pdf"):
        raise ReportError(f"不支持的报告格式：{fmt}", f"unsupported report format: {fmt}")
    settings = settings or get_settings()
    template = frame = None
    if fmt != "md":
        # Fail before drawing anything: a template without its fields, or no LibreOffice.
        template = check_template(settings.report_template)
        frame = document_frame(data, settings, options)
    if fmt == "pdf":
        find_office()
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = file_under(path.parent, f"{path.stem}_charts")
    made_folder = not folder.exists()
    try:
        charts = render_charts(data, folder)
        if fmt == "md":
            text = render_markdown(data, charts, image_root=path.parent)
            write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
        elif fmt == "docx":
            write_docx(data, path, charts, frame=frame, template=template)
        else:
            with tempfile.TemporaryDirectory(prefix="qinglian-report-") as tmp:
                docx = Path(tmp) / "report.docx"
                write_docx(data, docx, charts, frame=frame, template=template)
                convert_to_pdf(docx, path)
    except BaseException:
        if made_folder:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return path
