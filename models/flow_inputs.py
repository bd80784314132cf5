"""The flows' parameters: one pydantic model per flow, which the Prefect UI renders as a form."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field, model_validator

MAX_REPLAY_DAYS = 400
# How far down a phase's unit runs go, and where subtrees are split off: never the ministry.
RunLevel = Literal["province", "city", "county", "institution", "department"]


class LaunchInput(BaseModel):
    """Launch a campaign from a template on a unit's subtree (idempotent)."""

    template: str = Field(default="coi-2012", min_length=1, description="活动模板 template key")
    root_code: str = Field(min_length=1, description="牵头单位编码 root unit code, e.g. MOH")
    start_on: date | None = Field(default=None, description="开始日期；默认为模板日期")
    runs_down_to: RunLevel = Field(
        default="institution",
        description="单位流程运行到哪一级（其下单位作为上级运行表格中的行）/ run depth",
    )


class CampaignRunInput(BaseModel):
    """Run every phase of a campaign that has started by ``as_of``, in order."""

    campaign_id: int = Field(ge=1, description="专项活动编号 campaign id")
    as_of: date | None = Field(default=None, description="按此日期运行 (simulated clock)")
    runs_down_to: RunLevel | None = Field(
        default=None,
        description="单位流程运行到哪一级（其下单位作为表格行）；默认取专项活动的设置 / run depth",
    )


class PhaseRunInput(BaseModel):
    """Run one phase of a campaign as of a day (defaults to today in China)."""

    campaign_id: int = Field(description="专项活动编号 campaign id", ge=1)
    phase: str = Field(description="阶段 phase key, e.g. mobilize", min_length=1)
    as_of: date | None = Field(default=None, description="按此日期计算 (simulated clock)")
    runs_down_to: RunLevel | None = Field(
        default=None,
        description="单位流程运行到哪一级（其下单位作为表格行）；默认取专项活动的设置 / run depth",
    )
    subtrees_on: Literal["local", "workers"] | None = Field(
        default=None,
        description="各子树（默认每省）在本进程运行，或经工作池由 worker 运行；默认取设置 "
        "QINGLIAN_SUBTREES / where subtrees run",
    )


class SubtreeRunInput(BaseModel):
    """One subtree of a phase pass (by default a province), started by the phase run."""

    pass_id: int = Field(ge=1, description="阶段计算编号 phase pass id")
    unit_code: str = Field(min_length=1, max_length=64, description="子树根单位编码 unit code")


class SweepInput(BaseModel):
    """Run the escalation ladder as of a day (one campaign, or every active one), then deliver."""

    campaign_id: int | None = Field(
        default=None, ge=1, description="专项活动编号 campaign id；不填则扫描全部进行中的活动"
    )
    as_of: date | None = Field(default=None, description="按此日期督办 (simulated clock)")
    deliver: bool = Field(default=True, description="扫描后立即发送 send right after the sweep")


class DeliverInput(BaseModel):
    """Send what is waiting in the outbox (all campaigns unless one is named)."""

    campaign_id: int | None = Field(default=None, ge=1, description="专项活动编号 campaign id")


class ReplayInput(BaseModel):
    """Run the daily sweep for every day of a span (catching up, or replaying a campaign)."""

    campaign_id: int = Field(ge=1, description="专项活动编号 campaign id")
    start: date = Field(description="第一天 first day")
    end: date = Field(description="最后一天 last day")
    deliver: bool = Field(default=True, description="每天扫描后立即发送 send after each day")

    @model_validator(mode="after")
    def _span(self) -> ReplayInput:
        if self.end < self.start:
            raise ValueError("end is before start / 结束日期早于开始日期")
        if (self.end - self.start).days > MAX_REPLAY_DAYS:
            raise ValueError(f"at most {MAX_REPLAY_DAYS} days / 最多 {MAX_REPLAY_DAYS} 天")
        return self


class ReportInput(BaseModel):
    """Write the comprehensive report of one unit's subtree."""

    campaign_id: int = Field(ge=1, description="专项活动编号 campaign id")
    unit_code: str = Field(min_length=1, description="单位编码 unit code (its subtree only)")
    format: Literal["docx", "md", "pdf"] = Field(default="docx", description="格式 format")
    as_of: date | None = Field(default=None, description="截至日期 (simulated clock)")


class VerifyCaseInput(BaseModel):
    """Wait for the verifying office's decision on one case."""

    case_id: int = Field(ge=1, description="核实案件编号 case id")
    timeout_hours: int = Field(
        default=72, ge=1, le=24 * 30, description="等待核实结论的时长 hours to wait"
    )


class VerifyRectificationInput(BaseModel):
    """Wait for the managing unit's verification of one finished rectification item."""

    item_id: int = Field(ge=1, description="整改事项编号 rectification item id")
    timeout_hours: int = Field(
        default=72, ge=1, le=24 * 30, description="等待验收结论的时长 hours to wait"
    )
