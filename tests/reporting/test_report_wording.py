"""The report's wording (issue 15): what a campaign office reads must not embarrass it.

A unit never supervises itself; reminders are items and units, not messages; the burn-down keeps
what the inspection phase added apart; every findings table says the source; a long list of
units is grouped by parent with counts. Hand-built ``ReportData`` for the wording rules, and one
small campaign on SQLite and PostgreSQL for the figures behind them.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from models.enums import FindingSource, OutboxStatus
from models.outbox import OutboxItem, OutboxMessage
from models.rate import ReportingRate
from models.report import BurnDownPoint, ChildLine, LaggingLine, Reminders, ReportData
from qinglian.rectification.progress import rectification_for_finding
from qinglian.reporting.document.blocks import Para, Table
from qinglian.reporting.document.charts import render_charts
from qinglian.reporting.document.data import collect_report_data
from qinglian.reporting.document.markdown import render_markdown
from qinglian.reporting.document.sections import SECTIONS, compose
from tests.core.clean_fonts import draw_in_clean_fonts
from tests.reporting.test_summaries import AS_OF, build_busy

ROOT, ROOT_CODE = "卫生部", "MOH"
LOAD = "逾期事项 3 项，未整改问题 1 个"


def report(**fields: object) -> ReportData:
    """卫生部's report on a quiet day, with ``fields`` changed."""
    data = ReportData(
        campaign_title="集中开展落实防止利益冲突规定活动",
        unit_name=ROOT,
        unit_code=ROOT_CODE,
        as_of=date(2012, 12, 10),
        units=138,
        cadres=244,
    )
    return data.model_copy(update=fields)


def lagging(name: str, branch: str = "连云港市卫生局", branch_code: str = "LYG") -> LaggingLine:
    return LaggingLine(
        name=name,
        reason=LOAD,
        code=name,
        branch_code=branch_code,
        branch_name=branch,
        overdue_items=3,
        open_findings=1,
    )


def section(markdown: str, heading: str) -> str:
    start = markdown.index(f"## {heading}")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : end if end != -1 else len(markdown)]


def paragraphs(data: ReportData) -> list[str]:
    return [block.text for block in compose(data).blocks if isinstance(block, Para)]


def tables(data: ReportData) -> dict[str, Table]:
    blocks = compose(data).blocks
    return {b.caption.split("　", 1)[1]: b for b in blocks if isinstance(b, Table)}


# --- 1. a unit never supervises itself -------------------------------------------------------

OWN = LaggingLine(
    name=ROOT, reason="逾期事项 3 项，未整改问题 0 个", code=ROOT_CODE, overdue_items=3
)
SELF_CASES = [
    pytest.param(
        [OWN, lagging("海州区卫生局"), lagging("东海县人民医院")],
        [
            "部分下级单位工作滞后或问题较多，共2个：海州区卫生局（",
            "本级工作存在滞后，逾期事项3项。",
        ],
        ["对海州区卫生局、东海县人民医院加强督导", "本级抓紧办结逾期的3项事项。"],
        id="root-and-two-below",
    ),
    pytest.param(
        [OWN],
        ["本级工作存在滞后，逾期事项3项。"],
        ["本级抓紧办结逾期的3项事项。"],
        id="root-alone",
    ),
    pytest.param(
        [lagging("海州区卫生局")],
        ["部分下级单位工作滞后或问题较多，共1个：海州区卫生局（逾期事项 3 项，未整改问题 1 个）"],
        ["对海州区卫生局加强督导"],
        id="below-only",
    ),
]


@pytest.mark.parametrize(("lines", "shortcoming", "step"), SELF_CASES)
def test_the_reports_own_unit_is_never_among_the_units_it_supervises(
    lines: list[LaggingLine], shortcoming: list[str], step: list[str]
) -> None:
    markdown = render_markdown(report(lagging=lines))
    short, steps = section(markdown, SECTIONS[3]), section(markdown, SECTIONS[4])

    assert all(text in short for text in shortcoming), short
    assert all(text in steps for text in step), steps
    for text in paragraphs(report(lagging=lines)):
        for said in re.findall(r"(?:督促|对)[^。]*?(?:督导|补报)", text):
            assert ROOT not in said, said
    assert ("本级" in short) == (OWN in lines)


