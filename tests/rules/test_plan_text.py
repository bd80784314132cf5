"""Plans read from their text (结合实际): each seed's own plan, each date form, and bad plans."""

from datetime import date
from functools import cache
from pathlib import Path

import pytest

from models.plan import ExtractedPlan, RelativeRule
from qinglian.campaigns.templates import get_template
from qinglian.core.errors import QinglianError
from qinglian.rules.plan_text import check_plan, extract_plan

SEEDS = Path(__file__).parent / "plan_seeds"
COI = "coi-2012"
D = date


@cache
def seed(name: str) -> str:
    """A seed's plan; seed 000 holds three 篇 (篇1 a township centre, 篇3 a hospital)."""
    number, _, part = name.partition("/")
    text = (SEEDS / f"{number}.txt").read_text(encoding="utf-8")
    if not part:
        return text
    start = text.index(f"{part}:")
    following = f"篇{int(part[1:]) + 1}:"
    return text[start : text.index(following)] if following in text else text[start:]


def extract(text: str, template: str = COI, year: int = 2012) -> ExtractedPlan:
    return extract_plan(text, template=get_template(template), year=year)


def phases(plan: ExtractedPlan) -> list[tuple[str, date | None, date | None]]:
    return [(phase.key, phase.start_on, phase.end_on) for phase in plan.phases]


def deadlines(plan: ExtractedPlan) -> list[tuple[str, date | None]]:
    return [(deadline.deliverable_key, deadline.due_on) for deadline in plan.deadlines]


def window(plan: ExtractedPlan) -> tuple[date | None, date | None] | None:
    return None if plan.window is None else (plan.window.start_on, plan.window.end_on)


SEED_PLANS = [
    pytest.param(
        "000/篇1", COI, 2012,
        None,
        [],
        [("comprehensive_report", D(2012, 12, 25))],
        ["Xx乡计卫服务中心 2012年8月10日"],
        id="000-篇1-township-centre",
    ),
    pytest.param(
        "000/篇3", COI, 2012,
        (D(2012, 7, 1), D(2012, 12, 31)),
        [
            ("mobilize", D(2012, 7, 16), D(2012, 8, 5)),
            ("find", D(2012, 8, 6), D(2012, 8, 31)),
            ("rectify", D(2012, 9, 1), D(2012, 11, 30)),
            ("summarize", None, D(2012, 12, 31)),
        ],
        [
            ("mobilization_meeting", D(2012, 8, 2)),
            ("forms_collected", D(2012, 8, 10)),
            ("comprehensive_report", D(2012, 12, 10)),
        ],
        [],
        id="000-篇3-hospital",
    ),
    pytest.param(
        "002", COI, 2012,
        (D(2012, 7, 1), D(2012, 12, 31)),
        [
            ("mobilize", D(2012, 7, 1), D(2012, 7, 31)),
            ("find", D(2012, 8, 1), D(2012, 9, 30)),
            ("rectify", D(2012, 10, 1), D(2012, 11, 30)),
            ("summarize", None, D(2012, 12, 31)),
        ],
        [("forms_collected", D(2012, 9, 30)), ("comprehensive_report", D(2012, 12, 25))],
        ["二○一二年十月八日"],
        id="002-连妇保",
    ),
    pytest.param(
        "003", "conduct-2007", 2007,
        (D(2007, 3, 20), D(2007, 12, 31)),
        [
            ("mobilize", None, None),
            ("study", None, None),
            ("find", None, None),
            ("rectify", None, None),
            ("commend", None, None),
        ],
        [],
        [],
        id="003-district-five-phases",
    ),
    pytest.param(
        "004", "conduct-2023", 2023,
        (D(2023, 1, 1), D(2023, 12, 31)),
        [("mobilize", None, None), ("self_check", None, None)],
        [("self_rectification", D(2023, 5, 31)), ("public_commitment", D(2023, 5, 31))],
        [
            "(-)学习动员阶段(XX月10日一XX月29日)",
            "于2023年XX月10日前报局办公室",
            "活动延伸到5月底",
            "(二)自查自纠和整改阶段(XX月1日一XX月31日)",
            "(1)查摆问题。(XX月1日一XX月1日)",
            "(1)明查暗访。(3月1日一11月31日)",
            "(2)接受投诉、举报。(3月1日一11月31日)",
            "3、着力提速提质提效。(3月1日一11月31日)",
        ],
        id="004-conduct-2023",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "template", "year", "expected_window", "expected_phases", "expected_deadlines",
     "expected_unplaced"),
    SEED_PLANS,
)  # fmt: skip
def test_each_seed_plan_extracts_to_its_own_calendar(
    name: str,
    template: str,
    year: int,
    expected_window: tuple[date | None, date | None] | None,
    expected_phases: list[tuple[str, date | None, date | None]],
    expected_deadlines: list[tuple[str, date]],
    expected_unplaced: list[str],
) -> None:
    plan = extract(seed(name), template, year)
    assert window(plan) == expected_window
    assert phases(plan) == expected_phases
    assert deadlines(plan) == expected_deadlines
    assert len(plan.unplaced) == len(expected_unplaced)
    for entry, fragment in zip(plan.unplaced, expected_unplaced, strict=True):
        assert fragment in entry.sentence
        assert entry.reason_zh and entry.reason_en
    assert plan.unknown_phases == []
    check_plan(plan)  # every seed's plan is one a unit can adopt


