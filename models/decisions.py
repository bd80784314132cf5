"""The fields of the forms a person fills in the Prefect UI while a flow waits for a decision.

Prefect's ``RunInput`` forms in flows/ inherit these, so tasks can take a decision without
importing flows, and these stay free of Prefect.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field


class VerificationDecisionBase(BaseModel):
    """核实结论: the verifying discipline office's outcome on a complaint case."""

    outcome: Literal["substantiated", "partly", "unsubstantiated"] = Field(
        description="属实 substantiated / 部分属实 partly / 不属实 unsubstantiated"
    )
    reason: str = Field(min_length=2, max_length=2000, description="理由 reason")
    decided_by: str = Field(min_length=1, max_length=100, description="核实人 who decided")


class RectificationDecisionBase(BaseModel):
    """验收结论: the managing unit's verdict on a finished rectification item."""

    # The values of VerificationOutcome; the outcome has no default, so it is always chosen.
    outcome: Literal["passed", "rejected"] = Field(
        description="验收通过 passed / 整改不到位，退回 rejected"
    )
    note: str = Field(default="", max_length=2000, description="验收意见 opinion")
    verified_by: str = Field(min_length=1, max_length=100, description="验收人 who verified")
    verified_on: date = Field(description="验收日期 date of verification")