def test_the_root_missing_reports_is_its_own_sentence() -> None:
    children = [
        ChildLine(
            name=name,
            level_label="省",
            deliverables=ReportingRate(expected=10, on_time=8, missing=2),
            forms=ReportingRate(expected=10, on_time=9, missing=1),
        )
        for name in ("贵州省卫生厅", "江苏省卫生厅")
    ]
    data = report(
        deliverables=ReportingRate(expected=25, on_time=20, missing=5),
        forms=ReportingRate(expected=22, on_time=19, missing=3),
        own_deliverables_missing=1,
        own_forms_missing=1,
        children=children,
    )
    markdown = render_markdown(data)

    assert "工作材料未报5份，其中本级未报1份，未报涉及贵州省卫生厅、江苏省卫生厅。" in section(
        markdown, SECTIONS[3]
    )
    steps = section(markdown, SECTIONS[4])
    assert "本级尽快补报未报的2份材料。" in steps
    assert "督促贵州省卫生厅、江苏省卫生厅尽快补报未报的6份材料。" in steps
    assert "督促卫生部" not in markdown and "涉及卫生部" not in markdown


# --- 5. lists of more than ten units are grouped by parent, with counts ----------------------

LYG = [lagging(f"连云港{n}院") for n in range(1, 7)]
NJ = [lagging(f"南京{n}院", "南京市卫生局", "NJ") for n in range(1, 6)]
GROUPING = [
    pytest.param(
        LYG[:5] + NJ,
        "：" + "；".join(f"{line.name}（{LOAD}）" for line in LYG[:5] + NJ),
        id="ten-plainly",
    ),
    pytest.param(
        LYG + NJ,
        "，分布如下：连云港市卫生局（6个）：连云港1院、连云港2院、连云港3院、连云港4院、"
        "连云港5院、连云港6院；南京市卫生局（5个）：南京1院、南京2院、南京3院、南京4院、南京5院。",
        id="eleven-under-two-parents",
    ),
    pytest.param(
        LYG + [lagging(f"连云港{n}院") for n in range(7, 12)],
        "，分布如下：连云港市卫生局（11个）：连云港1院、",
        id="eleven-under-one-parent",
    ),
    pytest.param(
        [lagging(name, "江苏省卫生厅", "JS") for name in ("江苏省卫生厅", "连云港1院", "南京1院")]
        + [lagging(f"包头{n}院", "内蒙古自治区卫生厅", "NM") for n in range(1, 9)],
        "，分布如下：江苏省卫生厅（3个）：江苏省卫生厅、连云港1院、南京1院；"
        "内蒙古自治区卫生厅（8个）：包头1院、",
        id="a-child-with-the-units-under-it",
    ),
    pytest.param(
        [lagging(f"{n}省卫生厅", ROOT, ROOT_CODE) for n in range(1, 12)],
        "，分布如下：直属单位（11个）：1省卫生厅、",
        id="eleven-of-its-own-children",
    ),
    pytest.param(
        [lagging(f"连云港{n}院") for n in range(20)]
        + [lagging(f"南京{n}院", "南京市卫生局", "NJ") for n in range(21)],
        "，分布如下：连云港市卫生局20个、南京市卫生局21个。",
        id="past-forty-counts-only",
    ),
]