def test_an_illegible_or_impossible_date_says_why() -> None:
    unplaced = extract(seed("004"), "conduct-2023", 2023).unplaced
    reasons = {entry.sentence.split("。")[0]: entry.reason_zh for entry in unplaced}
    assert "隐去" in reasons["(-)学习动员阶段(XX月10日一XX月29日)"]
    assert reasons["(1)明查暗访"] == "日期「11月31日」不存在"


PHASE_FORMS = [
    ("（一）动员部署（2012年7月16日至8月5日）", ("mobilize", D(2012, 7, 16), D(2012, 8, 5))),
    ("（一）学习动员（7月20日—8月3日）", ("mobilize", D(2012, 7, 20), D(2012, 8, 3))),
    ("（二）查找问题（8月6日-8月31日）", ("find", D(2012, 8, 6), D(2012, 8, 31))),
    ("（二）自查自纠（8月6日-31日）", ("find", D(2012, 8, 6), D(2012, 8, 31))),
    ("（二）查找问题（2012年8月-9月）", ("find", D(2012, 8, 1), D(2012, 9, 30))),
    ("（一）思想发动（2012年7月）", ("mobilize", D(2012, 7, 1), D(2012, 7, 31))),
    ("（四）检查总结（2012年12月底以前）", ("summarize", None, D(2012, 12, 31))),
    ("（四）总结表彰（12月1日起）", ("summarize", D(2012, 12, 1), None)),
    ("（三）集中整改（9月上旬至11月下旬）", ("rectify", D(2012, 9, 1), D(2012, 11, 30))),
    ("第三阶段：整改纠正（2012/9/1至2012/11/30）", ("rectify", D(2012, 9, 1), D(2012, 11, 30))),
    ("整改提高阶段：9月1日至11月30日", ("rectify", D(2012, 9, 1), D(2012, 11, 30))),
    ("9月1日至11月30日为整改纠正阶段。", ("rectify", D(2012, 9, 1), D(2012, 11, 30))),
    ("动员部署\t7月16日至8月5日", ("mobilize", D(2012, 7, 16), D(2012, 8, 5))),
    ("（一）動員部署（2012年7月16日至8月5日）", ("mobilize", D(2012, 7, 16), D(2012, 8, 5))),
]


@pytest.mark.parametrize(("text", "expected"), PHASE_FORMS)
def test_phase_window_forms(text: str, expected: tuple[str, date | None, date | None]) -> None:
    plan = extract(text)
    assert phases(plan) == [expected]
    assert plan.unplaced == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("这次专项活动从7月开始，12月底结束，分为以下四个阶段：", (D(2012, 7, 1), D(2012, 12, 31))),
        ("从今年3月20日起到12月31日，深入开展主题实践活动。", (D(2012, 3, 20), D(2012, 12, 31))),
        ("活动自2012年7月16日开始至12月31日结束。", (D(2012, 7, 16), D(2012, 12, 31))),
        ("活动从8月起开展。", (D(2012, 8, 1), None)),
    ],
)
def test_the_plans_own_window(text: str, expected: tuple[date | None, date | None]) -> None:
    assert window(extract(text)) == expected


