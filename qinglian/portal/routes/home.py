"""The start page: a unit's own tasks, or (a discipline account) what it may do here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from models.enums import AccountRole
from qinglian.portal.deps import CurrentUser
from qinglian.portal.pages import href, render

router = APIRouter()


@router.get("/")
def home(request: Request, user: CurrentUser) -> Response:
    if user.role is AccountRole.discipline:
        # The case desk comes with the confidentiality work; until then a discipline account
        # only logs in.
        return render(request, "home_discipline.html", user=user)
    return RedirectResponse(href(request, f"/units/{user.unit_code}"), status_code=303)
