"""Campaign templates: YAML data validated by pydantic, never code."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from models.enums import Level
from qinglian.core.errors import NotFoundError, QinglianError
from qinglian.rules.ladder import LadderConfig, LaggingThresholds

TEMPLATES_DIR = Path(__file__).resolve().parent / "catalogue"
KEY_PATTERN = r"^[a-z][a-z0-9_]*$"
NON_DEPARTMENT_LEVELS = [level for level in Level if level is not Level.department]


# What a phase's flows do besides tracking deliverables: collect the 报告表 and detect problems,
# review the rules, cross-check complaints, roll up rectification, sample units for inspection,
# and write the comprehensive report (which completes the campaign).
Activity = Literal[
    "declarations", "rules_review", "complaints", "rectification", "inspection", "report"
]


class RelativeDue(BaseModel):
    """Due ``days`` calendar days after another deliverable of the unit is submitted."""

    model_config = ConfigDict(extra="forbid")

    deliverable: str
    days: int = Field(ge=0, le=366)


class DeliverableTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=KEY_PATTERN)
    title: str = Field(min_length=1)
    due: date = Field(description="the campaign root's deadline; lower levels cascade earlier")
    levels: list[Level] = Field(default_factory=lambda: list(NON_DEPARTMENT_LEVELS))
    after: RelativeDue | None = None
    description: str = ""


class PhaseTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=KEY_PATTERN)
    title: str = Field(min_length=1)
    starts: date
    ends: date
    deliverables: list[DeliverableTemplate] = Field(default_factory=list)
    activities: list[Activity] = Field(
        default_factory=list,
        description="what the phase's unit flows do besides tracking deliverables",
    )
    report_deliverable: str | None = Field(
        default=None,
        description="the deliverable the written comprehensive report fulfils (activity report)",
    )

    @model_validator(mode="after")
    def _check(self) -> PhaseTemplate:
        if self.ends < self.starts:
            raise ValueError(f"phase {self.key}: ends before it starts")
        seen: set[str] = set()
        for item in self.deliverables:
            if item.due < self.starts:
                raise ValueError(f"deliverable {item.key}: due before phase {self.key} starts")
            if item.after and item.after.deliverable not in seen:
                raise ValueError(
                    f"deliverable {item.key}: 'after' must name an earlier deliverable "
                    f"of phase {self.key}"
                )
            seen.add(item.key)
        if self.report_deliverable is not None and self.report_deliverable not in seen:
            raise ValueError(
                f"phase {self.key}: report_deliverable {self.report_deliverable!r} is not one of"
                " its deliverables"
            )
        return self


class CampaignTemplate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    basis: str = ""
    source: str = ""
    start: date
    end: date
    cascade_working_days: int = Field(
        default=2, ge=0, le=20, description="working days earlier per level down the tree"
    )
    phases: list[PhaseTemplate] = Field(min_length=1)
    ladder: LadderConfig | None = Field(
        default=None, description="the escalation ladder; unset means the default (DESIGN §6)"
    )
    lagging: LaggingThresholds | None = Field(
        default=None, description="when a unit counts as lagging; unset means the defaults"
    )

    @model_validator(mode="after")
    def _check(self) -> CampaignTemplate:
        keys = [phase.key for phase in self.phases]
        if len(set(keys)) != len(keys):
            raise ValueError("phase keys must be unique")
        items = [item.key for phase in self.phases for item in phase.deliverables]
        if len(set(items)) != len(items):
            raise ValueError("deliverable keys must be unique across the template")
        for phase in self.phases:
            if phase.starts < self.start or phase.ends > self.end:
                raise ValueError(f"phase {phase.key} lies outside the campaign window")
        return self

    def phase(self, key: str) -> PhaseTemplate:
        for phase in self.phases:
            if phase.key == key:
                return phase
        raise NotFoundError(
            f"模板 {self.key} 没有阶段「{key}」（可选：{'、'.join(p.key for p in self.phases)}）",
            f"template {self.key} has no phase {key!r} "
            f"(choose from {', '.join(p.key for p in self.phases)})",
        )


def load_template_file(path: Path) -> CampaignTemplate:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return CampaignTemplate.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise QinglianError(
            f"活动模板 {path.name} 无效：{exc}", f"campaign template {path.name} is invalid: {exc}"
        ) from exc


@lru_cache(maxsize=1)
def all_templates() -> dict[str, CampaignTemplate]:
    templates = [load_template_file(path) for path in sorted(TEMPLATES_DIR.glob("*.yaml"))]
    return {template.key: template for template in templates}


def get_template(key: str) -> CampaignTemplate:
    templates = all_templates()
    if key not in templates:
        raise NotFoundError(
            f"没有活动模板「{key}」（可选：{'、'.join(templates)}）",
            f"unknown campaign template {key!r} (choose from {', '.join(templates)})",
        )
    return templates[key]
