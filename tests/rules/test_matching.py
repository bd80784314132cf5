"""Matching complaints to cadres and the allegation check (qinglian.rules.matching): tables."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from models.enums import (
    BusinessType,
    CrossCheckResult,
    FindingCategory,
    OrgType,
    RecusalSituation,
    Relation,
    UnitKind,
)
from qinglian.rules import matching
from qinglian.rules.allegations import assess_allegation
from qinglian.rules.detection import FormFacts, PostFact, RecusalFact, RelativeFact
from qinglian.rules.matching import (
    AUTO_THRESHOLD,
    MARGIN,
    CadreIndex,
    CadreRow,
    Candidate,
    Decision,
    decide,
    fold_name,
    rank,
    score_cadre,
)
from qinglian.rules.names import normalise_name, pinyin_key

AS_OF = date(2012, 8, 20)
FB, CK, RM = "/1/2/3/4/", "/1/2/3/4/5/", "/1/2/3/6/"


def _score(query: str, name: str, post: str = "") -> tuple[float, str] | None:
    return score_cadre(normalise_name(query), name, post, pinyin_key(name))


@pytest.mark.parametrize(
    ("query", "name", "post", "score", "reason"),
    [
        ("顾扬", "顾扬", "副院长", 1.0, "姓名一致"),
        ("顾  扬", "顾扬", "副院长", 1.0, "姓名一致"),
        ("顧揚", "顾扬", "副院长", 1.0, "姓名一致"),
        ("顾扬副院长", "顾扬", "副院长", 1.0, "姓名一致，职务为副院长"),
        ("顾阳", "顾扬", "副院长", 0.85, "姓名同音（拼音一致）"),
        ("Gu Yang", "顾扬", "副院长", 0.9, "姓名拼音一致"),
        ("Yang Gu", "顾扬", "副院长", 0.85, "姓名拼音一致（姓、名顺序颠倒）"),
        ("Zeng Li", "曾丽", "主任", 0.9, "姓名拼音一致"),
        ("王院长", "王泰康", "院长", 0.9, "姓氏相同，职务为院长"),
        ("王院长", "王泰康", "副院长", 0.85, "姓氏相同，职务为副院长"),
        ("王副院长", "王泰康", "副院长", 0.9, "姓氏相同，职务为副院长"),
        ("王副院长", "王泰康", "院长", 0.7, "姓氏相同，职务为院长（反映为副职）"),
        ("李主任", "李明", "产科主任", 0.9, "姓氏相同，职务为主任"),
        ("刘书记", "刘强", "党委书记", 0.9, "姓氏相同，职务为书记"),
        ("院长", "施庆喜", "院长", 0.6, "未写姓名，职务为院长"),
    ],
)
def test_score_cadre(query: str, name: str, post: str, score: float, reason: str) -> None:
    assert _score(query, name, post) == (score, reason)


@pytest.mark.parametrize(
    ("query", "name", "post"),
    [
        ("王院长", "李明", "院长"),
        ("王院长", "王泰康", "局长"),
        ("王院长", "王泰康", "院长助理"),
        ("王某", "李明", "院长"),
        ("Li Ming", "顾扬", "副院长"),
        ("张三", "李四", ""),
    ],
)
def test_no_score(query: str, name: str, post: str) -> None:
    assert _score(query, name, post) is None


def test_a_similar_name_scores_below_the_threshold() -> None:
    scored = _score("施庆春", "施庆喜")
    assert scored is not None
    assert scored[0] < AUTO_THRESHOLD
    assert scored[1].startswith("姓名相近")


@pytest.mark.parametrize(
    ("scores", "decision"),
    [
        ([], Decision.unmatched),
        ([1.0], Decision.matched),
        ([0.85], Decision.matched),
        ([0.84], Decision.ambiguous),
        ([1.0, 0.9], Decision.matched),
        ([1.0, 0.91], Decision.ambiguous),
        ([0.9, 0.85], Decision.ambiguous),
        ([0.9, 0.9], Decision.ambiguous),
        ([0.9, 0.7], Decision.matched),
        ([0.6], Decision.ambiguous),
    ],
)
def test_decide(scores: list[float], decision: Decision) -> None:
    candidates = [Candidate(i, score, "") for i, score in enumerate(scores)]
    assert decide(candidates) is decision


def test_decide_without_auto_never_assigns() -> None:
    assert decide([Candidate(1, 1.0, "")], auto=False) is Decision.ambiguous


def test_margin_and_threshold_are_what_the_docs_say() -> None:
    assert (AUTO_THRESHOLD, MARGIN) == (0.85, 0.1)


def test_rank_keeps_the_best_score_per_cadre_and_orders_ties_by_id() -> None:
    ranked = rank([Candidate(2, 0.9, "a"), Candidate(1, 0.9, "b"), Candidate(2, 1.0, "c")])
    assert [(c.cadre_id, c.score) for c in ranked] == [(2, 1.0), (1, 0.9)]


CADRES = [
    CadreRow(1, "施庆喜", "院长", FB),
    CadreRow(2, "顾扬", "副院长", FB),
    CadreRow(3, "王泰康", "副院长", FB),
    CadreRow(4, "潘菁", "产科主任", CK),
    CadreRow(5, "王伟", "院长", RM),
    CadreRow(6, "李明", "产科主任", RM),
    CadreRow(7, "李华", "内科主任", RM),
    CadreRow(8, "顧 揚", "科员", RM),
    CadreRow(9, "邵亚玲", "党委书记", FB),
]


@pytest.mark.parametrize(
    ("query", "prefixes", "decision", "cadre"),
    [
        ("顾扬", [FB], Decision.matched, 2),
        ("顾扬", [RM], Decision.matched, 8),
        ("顾扬", None, Decision.ambiguous, None),
        ("Gu Yang", [FB], Decision.matched, 2),
        ("王院长", [FB], Decision.matched, 3),
        ("王院长", None, Decision.ambiguous, None),
        ("王副院长", None, Decision.matched, 3),
        ("李主任", [RM], Decision.ambiguous, None),
        ("潘主任", [FB], Decision.matched, 4),
        ("邵书记", [FB], Decision.matched, 9),
        ("院长", [FB], Decision.ambiguous, None),
        ("张三", [FB], Decision.unmatched, None),
        ("施庆喜", [CK], Decision.unmatched, None),
        ("施庆喜", [CK, FB], Decision.matched, 1),
    ],
)
def test_index_match(
    query: str, prefixes: list[str] | None, decision: Decision, cadre: int | None
) -> None:
    result = CadreIndex(CADRES).match(normalise_name(query), prefixes)
    assert (result.decision, result.cadre_id) == (decision, cadre)
    assert all(candidate.reason for candidate in result.candidates)


def test_an_exact_name_beats_a_homophone_by_the_margin() -> None:
    index = CadreIndex([CadreRow(1, "顾扬", "副院长", FB), CadreRow(2, "顾阳", "科员", FB)])
    result = index.match(normalise_name("顾扬"), [FB])
    assert (result.decision, result.cadre_id) == (Decision.matched, 1)
    assert [c.cadre_id for c in result.candidates] == [1, 2]


def test_a_small_block_is_scored_cadre_by_cadre() -> None:
    index = CadreIndex(CADRES)
    assert index.block_size([FB]) == 5
    assert index.match(normalise_name("顾扬"), [FB]).scored == 5
    assert index.match(normalise_name("顾扬"), [FB, CK]).scored == 5


def _national(cities: int, per_city: int) -> list[CadreRow]:
    surnames = "赵钱孙李周吴郑冯陈褚卫蒋沈韩杨朱秦尤许何吕施张孔曹严华金魏陶姜"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"
    rows = []
    number = 0
    for city in range(cities):
        for i in range(per_city):
            number += 1
            name = (
                surnames[number % len(surnames)]
                + given[number % len(given)]
                + given[number * 7 % len(given)]
            )
            post = ("院长", "副院长", "产科主任", "科员")[i % 4]
            rows.append(CadreRow(number, name, post, f"/1/{city + 2}/{1000 + i // 10}/"))
    return rows


def test_a_large_block_uses_lookups_not_pairs(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _national(40, 250)
    rows.append(CadreRow(99_999, "欧阳修", "院长", "/1/7/1001/"))
    index = CadreIndex(rows)
    assert len(index) == 10_001
    result = index.match(normalise_name("欧阳修"), None)
    assert (result.decision, result.cadre_id) == (Decision.matched, 99_999)
    assert result.scored < 10
    result = index.match(normalise_name("Ouyang Xiu"), None)
    assert (result.decision, result.cadre_id) == (Decision.matched, 99_999)
    assert result.scored < 10
    # Within one city's subtree (251 cadres) everyone is scored; the country is too big.
    assert index.match(normalise_name("欧阳修"), ["/1/7/"]).scored == 251
    monkeypatch.setattr(matching, "SCAN_LIMIT", 100)
    assert index.match(normalise_name("欧阳修"), ["/1/7/"]).scored == 1


def test_a_crowded_bucket_goes_to_a_person() -> None:
    rows = [
        CadreRow(i, f"王{'一二三四五六七八九十'[i % 10]}{i}", "院长", f"/1/{i}/")
        for i in range(5000)
    ]
    rows.append(CadreRow(9999, "王副", "副院长", "/1/77777/"))
    index = CadreIndex(rows)
    result = index.match(normalise_name("王院长"), None)
    assert result.decision is Decision.ambiguous
    assert result.scored <= matching.BUCKET_LIMIT
    assert len(result.candidates) == matching.KEEP
    assert result.reason == "候选人过多，需人工甄别"


def test_a_campaign_without_cadres_matches_nobody() -> None:
    result = CadreIndex([]).match(normalise_name("顾扬"), None)
    assert (result.decision, result.scored) == (Decision.unmatched, 0)


def test_empty_query() -> None:
    result = CadreIndex(CADRES).match(normalise_name(""), None)
    assert result.decision is Decision.unmatched
    assert result.scored == 0


@pytest.mark.parametrize(
    ("stored", "folded"), [("顧  揚", "顾扬"), ("顾\u3000扬", "顾扬"), ("ＷＡＮＧ", "WANG")]
)
def test_fold_name(stored: str, folded: str) -> None:
    assert fold_name(stored) == folded


# --- the allegation against the declaration -------------------------------------------------


def _form(**changes: Any) -> FormFacts:
    base: dict[str, Any] = {
        "declaration_id": 10,
        "cadre_id": 1,
        "unit_id": 4,
        "scope_category": 3,
        "unit_kind": UnitKind.public_medical,
    }
    return FormFacts(**{**base, **changes})


PHARMA = RelativeFact(
    "亲属从业", 2, "张某", Relation.spouse, "某医药公司", "销售", BusinessType.pharma_sales, True
)
PHARMA_OUTSIDE = RelativeFact(
    "亲属从业", 3, "张某", Relation.child, "某器械公司", "销售", BusinessType.device_sales, False
)
SOCIAL_POST = PostFact("本人兼职", 2, "某医学会", OrgType.health_social_org, "理事", False, False)
RECUSAL = RecusalFact("回避事项", 2, RecusalSituation.procurement, "采购", recused=True)


@pytest.mark.parametrize(
    ("alleged", "form", "result", "rows", "hits"),
    [
        (FindingCategory.relative_business, None, CrossCheckResult.no_form, 0, 0),
        (None, None, CrossCheckResult.no_form, 0, 0),
        (None, _form(), CrossCheckResult.unspecified, 0, 0),
        (FindingCategory.concealment, _form(), CrossCheckResult.concealment_suspected, 0, 0),
        (FindingCategory.relative_business, _form(), CrossCheckResult.concealment_suspected, 0, 0),
        (
            FindingCategory.relative_business,
            _form(relatives=(PHARMA,)),
            CrossCheckResult.declared,
            1,
            1,
        ),
        (
            FindingCategory.relative_business,
            _form(relatives=(PHARMA_OUTSIDE,)),
            CrossCheckResult.declared,
            1,
            0,
        ),
        (
            FindingCategory.relative_foreign_post,
            _form(relatives=(PHARMA,)),
            CrossCheckResult.concealment_suspected,
            0,
            0,
        ),
        (
            FindingCategory.unapproved_or_paid_post,
            _form(posts=(SOCIAL_POST,)),
            CrossCheckResult.declared,
            1,
            1,
        ),
        (
            FindingCategory.concurrent_leadership,
            _form(posts=(SOCIAL_POST,)),
            CrossCheckResult.concealment_suspected,
            0,
            0,
        ),
        (
            FindingCategory.recusal_not_observed,
            _form(recusals=(RECUSAL,)),
            CrossCheckResult.declared,
            1,
            0,
        ),
        (
            FindingCategory.post_retirement_employment,
            _form(),
            CrossCheckResult.concealment_suspected,
            0,
            0,
        ),
    ],
)
def test_assess_allegation(
    alleged: FindingCategory | None,
    form: FormFacts | None,
    result: CrossCheckResult,
    rows: int,
    hits: int,
) -> None:
    assessment = assess_allegation(alleged, form, AS_OF)
    assert assessment.result is result
    assert (len(assessment.rows), len(assessment.hits)) == (rows, hits)
    assert assessment.suspects_concealment is (
        result in (CrossCheckResult.no_form, CrossCheckResult.concealment_suspected)
    )
    assert all(hit.category is alleged for hit in assessment.hits)