DEADLINE_FORMS = [
    ("由单位收齐《报告表》，于8月10日前统一交市卫生局专项活动办公室。", "forms_collected", D(2012, 8, 10)),
    ("《报告表》由单位收集后，于9月底前统一上报。", "forms_collected", D(2012, 9, 30)),
    ("形成书面综合情况报告，并于12月25日前报市卫生局。", "comprehensive_report", D(2012, 12, 25)),
    ("11月底前完成书面总结。", "comprehensive_report", D(2012, 11, 30)),
    ("于2012年12月25日前进行总结，形成书报告并上报上级单位。", "comprehensive_report", D(2012, 12, 25)),
    ("7月20日前成立专项活动领导小组。", "leading_group", D(2012, 7, 20)),
    ("8月20日前列出需修订的制度清单。", "rules_review", D(2012, 8, 20)),
    ("针对发现的问题，于9月14日前研究制订整改措施。", "rectification_plan", D(2012, 9, 14)),
    ("医院在8月2日召开全院领导班子动员会。", "mobilization_meeting", D(2012, 8, 2)),
    ("8月中旬前结合信访举报完成排查。", "complaints_cross_check", D(2012, 8, 20)),
    ("实施方案于2012-07-31前报局办公室。", "implementation_plan", D(2012, 7, 31)),
]  # fmt: skip


@pytest.mark.parametrize(("text", "deliverable", "due"), DEADLINE_FORMS)
def test_deadline_forms(text: str, deliverable: str, due: date) -> None:
    plan = extract(text)
    assert deadlines(plan) == [(deliverable, due)]
    assert plan.unplaced == []


def test_a_phase_summary_is_due_three_working_days_after_every_phase() -> None:
    text = (
        "（一）动员部署（2012年7月16日至8月5日）\n（二）查找问题（2012年8月6日-8月31日）\n"
        "（三）整改纠正（2012年9月1日-11月30日）\n（四）检查总结（2012年12月1日-12月31日）\n"
        "每个阶段结束后三个工作日内，各单位要将阶段性总结报上级专项活动办公室。"
    )
    plan = extract(text)
    assert deadlines(plan) == [
        ("mobilize_summary", D(2012, 8, 8)),  # 8-05 is a Sunday: Mon 6, Tue 7, Wed 8
        ("find_summary", D(2012, 9, 5)),
        ("rectify_summary", D(2012, 12, 5)),
        ("summarize_summary", D(2013, 1, 6)),  # New Year off; Sat 5 and Sun 6 made working days
    ]
    rules = {d.relative for d in plan.deadlines}
    assert RelativeRule(anchor="phase_end", anchor_key="find", days=3, working_days=True) in rules


@pytest.mark.parametrize(
    ("text", "rule", "due"),
    [
        (
            "（一）动员部署（2012年7月16日至8月5日）\n学习动员结束后，各单位要将学习动员的情况在一周内书面上报。",
            RelativeRule(anchor="phase_end", anchor_key="mobilize", days=7),
            D(2012, 8, 12),
        ),
        (
            "学习动员结束后，各单位要将学习动员的情况在一周内书面上报。",
            RelativeRule(anchor="phase_end", anchor_key="mobilize", days=7),
            None,
        ),
        (
            "动员会后5个工作日内书面上报学习动员情况。",
            RelativeRule(
                anchor="deliverable", anchor_key="mobilization_meeting", days=5, working_days=True
            ),
            None,
        ),
    ],
)  # fmt: skip
def test_relative_deadlines(text: str, rule: RelativeRule, due: date | None) -> None:
    plan = extract(text)
    assert [(d.deliverable_key, d.relative, d.due_on) for d in plan.deadlines] == [
        ("mobilization_report", rule, due)
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("7月6日，卫生部召开了全国视频会议。", "没有能对应到模板任务"),
        ("于6月份印发了通知。", "只给了月份"),
        ("（一）动员部署（2012年7月16日至8月XX日）", "隐去"),
        ("于9月31日前上报报告表。", "不存在"),
        ("各单位要在十日内完成。", "从何时起算"),
        ("二〇一二年七月九日", "落款日期"),
        ("连云港市妇幼保健院 2012-10-08", "落款日期"),
        ("于8月10日前报送报告表和制度清单。", "不止一项"),
    ],
)
def test_dates_that_cannot_be_placed_are_listed_not_guessed(text: str, reason: str) -> None:
    plan = extract(text)
    assert plan.deadlines == []
    assert [phase.start_on for phase in plan.phases if phase.start_on] == []
    assert len(plan.unplaced) == 1
    assert reason in plan.unplaced[0].reason_zh
    assert plan.unplaced[0].reason_en


