"""Turn the Word report into PDF with headless LibreOffice, with Chinese fonts that fit."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from qinglian.reporting.document.output import ReportError, write_atomically

PDF_TIMEOUT_SECONDS = 120
# Every font embedded, the standard 14 too: the PDF prints alike where none is installed.
PDF_FILTER = 'pdf:writer_pdf_Export:{"EmbedStandardFonts":{"type":"boolean","value":"true"}}'


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


def convert_to_pdf(docx: Path, pdf: Path) -> Path:
    """Convert ``docx`` to ``pdf`` with headless LibreOffice; on failure no ``pdf`` is left."""
    office = find_office()
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
            PDF_FILTER,
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
        write_atomically(pdf, lambda tmp: shutil.copyfile(produced, tmp))
    return pdf


def find_office() -> str:
    """The LibreOffice executable; ``LibreOfficeMissing`` without one."""
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        raise LibreOfficeMissing()
    return office


def _aliases(families: Iterable[str], prefer: Iterable[str]) -> str:
    prefer_xml = "".join(f"<family>{family}</family>" for family in prefer)
    return "".join(
        f'<alias binding="strong"><family>{family}</family><prefer>{prefer_xml}</prefer></alias>'
        for family in families
    )


def _bold(families: Iterable[str], face: str) -> str:
    """``face`` in bold for ``families``: 小标宋 is a heavy Song, which Noto draws only in bold."""
    return "".join(
        f'<match target="pattern"><test name="family"><string>{family}</string></test>'
        f'<edit name="family" mode="assign" binding="strong"><string>{face}</string></edit>'
        '<edit name="weight" mode="assign" binding="strong"><const>bold</const></edit></match>'
        for family in families
    )


# Where the Word fonts of a Chinese office (仿宋, 黑体, 楷体, 小标宋) are missing, as on a Linux
# server, fontconfig would hand LibreOffice whatever covers Han first, often a Japanese face in
# a sans style. These aliases keep serif as serif and sans as sans, and prefer the SC faces.
_SERIF = ("Noto Serif CJK SC", "Source Han Serif SC", "AR PL UMing CN")
_TITLE = ("方正小标宋简体", "方正小标宋_GBK", "FZXiaoBiaoSong-B05S", "FZXiaoBiaoSong-B05")
_FONTCONFIG = f"""<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  {_aliases(("仿宋", "仿宋_GB2312", "FangSong", "FangSong_GB2312"), ("FangSong", *_SERIF))}
  {_aliases(("宋体", "SimSun"), ("SimSun", *_SERIF))}
  {_bold(_TITLE, _SERIF[0])}
  {_aliases(("楷体", "楷体_GB2312", "KaiTi", "KaiTi_GB2312"), ("KaiTi", "AR PL UKai CN", *_SERIF))}
  {_aliases(("黑体", "SimHei"), ("SimHei", "Noto Sans CJK SC", "Source Han Sans SC"))}
</fontconfig>
"""


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