@pytest.mark.parametrize(("lines", "listed"), GROUPING)
def test_more_than_ten_units_are_grouped_by_parent(lines: list[LaggingLine], listed: str) -> None:
    markdown = render_markdown(report(lagging=lines))

    shortcomings = section(markdown, SECTIONS[3])
    assert f"共{len(lines)}个{listed}" in shortcomings
    steps = section(markdown, SECTIONS[4])
    if len(lines) > 10:
        assert "（逾期事项" not in shortcomings  # grouped names without their reasons
        assert f"对工作滞后的{len(lines)}个下级单位加强督导，跟踪其问题整改和工作进度：" in steps
    else:
        assert "对连云港1院、连云港2院" in steps and "（" not in steps.split("对", 1)[1]


def test_eleven_children_behind_are_grouped_as_its_own() -> None:
    children = [
        ChildLine(
            name=f"{n}省卫生厅",
            level_label="省",
            deliverables=ReportingRate(expected=3, on_time=2, missing=1),
        )
        for n in range(1, 12)
    ]
    data = report(
        deliverables=ReportingRate(expected=33, on_time=22, missing=11), children=children
    )
    steps = section(render_markdown(data), SECTIONS[4])

    assert "督促以下单位尽快补报未报的11份材料：直属单位（11个）：1省卫生厅、2省卫生厅" in steps


# --- 2. reminders are items and units, not messages ------------------------------------------


def test_reminders_are_counted_as_items_and_units() -> None:
    data = report(
        rectification_by_status={"整改中": 3, "已验收": 2},
        reminders=Reminders(
            items=39, units=13, by_kind={"材料报送": 30, "整改事项": 9}, messages=51
        ),
    )
    markdown = render_markdown(data)

    assert (
        "按督办程序对逾期的39项事项（材料报送30项、整改事项9项）、涉及13个单位逐级发出催办，"
        "共发送督办通知51条。" in section(markdown, SECTIONS[1])
    )
    assert "对逾期的9项整改事项，已按督办程序发出催办。" in section(markdown, SECTIONS[2])
    assert not re.search(r"催办\d+次", markdown)
    assert "逐级督办" not in render_markdown(report())  # nothing reminded, nothing said


# --- 3. the burn-down keeps the inspection's items apart -------------------------------------

START = date(2012, 8, 31)
# Own items rise to 20 and fall to 3; the inspection adds 23 in December, 2 of them done.
OWN_OPEN = [18, 20, 16, 12, 8, 5, 3, 3]
INSPECTION = [(0, 0)] * 6 + [(23, 23), (23, 21)]
BURN_DOWN = [
    BurnDownPoint(
        day=START + timedelta(days=14 * week),
        open_items=own + still_open,
        inspection_open=still_open,
        inspection_found=found,
    )
    for week, (own, (found, still_open)) in enumerate(zip(OWN_OPEN, INSPECTION, strict=True))
]


@pytest.mark.parametrize(
    ("points", "said"),
    [
        pytest.param(
            BURN_DOWN,
            "自查自纠、信访举报和制度清理发现问题的未完成整改事项由2012年9月14日的20项"
            "降至2012年12月7日的3项；检查组抽查发现问题新增整改事项23项，已完成2项，"
            "尚有21项未完成。两者合计未完成24项。",
            id="with-inspection",
        ),
        pytest.param(
            BURN_DOWN[:6],
            "未完成整改事项由2012年8月31日的18项降至2012年11月9日的5项。",
            id="without-inspection",
        ),
    ],
)
def test_the_burn_down_tells_inspection_findings_apart(
    points: list[BurnDownPoint], said: str
) -> None:
    data = report(rectification_by_status={"整改中": 24}, burn_down=points)

    assert said in section(render_markdown(data), SECTIONS[2])


# --- 4. every findings table says the source -------------------------------------------------


