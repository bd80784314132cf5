"""Closed vocabularies of the domain, with their Chinese labels."""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    ministry = "ministry"
    province = "province"
    city = "city"
    county = "county"
    institution = "institution"
    department = "department"

    @property
    def rank(self) -> int:
        return list(Level).index(self)

    @property
    def label(self) -> str:
        return LEVEL_LABELS[self]


LEVEL_LABELS: dict[Level, str] = {
    Level.ministry: "部",
    Level.province: "省",
    Level.city: "市",
    Level.county: "县",
    Level.institution: "单位",
    Level.department: "科室",
}


class UnitKind(StrEnum):
    health_admin = "health_admin"
    public_medical = "public_medical"
    affiliated = "affiliated"


UNIT_KIND_LABELS: dict[UnitKind, str] = {
    UnitKind.health_admin: "卫生行政部门",
    UnitKind.public_medical: "公立医疗卫生单位",
    UnitKind.affiliated: "直属单位",
}


class DeliverableStatus(StrEnum):
    """A deliverable as seen on the ``as_of`` date (DHIS2-style reporting)."""

    pending = "pending"
    on_time = "on_time"
    late = "late"
    missing = "missing"

    @property
    def label(self) -> str:
        return {"pending": "未到期", "on_time": "按时", "late": "逾期提交", "missing": "缺报"}[
            self.value
        ]


class GroupRole(StrEnum):
    leader = "leader"
    deputy = "deputy"
    member = "member"

    @property
    def label(self) -> str:
        return {"leader": "组长", "deputy": "副组长", "member": "成员"}[self.value]
