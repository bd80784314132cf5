"""The demo's calendar: the 2012 campaign's days on which each step is taken, and its seed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

SEED = 2012
TEMPLATE = "coi-2012"
ROOT = "MOH"


@dataclass(frozen=True)
class Timeline:
    start: date
    reviewed_on: date
    cases_decided_on: date
    plan_on: date
    due_dates: tuple[date, ...]
    end: date


# The mobilisation phase: its status mid-phase (no flow run), then the phase run after it.
MOBILIZE_AS_OF = (date(2012, 7, 27), date(2012, 8, 8))
# The find phase: just after the forms deadline (08-10), then at the phase's end.
FIND_AS_OF = (date(2012, 8, 13), date(2012, 8, 31))
RULES_LISTED_ON = date(2012, 8, 24)
# The rectify phase: findings reviewed and cases decided early in September, a ledger of
# measures due mid-October to mid-November, the daily sweep across the whole phase.
RECTIFY = Timeline(
    start=date(2012, 9, 1),
    reviewed_on=date(2012, 9, 3),
    cases_decided_on=date(2012, 9, 10),
    plan_on=date(2012, 9, 5),
    due_dates=(date(2012, 10, 15), date(2012, 10, 31), date(2012, 11, 15)),
    end=date(2012, 11, 30),
)
# 检查总结: inspection teams visit 12-03..12-07; the root's report is due 12-10.
INSPECTION_DRAWN_ON = date(2012, 12, 3)
INSPECTION_SIZE = 12
SUMMARIZE_AS_OF = date(2012, 12, 10)
