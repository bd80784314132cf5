"""Named points in a sweep and a delivery where tests inject crashes."""

from __future__ import annotations

from collections.abc import Callable

Hook = Callable[[str], None]


def call_hook(hook: Hook | None, point: str) -> None:
    """Call ``hook`` with the name of the point reached, if there is a hook."""
    if hook is not None:
        hook(point)