def test_the_findings_table_has_a_column_per_source() -> None:
    data = report(
        findings_by_category={"应回避未回避": 8, "弄虚作假、隐瞒不报": 11},
        findings_by_source={"个人报告自查": 9, "信访举报": 4, "检查组抽查": 6},
        findings_by_category_source={
            "应回避未回避": {"个人报告自查": 5, "检查组抽查": 3},
            "弄虚作假、隐瞒不报": {"个人报告自查": 4, "信访举报": 4, "检查组抽查": 3},
        },
        cases_by_outcome={"属实": 1, "不属实": 3},
    )
    found = tables(data)

    table = found["发现问题分类统计（按来源）"]
    assert table.header == (
        "问题类别", "个人报告自查", "信访举报", "检查组抽查", "合计（个）", "占比",
    )  # fmt: skip
    assert table.rows == (
        ("应回避未回避", "5", "0", "3", "8", "42.1%"),
        ("弄虚作假、隐瞒不报", "4", "4", "3", "11", "57.9%"),
        ("合计", "9", "4", "6", "19", "100.0%"),
    )
    assert "发现问题来源统计" not in found  # the columns say it already
    assert found["信访举报问题线索核查结果"].rows[-1] == ("合计", "4")
    assert "信访举报问题线索核查4件" in section(render_markdown(data), SECTIONS[2])
    assert not any("自查" in caption for caption in found)  # no table titled 自查 at all


def test_the_charts_split_by_source_draw_chinese_without_any_system_font(tmp_path: Path) -> None:
    """The burn-down's two series and the findings' sources, legends included, in Noto Sans SC
    where no other font is visible."""
    report_ = draw_in_clean_fonts(
        f"""
        from pathlib import Path
        from qinglian.reporting.document.charts import render_charts
        from tests.reporting.test_report_wording import split_data

        def draw():
            charts = render_charts(split_data(), Path({str(tmp_path / "charts")!r}))
            assert charts.burn_down and charts.findings_by_category, charts
            return charts.burn_down.read_bytes()
        """,
        tmp_path,
    )
    assert report_["foreign"] == [] and report_["fallbacks"] == []
    assert bytes.fromhex(report_["signature"]) == b"\x89PNG\r\n\x1a\n"


def split_data() -> ReportData:
    """Findings of several sources and a burn-down with the inspection's series."""
    return report(
        findings_by_category={"应回避未回避": 8, "弄虚作假、隐瞒不报": 11},
        findings_by_category_source={
            "应回避未回避": {"个人报告自查": 5, "检查组抽查": 3},
            "弄虚作假、隐瞒不报": {"个人报告自查": 4, "信访举报": 4, "制度清理": 3},
        },
        burn_down=BURN_DOWN,
    )


def test_the_split_charts_are_drawn(tmp_path: Path) -> None:
    charts = render_charts(split_data(), tmp_path)
    assert charts.burn_down and charts.burn_down.stat().st_size > 5_000
    assert charts.findings_by_category and charts.findings_by_category.stat().st_size > 5_000


# --- the figures behind the words, from a small campaign -------------------------------------


def _message(session: Session, campaign_id: int, n: int, day: date, status: OutboxStatus) -> int:
    message = OutboxMessage(
        campaign_id=campaign_id,
        target=f"t{n}",
        key=f"{n:064d}",
        idempotency_key=f"{n:064d}",
        sweep_on=day,
        title="督办",
        body="督办",
        status=status,
    )
    session.add(message)
    session.flush()
    assert message.id is not None
    return message.id


