"""Complaints (信访举报) for the demo: as they reach a campaign office.

Some anonymous, one copied from a web page in traditional characters with pinyin glosses (as in
seed 001), some about conflicts the cadre did not declare, one about a declared one, one about a
cadre who never filed, one naming a homonym (ambiguous: goes to a person), and the same letter
arriving twice by two channels. The texts are invented and say nothing about real people.
"""

from __future__ import annotations

import base64
import os
from datetime import date
from pathlib import Path

from openpyxl import Workbook

from models.enums import BUSINESS_TYPE_LABELS, BusinessType
from qinglian.complaints.crypto import KEY_ENV, reset_keys
from qinglian.complaints.import_complaints import COMPLAINT_COLUMNS
from qinglian.declarations.columns import BASICS, RELATIVES, Section
from qinglian.demo.tree import DemoUnit

COMPLAINT_HEADERS = tuple(column.header for column in COMPLAINT_COLUMNS)


def use_demo_key(folder: Path) -> None:
    """A key for the demo's complaints, kept beside its data (never in the database or repo).

    A real office sets QINGLIAN_COMPLAINT_KEY (or a Prefect Secret block) itself; the demo
    keeps one key across runs so that re-running it recognises the complaints already stored.
    """
    if os.environ.get(KEY_ENV):
        return
    path = folder / "complaint.key"
    if not path.exists():
        path.write_bytes(base64.urlsafe_b64encode(os.urandom(32)))
        path.chmod(0o600)
    os.environ[KEY_ENV] = path.read_text().strip()
    reset_keys()


def demo_complaints(
    cadres: list[dict[str, object]],
    units: list[DemoUnit],
    forms: dict[Section, list[list[object]]],
) -> list[list[object]]:
    """The demo's complaints, aimed using the forms the demo cadres filed."""
    names = {unit.code: unit.name for unit in units}
    filed = {str(row[0]) for row in forms[BASICS]}
    declared = {str(row[0]) for row in forms[BASICS] if row[6] == "否"}
    pharma = BUSINESS_TYPE_LABELS[BusinessType.pharma_sales]
    relatives_in_pharma = {str(row[0]) for row in forms[RELATIVES] if row[5] == pharma}
    homonyms = {"王建国"}
    silent = [
        c
        for c in cadres
        if str(c["工号"]) in filed and str(c["工号"]) not in declared and c["姓名"] not in homonyms
    ]
    never = [c for c in cadres if str(c["工号"]) not in filed and c["姓名"] not in homonyms]
    open_about = [c for c in cadres if str(c["工号"]) in relatives_in_pharma]
    lyg = next(c for c in silent if str(c["单位编码"]).startswith("JS-LYG"))

    def about(cadre: dict[str, object]) -> tuple[object, object]:
        return cadre["姓名"], names[str(cadre["单位编码"])]

    accused = (
        about(silent[3]),
        (_traditional(str(lyg["姓名"])), "連雲港市衛(wèi)生局"),
        about(open_about[0]),
        about(never[0]),
        ("王建国", "包头市卫生局"),
        about(silent[7]),
        about(silent[7]),
    )
    return [
        [ref, channel, date(2012, 8, day), anonymous, *who, *letter]
        for ((ref, channel, day, anonymous), letter), who in zip(_ARRIVED, accused, strict=True)
    ]


# What each complaint says: category, content, complainant contact.
_RECUSAL = ("未回避", "反映其在设备采购评标中未回避。", "")
# Each as it arrived in August 2012 (reference, channel, day, anonymous) with what it says; the
# accused are chosen from the demo's cadres above.
_ARRIVED = (
    (
        ("XF-001", "举报电话", 14, "是"),
        ("亲属经商", "反映其配偶在本地经营药品批发，向其所在单位供货。", ""),
    ),
    (
        ("XF-002", "来信", 15, "否"),
        ("兼职取酬", "反映其在某學會兼職並領取報酬。", "来信人 电话 13800000000"),
    ),
    (("XF-003", "领导信箱", 16, "是"), ("亲属经商", "反映其配偶从事药品销售。", "")),
    (
        ("XF-004", "网上举报（民声通道）", 17, "是"),
        ("兼任领导", "反映其兼任辖区内医院领导职务。", ""),
    ),
    (
        ("XF-005", "来访", 20, "否"),
        ("亲属经商", "反映王建国院长的子女经营医疗器械。", "来访人 张某"),
    ),
    (("XF-006", "电子邮件", 21, "是"), _RECUSAL),
    (("XF-007", "来信", 22, "是"), _RECUSAL),  # the same letter again, by another channel
)


_T = str.maketrans(
    "连云港卫生局刘陈杨黄赵吴周孙马朱胡郭林罗郑梁谢宋唐许韩冯邓曹彭萧董袁潘蒋蔡魏吕卢姜钟谭陆汪贾韦邹熊邱闫龙贺顾龚钱严汤华丽军燕英杰兰芳伟敏静洁涛斌鹏飞宇浩晨琪涵欣萱远嘉怡俊",
    "連雲港衛生局劉陳楊黃趙吳周孫馬朱胡郭林羅鄭梁謝宋唐許韓馮鄧曹彭蕭董袁潘蔣蔡魏呂盧姜鐘譚陸汪賈韋鄒熊邱閆龍賀顧龔錢嚴湯華麗軍燕英傑蘭芳偉敏靜潔濤斌鵬飛宇浩晨琪涵欣萱遠嘉怡俊",
)


def _traditional(text: str) -> str:
    """The name as a web page in traditional characters would print it."""
    return text.translate(_T)


def write_complaints_xlsx(rows: list[list[object]], path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "信访举报"
    sheet.append(list(COMPLAINT_HEADERS))
    for row in rows:
        sheet.append(row)
    workbook.save(path)
