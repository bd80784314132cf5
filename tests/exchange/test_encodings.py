"""A CSV's encoding is detected, not guessed: the accepted ones are read, any other is refused
with its name, and the database is left as it was."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlmodel import select

from models.unit import Unit
from qinglian.core.errors import QinglianError
from qinglian.demo.tree import demo_units
from qinglian.exchange.encodings import ACCEPTED, decode_csv
from qinglian.exchange.reading import read_rows
from qinglian.exchange.table import ColumnSpec
from tests.factories import UNITS, Qinglian, assert_one_error

COLUMNS = (
    ColumnSpec("code", "单位编码", required=True),
    ColumnSpec("name", "单位名称", required=True),
)
SEEDS = [(row["单位编码"], row["单位名称"]) for row in UNITS]
# The seeds' units as the importer reads them (level and kind are the English codes).
UNIT_TABLE = "单位编码,单位名称,层级,类型,上级单位编码\r\n" + "".join(
    f"{row['单位编码']},{row['单位名称']},{row['层级']},{row['类型']},{row.get('上级单位编码', '')}"
    "\r\n"
    for row in UNITS
)
# A Traditional Chinese notice, as a Taiwanese or Hong Kong office would save it in Big5.
NOTICE = (
    "單位編碼,單位名稱,備註\r\n"
    "MOH,衛生部,衛生部關於進一步加強醫療衛生行風建設的意見\r\n"
    "JS-LYG-B5,連雲港市第一人民醫院,醫療機構從業人員行為規範\r\n"
)
JAPANESE = "単位コード,単位名称\r\nMHLW,厚生労働省\r\nTKY,東京都福祉保健局\r\n"
KOREAN = "\r\n".join(
    [
        "보건복지부는 의료기관의 윤리경영을 강화하기 위하여 다음과 같이 지침을 마련하였습니다.",
        "각 병원은 환자로부터 금품이나 선물을 받아서는 안 되며, 위반 시 징계 처분을 받게 됩니다.",
        "원장,김철수,서울대학교병원",
        "간호부장,이영희,국민건강보험공단 일산병원",
    ]
    * 3
)


def _table(rows: list[tuple[str, str]], delimiter: str = ",") -> str:
    return "".join(
        f"{code}{delimiter}{name}\r\n" for code, name in [("单位编码", "单位名称"), *rows]
    )


def test_the_accepted_encodings_are_listed_once() -> None:
    assert [encoding.codec for encoding in ACCEPTED] == ["utf-8-sig", "utf-16", "gb18030"]
    assert all(encoding.zh and encoding.en for encoding in ACCEPTED)


# --- accepted: read back exactly ------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "rows", "delimiter"),
    [
        ("utf-8", SEEDS, ","),
        ("utf-8-sig", SEEDS, ","),
        ("gb18030", SEEDS, ","),
        ("gbk", SEEDS, ","),
        ("gb2312", SEEDS, ","),
        # Excel's "Unicode text": UTF-16 with a BOM, tab separated.
        ("utf-16", SEEDS, "\t"),
        ("utf-16-be", SEEDS, "\t"),
        # Names outside GB2312 (喆, 堃) and outside GBK (䶮: four bytes in GB18030).
        ("gb18030", [("FB007", "王喆"), ("FB008", "李堃"), ("FB009", "刘䶮")], ","),
        # Short: a header and one row, which the detector alone would call Big5 or EUC-KR.
        ("gb18030", [("X1", "卫生部")], ","),
        ("gb18030", [("X1", "。")], ","),
    ],
)
def test_accepted_encodings_read_back_exactly(
    tmp_path: Path, encoding: str, rows: list[tuple[str, str]], delimiter: str
) -> None:
    path = tmp_path / "单位.csv"
    bom = "\ufeff" if encoding == "utf-16-be" else ""  # the codec writes none itself
    path.write_bytes((bom + _table(rows, delimiter)).encode(encoding))
    table = read_rows(path, COLUMNS)
    assert [(row["code"], row["name"]) for _, row in table.rows] == rows


def test_every_short_gbk_file_of_a_unit_name_is_read(tmp_path: Path) -> None:
    """A header and one row, for every unit of the seeds and the demo: GBK, as WPS saves it."""
    names = sorted({name for _, name in SEEDS} | {unit.name for unit in demo_units()})
    misread = {}
    for name in names:
        data = _table([("X1", name)]).encode("gbk")
        try:
            text = decode_csv("单位.csv", data)
        except QinglianError as refused:
            misread[name] = refused.en
            continue
        if name not in text:
            misread[name] = text
    assert misread == {}
    assert len(names) > 100


# --- refused: one bilingual line naming what the file looks like ----------------------------


@pytest.mark.parametrize(
    ("data", "zh", "en"),
    [
        (
            NOTICE.encode("big5"),
            "看起来是Big5（繁体中文）编码",
            "looks like Big5 (Traditional Chinese)",
        ),
        (
            "單位編碼,單位名稱\r\nX1,連雲港市婦幼保健院\r\n".encode("big5"),
            "Big5（繁体中文）",
            "Big5",
        ),
        (JAPANESE.encode("shift_jis"), "Shift-JIS（日文）", "Shift-JIS (Japanese)"),
        (KOREAN.encode("euc_kr"), "EUC-KR（韩文）", "EUC-KR (Korean)"),
        (
            "unit code,unit name\r\nX1,Hôpital Saint-Étienne\r\n".encode("cp1252"),
            "Windows-1252",
            "Western",
        ),
        (_table(SEEDS).encode("utf-16-le"), "不带 BOM 的 UTF-16", "UTF-16 without a BOM"),
        (_table(SEEDS).encode("utf-32"), "UTF-32", "UTF-32"),
        (random.Random(12).randbytes(4096), "看起来不是文本", "does not look like text"),
        (
            b"\xef\xbb\xbf" + "单位编码".encode() + b"\xff,x\r\n",
            "开头标明是 UTF-8",
            "marked as UTF-8",
        ),
    ],
    ids=[
        "big5",
        "big5-short",
        "shift-jis",
        "euc-kr",
        "cp1252",
        "utf-16-no-bom",
        "utf-32",
        "random",
        "utf-8-bom-damaged",
    ],
)
def test_other_encodings_are_refused_by_name(tmp_path: Path, data: bytes, zh: str, en: str) -> None:
    path = tmp_path / "单位.csv"
    path.write_bytes(data)
    with pytest.raises(QinglianError) as refused:
        read_rows(path, COLUMNS)
    assert refused.value.zh.startswith("单位.csv: 不是可识别的表格文件")
    assert zh in refused.value.zh and en in refused.value.en
    # The way out, in both languages.
    assert "UTF-8 或 GB18030" in refused.value.zh and "UTF-8 or GB18030" in refused.value.en
    assert "\n" not in str(refused.value)


# --- through the importer: nothing is stored from a refused file ----------------------------


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("utf-8", UNIT_TABLE),
        ("utf-8-sig", UNIT_TABLE),
        ("gb18030", UNIT_TABLE),
        ("utf-16", UNIT_TABLE.replace(",", "\t")),
    ],
)
def test_units_import_reads_every_accepted_encoding(
    cli: Qinglian, tmp_path: Path, encoding: str, text: str
) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes(text.encode(encoding))
    cli.ok("units", "import", path)
    with cli.session() as session:
        stored = {unit.code: unit.name for unit in session.exec(select(Unit))}
    assert stored == dict(SEEDS)


@pytest.mark.parametrize(
    ("encoding", "text", "named"),
    [
        ("big5", NOTICE, "Big5"),
        ("shift_jis", JAPANESE, "Shift-JIS"),
        (None, "", "binary"),
    ],
)
def test_units_import_refuses_other_encodings_and_stores_nothing(
    cli: Qinglian, tmp_path: Path, encoding: str | None, text: str, named: str
) -> None:
    cli.ok("db", "upgrade")
    cli.ok("units", "import", _write(tmp_path / "seeds.csv", UNIT_TABLE, "utf-8"))
    before = cli.counts()
    path = tmp_path / "units.csv"
    path.write_bytes(text.encode(encoding) if encoding else random.Random(3).randbytes(65536))
    line = assert_one_error(cli("units", "import", path))
    assert "units.csv: 不是可识别的表格文件" in line and named in line
    assert cli.counts() == before


def _write(path: Path, text: str, encoding: str) -> Path:
    path.write_bytes(text.encode(encoding))
    return path
