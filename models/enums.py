"""Closed vocabularies of the domain, with their Chinese labels."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

# Keyed by member, or by value where nothing else reads the labels.
L = TypeVar("L", bound=Mapping[Any, str])

_LABELS: dict[type[LabelledEnum], Mapping[str, str]] = {}


class LabelledEnum(StrEnum):
    """A vocabulary whose members read in Chinese: ``member.label``, set by :func:`labelled`."""

    @property
    def label(self) -> str:
        return _LABELS[type(self)][self]


def labelled(enum: type[LabelledEnum], labels: L) -> L:
    """Give every member of ``enum`` its Chinese label; the labels, for lookups the other way."""
    missing = [member.value for member in enum if member not in labels]
    if missing:
        raise ValueError(f"{enum.__name__} has no label for {', '.join(missing)}")
    _LABELS[enum] = labels
    return labels


class Level(LabelledEnum):
    ministry = "ministry"
    province = "province"
    city = "city"
    county = "county"
    institution = "institution"
    department = "department"

    @property
    def rank(self) -> int:
        return list(Level).index(self)


LEVEL_LABELS = labelled(
    Level,
    {
        Level.ministry: "部",
        Level.province: "省",
        Level.city: "市",
        Level.county: "县",
        Level.institution: "单位",
        Level.department: "科室",
    },
)


class UnitKind(StrEnum):
    health_admin = "health_admin"
    public_medical = "public_medical"
    affiliated = "affiliated"


UNIT_KIND_LABELS: dict[UnitKind, str] = {
    UnitKind.health_admin: "卫生行政部门",
    UnitKind.public_medical: "公立医疗卫生单位",
    UnitKind.affiliated: "直属单位",
}


class DeliverableStatus(LabelledEnum):
    """A deliverable as seen on the ``as_of`` date (DHIS2-style reporting)."""

    pending = "pending"
    on_time = "on_time"
    late = "late"
    missing = "missing"


labelled(
    DeliverableStatus,
    {"pending": "未到期", "on_time": "按时", "late": "逾期提交", "missing": "缺报"},
)


class GroupRole(LabelledEnum):
    leader = "leader"
    deputy = "deputy"
    member = "member"


labelled(GroupRole, {"leader": "组长", "deputy": "副组长", "member": "成员"})


class FindingSource(StrEnum):
    self_declared = "self_declared"
    complaint = "complaint"
    inspection = "inspection"
    rule_review = "rule_review"


class FindingCategory(LabelledEnum):
    relative_business = "relative_business"
    relative_foreign_post = "relative_foreign_post"
    concurrent_leadership = "concurrent_leadership"
    unapproved_or_paid_post = "unapproved_or_paid_post"
    post_retirement_employment = "post_retirement_employment"
    recusal_not_observed = "recusal_not_observed"
    concealment = "concealment"


CATEGORY_LABELS = labelled(
    FindingCategory,
    {
        FindingCategory.relative_business: "亲属在管辖范围内从事药品、医疗器械销售等营利性活动",
        FindingCategory.relative_foreign_post: "亲属在管辖范围内外资合资医药企业担任外方委派高级职务",
        FindingCategory.concurrent_leadership: "兼任管辖范围内医疗卫生单位领导职务",
        FindingCategory.unapproved_or_paid_post: "未经批准兼职或兼职领取报酬",
        FindingCategory.post_retirement_employment: "离职退休三年内违规从业",
        FindingCategory.recusal_not_observed: "应回避未回避",
        FindingCategory.concealment: "弄虚作假、隐瞒不报",
    },
)


class FindingStatus(StrEnum):
    open = "open"
    verifying = "verifying"
    confirmed = "confirmed"
    dismissed = "dismissed"
    rectifying = "rectifying"
    rectified = "rectified"
    closed = "closed"


class RuleDecision(LabelledEnum):
    keep = "keep"
    revise = "revise"
    abolish = "abolish"
    draft_new = "draft_new"


labelled(RuleDecision, {"keep": "保留", "revise": "修订", "abolish": "废止", "draft_new": "新建"})


class Relation(LabelledEnum):
    spouse = "spouse"
    child = "child"
    child_spouse = "child_spouse"


RELATION_LABELS = labelled(
    Relation,
    {
        Relation.spouse: "配偶",
        Relation.child: "子女",
        Relation.child_spouse: "子女的配偶",
    },
)


class BusinessType(LabelledEnum):
    pharma_sales = "pharma_sales"
    device_sales = "device_sales"
    other_for_profit_health = "other_for_profit_health"
    foreign_pharma_senior_post = "foreign_pharma_senior_post"
    other = "other"


BUSINESS_TYPE_LABELS = labelled(
    BusinessType,
    {
        BusinessType.pharma_sales: "药品销售",
        BusinessType.device_sales: "医疗器械销售",
        BusinessType.other_for_profit_health: "其他营利性医疗卫生经营活动",
        BusinessType.foreign_pharma_senior_post: "外资/合资医药企业外方委派高级职务",
        BusinessType.other: "其他",
    },
)


class OrgType(LabelledEnum):
    medical_unit_in_jurisdiction = "medical_unit_in_jurisdiction"
    health_social_org = "health_social_org"
    other = "other"


ORG_TYPE_LABELS = labelled(
    OrgType,
    {
        OrgType.medical_unit_in_jurisdiction: "管辖范围内医疗卫生单位",
        OrgType.health_social_org: "卫生社会组织",
        OrgType.other: "其他",
    },
)


class EmployerType(LabelledEnum):
    for_profit_medical = "for_profit_medical"
    health_product_company = "health_product_company"
    other = "other"


EMPLOYER_TYPE_LABELS = labelled(
    EmployerType,
    {
        EmployerType.for_profit_medical: "营利性医疗卫生机构",
        EmployerType.health_product_company: "健康相关产品生产企业",
        EmployerType.other: "其他",
    },
)


class RecusalSituation(LabelledEnum):
    """The six situations of 执行公务回避 (seed 000/002, Article on recusal)."""

    personnel = "personnel"
    procurement = "procurement"
    evaluation = "evaluation"
    product_review = "product_review"
    self_declared = "self_declared"
    other = "other"


RECUSAL_LABELS = labelled(
    RecusalSituation,
    {
        RecusalSituation.personnel: "干部任免、职称晋升、考录考核奖惩",
        RecusalSituation.procurement: "招投标采购、基建承发包、重大资金拨付",
        RecusalSituation.evaluation: "评审评估、考核医疗卫生单位或科研项目",
        RecusalSituation.product_review: "审评审批、检验检测健康相关产品生产企业",
        RecusalSituation.self_declared: "本人认为有利害关系",
        RecusalSituation.other: "其他可能影响公正执行公务",
    },
)


class ComplaintChannel(LabelledEnum):
    hotline = "hotline"
    letter = "letter"
    visit = "visit"
    email = "email"
    leader_mailbox = "leader_mailbox"
    online = "online"


CHANNEL_LABELS = labelled(
    ComplaintChannel,
    {
        ComplaintChannel.hotline: "举报电话",
        ComplaintChannel.letter: "来信",
        ComplaintChannel.visit: "来访",
        ComplaintChannel.email: "电子邮件",
        ComplaintChannel.leader_mailbox: "领导信箱",
        ComplaintChannel.online: "网络举报（民声通道）",
    },
)


class ComplaintStatus(LabelledEnum):
    """received → matched | ambiguous | unmatched → cross_checked → closed."""

    received = "received"
    matched = "matched"
    ambiguous = "ambiguous"
    unmatched = "unmatched"
    cross_checked = "cross_checked"
    closed = "closed"


COMPLAINT_STATUS_LABELS = labelled(
    ComplaintStatus,
    {
        ComplaintStatus.received: "已受理",
        ComplaintStatus.matched: "已对应到干部",
        ComplaintStatus.ambiguous: "待人工甄别",
        ComplaintStatus.unmatched: "未能对应到干部",
        ComplaintStatus.cross_checked: "已比对，核实中",
        ComplaintStatus.closed: "已办结",
    },
)


class CaseStatus(StrEnum):
    open = "open"
    closed = "closed"
    # Closed without an outcome of its own: its complaint was confirmed as the same matter as
    # another case's (``VerificationCase.merged_into_id``), which decides for both.
    merged = "merged"


class CaseOutcome(LabelledEnum):
    substantiated = "substantiated"
    partly = "partly"
    unsubstantiated = "unsubstantiated"


labelled(CaseOutcome, {"substantiated": "属实", "partly": "部分属实", "unsubstantiated": "不属实"})


class CrossCheckResult(LabelledEnum):
    """What the cross-check found when it compared an allegation with the declaration."""

    concealment_suspected = "concealment_suspected"
    no_form = "no_form"
    declared = "declared"
    unspecified = "unspecified"
    # A complaint about a unit as a whole: there is no cadre's declaration to compare with.
    unit_complaint = "unit_complaint"


labelled(
    CrossCheckResult,
    {
        "concealment_suspected": "反映事项未申报，涉嫌隐瞒不报",
        "no_form": "未填报报告表，涉嫌隐瞒不报",
        "declared": "反映事项已申报",
        "unspecified": "未指明问题类别",
        "unit_complaint": "反映单位，无个人报告表可比对",
    },
)


class AuditAction(StrEnum):
    received = "received"
    linked_duplicate = "linked_duplicate"
    matched = "matched"
    assigned = "assigned"
    cross_checked = "cross_checked"
    case_read = "case_read"
    case_read_denied = "case_read_denied"
    verified = "verified"
    receipt_lookup = "receipt_lookup"
    # The same matter by two channels (ComplaintLink): proposed, then decided by a person.
    link_proposed = "link_proposed"
    link_confirmed = "link_confirmed"
    link_rejected = "link_rejected"
    case_merged = "case_merged"


class OutboxStatus(LabelledEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    given_up = "given_up"


labelled(
    OutboxStatus,
    {
        "pending": "待发送",
        "sending": "发送中",
        "sent": "已发送",
        "failed": "发送失败（待重试）",
        "given_up": "已放弃",
    },
)


class ContactRole(LabelledEnum):
    office = "office"
    head = "head"
    discipline = "discipline"


labelled(ContactRole, {"office": "办公室", "head": "负责人", "discipline": "纪检"})


class MessageFormat(LabelledEnum):
    """How an outbox message is written: plain text, markdown (WeCom, DingTalk), or a picture."""

    text = "text"
    markdown = "markdown"
    image = "image"


labelled(MessageFormat, {"text": "文本", "markdown": "Markdown", "image": "图片"})


class IntakeStatus(LabelledEnum):
    """What became of one mail read from the intake mailbox (keyed by its Message-ID)."""

    received = "received"  # claimed for processing; a crash leaves it here, a re-run resumes
    imported = "imported"  # every attachment imported; receipt queued
    rejected = "rejected"  # read, nothing imported; the reply says why (row errors, no file…)
    quarantined = "quarantined"  # never opened: unknown sender, macro, oversize, unreadable


labelled(
    IntakeStatus,
    {
        "received": "处理中",
        "imported": "已导入",
        "rejected": "已退回",
        "quarantined": "已隔离",
    },
)


class RectificationStatus(LabelledEnum):
    planned = "planned"
    in_progress = "in_progress"
    done = "done"
    verified = "verified"


RECTIFICATION_STATUS_LABELS = labelled(
    RectificationStatus,
    {
        RectificationStatus.planned: "已制定措施",
        RectificationStatus.in_progress: "整改中",
        RectificationStatus.done: "已完成",
        RectificationStatus.verified: "已验收",
    },
)


class VerificationOutcome(LabelledEnum):
    """The managing unit's verdict on a finished rectification."""

    passed = "passed"
    rejected = "rejected"


labelled(VerificationOutcome, {"passed": "验收通过", "rejected": "整改不到位，退回"})


class AccountRole(LabelledEnum):
    """What a portal account may do at its unit (an admin: over the unit's whole subtree)."""

    office = "office"
    head = "head"
    discipline = "discipline"
    admin = "admin"


labelled(
    AccountRole,
    {"office": "办公室填报员", "head": "单位负责人", "discipline": "纪检", "admin": "管理员"},
)


class UploadPurpose(LabelledEnum):
    """What an uploaded file was given for."""

    forms = "forms"
    evidence = "evidence"
    summary = "summary"


labelled(UploadPurpose, {"forms": "报告表", "evidence": "佐证材料", "summary": "阶段性总结"})


class LinkStatus(LabelledEnum):
    """A proposed link of two complaints as one matter: proposed → confirmed | rejected."""

    proposed = "proposed"
    confirmed = "confirmed"
    rejected = "rejected"


labelled(
    LinkStatus, {"proposed": "待确认", "confirmed": "已确认为同一事项", "rejected": "不是同一事项"}
)