def test_the_report_data_counts_reminders_burn_down_and_sources(session: Session) -> None:
    busy = build_busy(session)
    world, campaign_id = busy.world, busy.world.campaign_id
    a, c = (
        rectification_for_finding(
            session=session, campaign_id=campaign_id, finding_id=busy.findings[key]
        ).id
        for key in ("A", "C")
    )
    # (sweep day, message status, [(item key, step, unit code, deadline)]) as a sweep writes them.
    sent = OutboxStatus.sent
    sweeps = [
        (date(2012, 9, 7), sent, [(f"r:{a}@2012-09-10", "before", "FB", date(2012, 9, 10))]),
        (date(2012, 9, 10), sent, [(f"r:{a}@2012-09-10", "due", "FB", date(2012, 9, 10))]),
        (date(2012, 9, 11), sent, [
            (f"r:{a}@2012-09-10", "overdue", "FB", date(2012, 9, 10)),
            ("d:901@2012-09-05", "overdue", "RM", date(2012, 9, 5)),
        ]),
        # C was due 9-01 at first, then extended to 9-15: one item under two keys.
        (date(2012, 9, 2), sent, [(f"r:{c}@2012-09-01", "overdue", "FB-CK", date(2012, 9, 1))]),
        (date(2012, 9, 16), sent, [(f"r:{c}@2012-09-15", "overdue", "FB-CK", date(2012, 9, 15))]),
        (date(2012, 9, 17), sent, [(f"r:{a}@2012-09-10", "parent", "FB", date(2012, 9, 10))]),
        (date(2012, 9, 12), sent, [("d:902@2012-09-05", "overdue", "ZJ", date(2012, 9, 5))]),
        # After the report's day, and a digest given up: neither reminded anyone by then.
        (date(2012, 9, 25), sent, [("d:903@2012-09-05", "parent", "HZ", date(2012, 9, 5))]),
        (date(2012, 9, 18), OutboxStatus.given_up,
         [("rr:1@2012-09-10", "overdue", "RM", date(2012, 9, 10))]),
    ]  # fmt: skip
    for n, (day, status, rows) in enumerate(sweeps):
        message_id = _message(session, campaign_id, n, day, status=status)
        for item_key, step, code, deadline in rows:
            session.add(
                OutboxItem(
                    campaign_id=campaign_id,
                    message_id=message_id,
                    target=f"t{n}",
                    item_key=item_key,
                    step=step,
                    unit_id=world.id(code),
                    deadline=deadline,
                )
            )
    session.commit()

    root = collect_report_data(
        session=session, campaign_id=campaign_id, unit_code="MOH", as_of=AS_OF
    )
    province = collect_report_data(
        session=session, campaign_id=campaign_id, unit_code="JS", as_of=AS_OF
    )

    assert root.reminders == Reminders(
        items=4, units=4, by_kind={"材料报送": 2, "整改事项": 2}, messages=5
    )
    assert province.reminders == Reminders(
        items=3, units=3, by_kind={"材料报送": 1, "整改事项": 2}, messages=4
    )
    # A (self-declared) open 8-20 … 9-15; C (inspection) open since 9-05.
    last = root.burn_down[-1]
    assert (last.day, last.open_items, last.inspection_open, last.inspection_found) == (
        AS_OF, 1, 1, 1,
    )  # fmt: skip
    assert max(point.own_open for point in root.burn_down) == 1
    assert root.findings_by_category_source == {
        "亲属在管辖范围内从事药品、医疗器械销售等营利性活动": {"个人报告自查": 1},
        "兼任管辖范围内医疗卫生单位领导职务": {"个人报告自查": 1},
        "未经批准兼职或兼职领取报酬": {"检查组抽查": 1},
        "应回避未回避": {"制度清理": 1},
        "弄虚作假、隐瞒不报": {"信访举报": 1},
    }
    assert sum(province.findings_by_source.values()) == 4  # 杭州's is 浙江's
    rm = next(line for line in root.lagging if line.code == "RM")
    assert (rm.branch_code, rm.branch_name) == ("JS", "江苏省卫生厅")  # 卫生部's child above it
    assert next(line for line in province.lagging if line.code == "RM").branch_code == "LYG"
    assert rm.overdue_items >= 3

    markdown = render_markdown(root)
    assert "按督办程序对逾期的4项事项（材料报送2项、整改事项2项）、涉及4个单位" in markdown
    assert "检查组抽查发现问题新增整改事项1项，尚有1项未完成" in markdown
    assert "| 合计 | 2 | 1 | 1 | 1 | 5 | 100.0% |" in markdown
    assert FindingSource.inspection.value not in markdown
