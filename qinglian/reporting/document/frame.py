"""The 公文 around the report (版头 and 版记), and the Word template that lays it out.

A 公文 (GB/T 9704-2012) has, around its body, a 红头 (发文机关标志), a 发文字号
``机关代字〔年〕号``, its 主送机关, a 落款 with the 成文日期, and a 版记 (抄送, 印发机关 and
印发日期). ``document_frame`` decides them from the report's unit, the settings and what the
user asked for; ``check_template`` makes sure a Word template (the built-in one, or an office's
own letterhead) has the fields the report fills, before anything is drawn or written.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from docx.opc.exceptions import PackageNotFoundError
from docxtpl import DocxTemplate
from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree

from models.report import ReportData
from qinglian.core.settings import Settings
from qinglian.reporting.document.output import ReportError
from qinglian.reporting.document.phrasing import cn_date

BUILT_IN_TEMPLATE = Path(__file__).parent / "templates" / "gongwen.docx"
DEFAULT_RECIPIENTS = "各有关单位"
# What changes from one report to the next: a template without one of these would print the
# same thing on every report. The rest an office may print as fixed text on its letterhead.
REQUIRED_FIELDS = ("title", "doc_number", "body", "date_cn")
OPTIONAL_FIELDS = ("issuer", "recipients", "signer", "cc", "printed_by", "printed_on")
FIELDS = (*REQUIRED_FIELDS, *OPTIONAL_FIELDS)

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_INLINE_BODY = re.compile(r"\{\{\s*body\s*\}\}")


@dataclass(frozen=True, slots=True)
class FrameOptions:
    """What the user gives for one report, over the settings and the unit."""

    issuer: str | None = None  # 发文机关
    code: str | None = None  # 机关代字
    number: int | None = None  # 发文顺序号; none: left blank for the registry to fill
    recipients: str | None = None  # 主送机关
    cc: str | None = None  # 抄送机关


@dataclass(frozen=True, slots=True)
class DocumentFrame:
    """The template's fields other than the title and the body, as they are printed."""

    issuer: str
    doc_number: str
    recipients: str
    signer: str
    date_cn: str
    printed_by: str
    printed_on: str
    cc: str = ""

    def fields(self) -> dict[str, str]:
        return asdict(self)


class TemplateRefused(ReportError):
    """A Word template the report cannot be written from; nothing was written."""


def document_frame(
    data: ReportData, settings: Settings, options: FrameOptions | None = None
) -> DocumentFrame:
    """The 版头 and 版记 of ``data``'s report.

    The report goes up (报告): a sub-unit's is sent to its parent and issued in its own name.
    The campaign root's report is issued by the office the settings name
    (``QINGLIAN_ISSUER_NAME``, ``_CODE``, ``_OFFICE``) and sent to ``QINGLIAN_REPORT_RECIPIENTS``
    (else 各有关单位). What the user gives (``options``) comes before both.
    """
    options = options or FrameOptions()
    # The settings are the office's own: they speak for the root's report only.
    root = data.parent_name is None
    issuer = options.issuer or (settings.issuer_name if root else None) or data.unit_name
    code = options.code or (settings.issuer_code if root else None) or issuer
    office = (settings.issuer_office if root and not options.issuer else None) or f"{issuer}办公室"
    recipients = (
        options.recipients
        or data.parent_name
        or (settings.report_recipients if root else None)
        or DEFAULT_RECIPIENTS
    )
    return DocumentFrame(
        issuer=issuer,
        doc_number=document_number(code, data.as_of.year, options.number),
        recipients=recipients.rstrip("：:"),
        signer=issuer,
        date_cn=cn_date(data.as_of),
        printed_by=office,
        printed_on=cn_date(data.as_of),
        cc=(options.cc or "").rstrip("。."),
    )


def template_env() -> SandboxedEnvironment:
    """Jinja for Word templates: values escaped for XML, and an office's template sandboxed
    (it is a file, not code: it may fill fields, never reach into Python)."""
    return SandboxedEnvironment(autoescape=True)


def document_number(code: str, year: int, number: int | None) -> str:
    """``卫办监察发〔2012〕12号``; without a number its place is left for the registry's pen."""
    return f"{code}〔{year}〕{number if number is not None else '　　'}号"


def check_template(path: Path | None) -> Path:
    """``path`` (or the built-in template) once it is a template the report can fill.

    Refused, naming the field: one without a required field, one with a field the report does
    not know (a misspelt ``{{ titel }}`` would print nothing), and one that puts ``body`` inside
    a line instead of in a paragraph of its own (``{{p body }}``).
    """
    path = path or BUILT_IN_TEMPLATE
    try:
        found = DocxTemplate(str(path)).get_undeclared_template_variables(template_env())
        inline = _inline_body(path)
    except TemplateError as exc:
        reason = exc.message or type(exc).__name__
        raise TemplateRefused(
            f"报告模板 {path.name} 的字段写法有误：{reason}",
            f"the report template {path.name} has a malformed field: {reason}",
        ) from None
    except (
        OSError,
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        etree.XMLSyntaxError,
        PackageNotFoundError,
    ):
        raise TemplateRefused(
            f"报告模板 {path.name} 不是可读的 Word 文件（.docx）",
            f"the report template {path.name} is not a readable Word file (.docx)",
        ) from None
    for field in REQUIRED_FIELDS:
        if field not in found:
            raise TemplateRefused(
                f"报告模板 {path.name} 缺少必需字段 {{{{ {field} }}}}",
                f"the report template {path.name} lacks the required field {{{{ {field} }}}}",
            )
    unknown = sorted(found - set(FIELDS))
    if unknown:
        raise TemplateRefused(
            f"报告模板 {path.name} 有未知字段 {{{{ {unknown[0]} }}}}（可用：{'、'.join(FIELDS)}）",
            f"the report template {path.name} has an unknown field {{{{ {unknown[0]} }}}} "
            f"(known: {', '.join(FIELDS)})",
        )
    if inline:
        raise TemplateRefused(
            f"报告模板 {path.name} 的正文字段须独占一段，写作 {{{{p body }}}}",
            f"the report template {path.name} must hold the body in a paragraph of its own, "
            "as {{p body }}",
        )
    return path


def _inline_body(path: Path) -> bool:
    """Whether ``body`` is written as an inline ``{{ body }}``: its paragraphs cannot go there."""
    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    for paragraph in root.iter(f"{_W}p"):
        text = "".join(node.text or "" for node in paragraph.iter(f"{_W}t"))
        if _INLINE_BODY.search(text):
            return True
    return False
