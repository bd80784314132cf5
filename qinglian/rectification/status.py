"""A rectification item's status rules: which change is allowed, what verification makes of it,
and how an item stands on a day. Pure: values in, values out.

Status: ``planned → in_progress → done → verified``. ``planned → done`` is allowed (a measure
carried out at once). ``verified`` is reached only through the managing unit's verification
(:func:`qinglian.rectification.verification.verify_rectification`); a rejected verification
sends a ``done`` item back to ``in_progress``.
"""

from __future__ import annotations

from datetime import date

from models.enums import LabelledEnum, RectificationStatus, VerificationOutcome, labelled
from qinglian.core.errors import QinglianError

S = RectificationStatus

# Which status may follow which, outside verification. The same status again is a no-op.
ALLOWED_TRANSITIONS: dict[RectificationStatus, frozenset[RectificationStatus]] = {
    S.planned: frozenset({S.in_progress, S.done}),
    S.in_progress: frozenset({S.done}),
    S.done: frozenset({S.in_progress}),  # reopened by the unit itself
    S.verified: frozenset(),
}


class TransitionError(QinglianError):
    """A status change the rules do not allow."""


class RectificationState(LabelledEnum):
    """An item as seen on ``as_of``: the deadline view the ladder works on."""

    open = "open"
    overdue = "overdue"
    done = "done"
    verified = "verified"


labelled(
    RectificationState,
    {"open": "整改中", "overdue": "逾期", "done": "已完成", "verified": "已验收"},
)


def check_transition(current: RectificationStatus, new: RectificationStatus) -> None:
    """Raise a bilingual :class:`TransitionError` unless ``current → new`` is allowed."""
    current, new = S(current), S(new)
    if new is current:
        return
    if new is S.verified:
        raise TransitionError(
            "整改事项须由管理单位验收（qinglian rectify verify），不能直接改为「已验收」",
            "only the managing unit's verification (qinglian rectify verify) makes an"
            " item verified",
        )
    if new not in ALLOWED_TRANSITIONS[current]:
        raise TransitionError(
            f"整改事项状态不能从「{current.label}」改为「{new.label}」",
            f"a rectification item cannot go from {current.value} to {new.value}",
        )


def verification_result(
    status: RectificationStatus, outcome: VerificationOutcome
) -> RectificationStatus:
    """The status after the managing unit's verdict; only a ``done`` item can be verified."""
    status, outcome = S(status), VerificationOutcome(outcome)
    if status is not S.done:
        raise TransitionError(
            f"只有「{S.done.label}」的整改事项才能验收（当前为「{status.label}」）",
            f"only a done item can be verified (this one is {status.value})",
        )
    return S.verified if outcome is VerificationOutcome.passed else S.in_progress


def rectification_state(
    status: RectificationStatus,
    due_on: date,
    done_on: date | None,
    verified_on: date | None,
    as_of: date,
) -> RectificationState:
    """Done once finished by ``as_of``, verified once verified by then: in a replay, a later
    completion or verification has not happened yet (as :func:`rectification_status_on`)."""
    if done_on is not None and done_on <= as_of:
        verified = status == S.verified and verified_on is not None and verified_on <= as_of
        return RectificationState.verified if verified else RectificationState.done
    return RectificationState.overdue if as_of > due_on else RectificationState.open


def rectification_status_on(
    status: RectificationStatus, done_on: date | None, verified_on: date | None, as_of: date
) -> RectificationStatus:
    """An item's status as it stood on ``as_of`` (a campaign replayed at an earlier day)."""
    if verified_on is not None and verified_on <= as_of and status is RectificationStatus.verified:
        return RectificationStatus.verified
    if done_on is not None and done_on <= as_of:
        return RectificationStatus.done
    if status is RectificationStatus.planned:
        return RectificationStatus.planned
    return RectificationStatus.in_progress