def test_a_sentence_broken_across_lines_is_read_whole() -> None:
    plan = extract("1、医院成立协调小组。医院在8月2日\n\n召开全院领导班子动员会，进行动员部署。")
    assert deadlines(plan) == [("mobilization_meeting", D(2012, 8, 2))]


def test_a_web_copy_numbered_by_page_is_joined_back() -> None:
    line = "成立活动领导小组和办事机构，制定活动方案，认真学习有关文件精神" * 3
    plan = extract(f"{line}，并将活动方案于2023年2\n12、月10日前报局办公室。", "conduct-2023", 2023)
    assert deadlines(plan) == [("implementation_plan", D(2023, 2, 10))]


BAD_PLANS = [
    ("为深入贯彻落实《若干规定》，结合我院实际，制定实施方案如下。", "没有找到可用的日期", "no usable date"),
    ("（一）动员部署（2012年8月5日至7月16日）", "前后颠倒", "run backwards"),
    ("从12月开始，7月底结束。", "前后颠倒", "run backwards"),
    ("（一）动员部署（2012年8月6日-8月31日）\n（二）查找问题（2012年7月16日至8月5日）", "先后顺序", "order"),
    ("（三）巩固提高阶段（2012年9月1日-11月30日）", "巩固提高阶段", "does not have"),
    ("整个活动分为动员部署、巩固提高、检查总结三个阶段，从7月开始，12月底结束。", "巩固提高", "does not"),
    ("（一）动员部署（2012年7月16日至8月5日）\n（一）动员部署（2012年7月20日至8月10日）", "两个不同", "two different"),
    ("从8月开始，12月底结束。\n（一）动员部署（2012年7月16日至8月5日）", "超出", "outside"),
    ("（二）查找问题（2012年8月6日-8月31日）\n于8月1日前上报报告表。", "早于其阶段开始", "before its phase"),
    ("于8月10日前上报报告表。于8月20日前上报报告表。", "两个不同的时限", "two different"),
    ("（一）动员部署（XX月16日至XX月5日）", "无法对应", "could not be placed"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "zh", "en"), BAD_PLANS)
def test_check_plan_refuses_bad_plans_in_both_languages(text: str, zh: str, en: str) -> None:
    plan = extract(text)
    with pytest.raises(QinglianError) as caught:
        check_plan(plan)
    assert zh in caught.value.zh
    assert en in caught.value.en


@pytest.mark.parametrize(
    ("title", "template", "key"),
    [
        ("学习动员", "conduct-2023", "mobilize"),
        ("思想发动", "coi-2012", "mobilize"),
        ("自查自纠", "coi-2012", "find"),
        ("自查自纠", "conduct-2023", "self_check"),
        ("集中整改", "coi-2012", "rectify"),
        ("总结表彰", "coi-2012", "summarize"),
        ("检查总结", "conduct-2007", "commend"),
        ("学习讨论", "conduct-2007", "study"),
    ],
)
def test_phase_names_are_matched_within_the_template_at_hand(
    title: str, template: str, key: str
) -> None:
    year = get_template(template).start.year
    plan = extract(f"（一）{title}（{year}年7月1日至7月31日）", template, year)
    assert [phase.key for phase in plan.phases] == [key]
