"""The text encodings a CSV may be in, decoded strictly; any other encoding is refused by name.

Offices export CSV from Excel and WPS in three encodings (``ACCEPTED``). A file in another one
often still decodes as GB18030, which gives a meaning to nearly every pair of bytes: a Big5
file reads as 硈冻翠カ矫ネЫ. So a file that is not UTF-8 is read as GB18030 only when the
detector (charset-normalizer) does not find it reads better as something else. A very short
file gives the detector little to go on: it is then read as GB18030 unless it is plainly
another script.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import CharsetMatch, CharsetMatches, from_bytes

from qinglian.core.errors import QinglianError


@dataclass(frozen=True, slots=True)
class Encoding:
    """An encoding offices save CSV in: the codec that reads it, and its names for users."""

    codec: str
    zh: str
    en: str


UTF8 = Encoding("utf-8-sig", "UTF-8（带或不带 BOM）", "UTF-8 (with or without a BOM)")
UTF16 = Encoding(
    "utf-16",
    "带 BOM 的 UTF-16（Excel 的「Unicode 文本」）",
    "UTF-16 with a BOM (Excel's Unicode text)",
)
GB18030 = Encoding(
    "gb18030",
    "GB18030（含 GBK、GB2312，WPS 和中文版 Excel 的默认导出）",
    "GB18030 (also GBK and GB2312, what WPS and a Chinese Excel export by default)",
)
# The only encodings a CSV is read in. A BOM decides between the first two.
ACCEPTED = (UTF8, UTF16, GB18030)

# What a refused file looks like to the detector, by the codec it names (the candidates).
_LOOKALIKES: dict[str, tuple[str, str]] = {
    "big5": ("Big5（繁体中文）编码", "Big5 (Traditional Chinese)"),
    "cp932": ("Shift-JIS（日文）编码", "Shift-JIS (Japanese)"),
    "euc_jp": ("EUC-JP（日文）编码", "EUC-JP (Japanese)"),
    "cp949": ("EUC-KR（韩文）编码", "EUC-KR (Korean)"),
    "utf_16_le": ("不带 BOM 的 UTF-16 编码", "UTF-16 without a BOM"),
    "utf_16_be": ("不带 BOM 的 UTF-16 编码", "UTF-16 without a BOM"),
    "utf_32": ("UTF-32 编码", "UTF-32"),
    "cp1252": ("Windows-1252（西欧文字）编码", "Windows-1252 (Western European)"),
    "cp1251": ("Windows-1251（西里尔文字）编码", "Windows-1251 (Cyrillic)"),
}
_CANDIDATES = ["utf_8", "gb18030", *_LOOKALIKES]
# The detector reads this much of a file: the header and the first rows tell the encoding.
_SAMPLE_BYTES = 256 * 1024
# Scripts a Chinese office's table does not hold but a misread Big5, Shift-JIS or EUC-KR file
# does: kana, bopomofo, hangul, Cyrillic, box drawing, CJK squared forms, private use, C1.
_FOREIGN = re.compile(
    "[\u0080-\u009f\u0400-\u04ff\u1100-\u11ff\u2500-\u257f\u3040-\u312f\u3130-\u318f"
    "\u31a0-\u31bf\u3200-\u33ff\uac00-\ud7af\ue000-\uf8ff\uff61-\uff9f]"
)
_HANZI = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A Chinese character inside a Latin word: how Western text (Müller) reads as GB18030 (M黮ler).
_GLUED = re.compile("[A-Za-z][\u3400-\u9fff][a-z]")
# Chaos (the detector's measure of how garbled a reading is, 0–1) a GB18030 reading may have
# beyond the best reading's, once a file is long enough for the detector to be sure.
_CHAOS_MARGIN = 0.1
_SURE_CHARACTERS = 100


def decode_csv(name: str, data: bytes) -> str:
    """The text of a CSV file in one of the ``ACCEPTED`` encodings; refused by name otherwise."""
    if data.startswith(codecs.BOM_UTF32_LE) or data.startswith(codecs.BOM_UTF32_BE):
        raise _refused(name, _LOOKALIKES["utf_32"])
    if data.startswith(codecs.BOM_UTF8):
        return _strictly(name, data, UTF8.codec, "UTF-8")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strictly(name, data, UTF16.codec, "UTF-16")
    if b"\x00" in data:  # UTF-16 without its BOM, or not text at all
        raise _refused(name, _looks_like(_detect(data), wide=True))
    try:
        return data.decode(UTF8.codec)
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode(GB18030.codec)
    except UnicodeDecodeError:
        raise _refused(name, _looks_like(_detect(data))) from None
    matches = _detect(data)
    if _reads_as_gb18030(text[:_SAMPLE_BYTES], matches):
        return text
    raise _refused(name, _looks_like(matches))


def _strictly(name: str, data: bytes, codec: str, label: str) -> str:
    """A file that starts with a BOM is in that encoding, or damaged."""
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        raise QinglianError(
            f"{name}: 不是可识别的表格文件：开头标明是 {label} 编码，但从第 {exc.start:,} 个字节起"
            f"不是有效的 {label}（文件可能已损坏）；{_RESAVE_ZH}",
            f"{name}: not a recognisable table: it is marked as {label} but is not valid"
            f" {label} from byte {exc.start:,} on (damaged?); {_RESAVE_EN}",
        ) from None


def _detect(data: bytes) -> CharsetMatches:
    sample = data[:_SAMPLE_BYTES]
    if len(data) > _SAMPLE_BYTES:
        # Cut at a line end so that no character is split.
        sample = sample[: sample.rfind(b"\n") + 1] or sample
    return from_bytes(sample, threshold=1.0, cp_isolation=_CANDIDATES)


def _reads_as_gb18030(text: str, matches: CharsetMatches) -> bool:
    best = matches.best()
    if best is None or best.encoding == "gb18030":
        return True
    if _FOREIGN.search(text) or _GLUED.search(text) or _mostly_rare(text):
        return False
    gb18030 = _match(matches, "gb18030")
    if gb18030 is None or len(text) < _SURE_CHARACTERS:
        return True
    return gb18030.chaos - best.chaos < _CHAOS_MARGIN


def _mostly_rare(text: str) -> bool:
    """Most of the Chinese characters lie outside GB2312's 6,763 common ones (Big5 or
    Shift-JIS read as GB18030 gives such rare characters; a real table has a few in names)."""
    hanzi = _HANZI.findall(text)
    rare = sum(1 for character in hanzi if not _in_gb2312(character))
    return rare >= 3 and rare * 2 >= len(hanzi)


def _in_gb2312(character: str) -> bool:
    try:
        character.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _match(matches: CharsetMatches, codec: str) -> CharsetMatch | None:
    return next((match for match in matches if match.encoding == codec), None)


def _looks_like(matches: CharsetMatches, *, wide: bool = False) -> tuple[str, str] | None:
    """The likeliest refused encoding; among nearly as good readings, the one listed first
    (Big5 before Japanese and Korean: a short Big5 file often reads as well in those).

    ``wide``: the file has NUL bytes, as UTF-16 and UTF-32 have for every ASCII character.
    """
    chaos = {
        match.encoding: match.chaos
        for match in matches
        if match.encoding in _LOOKALIKES and (wide or not match.encoding.startswith("utf"))
    }
    if not chaos:
        return None
    least = min(chaos.values())
    codec = next(codec for codec in _LOOKALIKES if chaos.get(codec, 2.0) <= least + _CHAOS_MARGIN)
    return _LOOKALIKES[codec]


_RESAVE_ZH = (
    "请在 Excel/WPS 中另存为「CSV UTF-8（逗号分隔）」或 .xlsx，或用记事本另存为 UTF-8"
    " 或 GB18030 编码后再导入"
)
_RESAVE_EN = (
    'save it again as "CSV UTF-8 (Comma delimited)" or .xlsx in Excel/WPS, or as UTF-8 or'
    " GB18030 in a text editor, and import that"
)


def _refused(name: str, looks_like: tuple[str, str] | None) -> QinglianError:
    if looks_like is None:
        zh_seen, en_seen = (
            "看起来不是文本（二进制数据或已损坏）",
            "it does not look like text (binary or damaged)",
        )
    else:
        zh_seen, en_seen = f"看起来是{looks_like[0]}", f"it looks like {looks_like[1]}"
    return QinglianError(
        f"{name}: 不是可识别的表格文件（既不是 .xlsx，也不是 UTF-8、UTF-16 或 GB18030 编码的"
        f" CSV），{zh_seen}；{_RESAVE_ZH}",
        f"{name}: not a recognisable table (neither .xlsx nor a UTF-8, UTF-16 or GB18030 CSV):"
        f" {en_seen}; {_RESAVE_EN}",
    )
