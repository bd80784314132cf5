"""Every query is scoped on the server: every route that names a unit, for every account (three
units × four roles), against the account's own unit, a child, a grandchild, the parent, an
unrelated province and a code that does not exist.

Out of scope is a 404 byte for byte the same as a unit that does not exist, and writes nothing;
in scope a page renders and a POST is refused or accepted, never 404 or 5xx. Without a session a
page redirects to the login form and the API answers 401. The routes come from the application
itself, and each one must be classified in :data:`tests.portal.scope_cases.ROUTES`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from httpx import Response

from qinglian.portal.deps import CSRF_FIELD, CSRF_HEADER
from tests.databases import PG_URL
from tests.factories import MOH
from tests.portal.conftest import PortalClient
from tests.portal.scope_cases import (
    ABSENT,
    ACCOUNT_UNITS,
    LOGINS,
    PROBE_FILE,
    REACH,
    ROUTES,
    TARGETS,
    ZJ,
    RouteCase,
    World,
    app_unit_routes,
    build_world,
    extra_params,
)

# The routes the issue names: the classification table cannot lose them.
NAMED = {
    ("GET", "/units/{code}"),
    ("GET", "/units/{code}/forms"),
    ("GET", "/units/{code}/forms/template.xlsx"),
    ("POST", "/units/{code}/forms"),
    ("GET", "/units/{code}/deliverables"),
    ("GET", "/units/{code}/summaries"),
    ("GET", "/units/{code}/rectification"),
    ("GET", "/units/{code}/rates"),
    ("GET", "/units/{code}/rates.xlsx"),
    ("GET", "/units/{code}/files/{upload_id}"),
    ("GET", "/api/units/{code}/status"),
    ("GET", "/api/units/{code}/forms/template.xlsx"),
    ("POST", "/api/units/{code}/forms"),
}
_TEXTUAL = ("text/html", "application/json", "text/plain")
_NOT_FOUND_JSON = {"zh": "没有找到该页面或单位", "en": "no such page or unit"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One world for the whole matrix (on SQLite): a route's requests never change what another
    route's requests expect."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        yield from build_world("sqlite", tmp_path_factory.mktemp("scope"), monkeypatch)


def _route_ids() -> list[Any]:
    return [pytest.param(route, id=route.id) for route in ROUTES]


@pytest.mark.usefixtures("world")  # the settings of a world, not of the shell
def test_every_unit_route_of_the_app_is_classified() -> None:
    found = app_unit_routes()
    assert len(found) >= len(NAMED), sorted(found)
    classified = {(route.method, route.path) for route in ROUTES}
    unclassified = sorted(found - classified)
    assert not unclassified, f"add these routes to scope_cases.ROUTES: {unclassified}"


@pytest.mark.usefixtures("world")  # the settings of a world, not of the shell
def test_every_classified_route_exists() -> None:
    classified = {(route.method, route.path) for route in ROUTES}
    assert not NAMED - classified, sorted(NAMED - classified)
    missing = sorted(classified - app_unit_routes())
    assert not missing, f"routes the scope matrix expects but the portal lacks: {missing}"


@pytest.mark.parametrize("route", _route_ids())
def test_the_scope_matrix(world: World, route: RouteCase) -> None:
    _require(route)
    problems = check_route(world, route, LOGINS, None)
    assert not problems, _report(route, problems)


@pytest.mark.parametrize(
    "route", [case for case in _route_ids() if extra_params(case.values[0].path)]
)
def test_an_unknown_or_foreign_record_of_a_unit_in_scope_is_not_found(
    world: World, route: RouteCase
) -> None:
    _require(route)
    problems: list[str] = []
    before = snapshot(world)
    for login in LOGINS:
        prefix, role = login.split("-")
        own = ACCOUNT_UNITS[prefix]
        reached = REACH[route.rule][role]
        client = world.clients[login]
        absent = send(client, route, world.url(route, ABSENT))
        for relation in sorted(reached):
            unit = TARGETS[own].get(relation)
            if unit is None:
                continue
            for param in extra_params(route.path):
                for label, value in _wrong_values(world, param, own, unit):
                    response = send(client, route, world.url(route, unit, **{param: value}))
                    where = f"{login} → {relation} {unit}, {param}={value} ({label})"
                    problems += _same_as_absent(where, response, absent)
    after = snapshot(world)
    assert before == after, "a request for an unknown or foreign record wrote something"
    assert not problems, _report(route, problems)


@pytest.mark.parametrize("route", _route_ids())
def test_without_a_session_a_page_goes_to_login_and_the_api_answers_401(
    world: World, route: RouteCase
) -> None:
    _require(route)
    client = world.anonymous
    assert client is not None
    before = snapshot(world)
    for unit in (*ACCOUNT_UNITS.values(), ZJ, ABSENT):
        response = send(client, route, world.url(route, unit))
        if route.api:
            assert response.status_code == 401, (unit, response.status_code, response.text)
            assert response.json()["en"].startswith("log in first")
        else:
            assert response.status_code == 303, (unit, response.status_code, response.text)
            assert response.headers["location"].startswith("/login?next="), response.headers
    assert snapshot(world) == before


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not PG_URL, reason="QINGLIAN_TEST_PG_URL is not set: PostgreSQL variant skipped"
            ),
        )
    ],
)
def test_the_scope_matrix_on_postgresql(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same rules on PostgreSQL: each role at 连云港市卫生局, its own unit against an
    unrelated and an absent one, on every route."""
    with contextmanager(build_world)(kind, tmp_path, monkeypatch) as world:
        logins = tuple(login for login in LOGINS if login.startswith("lyg-"))
        reports = []
        for route in ROUTES:
            _require(route)
            problems = check_route(world, route, logins, {"own", "unrelated", "absent"})
            reports += [_report(route, problems)] if problems else []
        assert not reports, "\n".join(reports)


# --- the checks -------------------------------------------------------------------------------


def check_route(
    world: World, route: RouteCase, logins: tuple[str, ...], relations: set[str] | None
) -> list[str]:
    """Every (account, target) of ``route``: what went wrong, one line each.

    Out-of-scope requests go first, and the database and the upload store must be unchanged
    after them; then the in-scope ones (which may write)."""
    problems: list[str] = []
    cases = [
        (login, relation, unit)
        for login in logins
        for relation, unit in TARGETS[ACCOUNT_UNITS[login.split("-")[0]]].items()
        if relations is None or relation in relations
    ]
    before = snapshot(world)
    absent: dict[str, Response] = {}
    for login, relation, unit in cases:
        if relation == "absent":
            absent[login] = send(world.clients[login], route, world.url(route, unit))
    for login, relation, unit in cases:
        if _reaches(route, login, relation):
            continue
        where = f"{login} → {relation} {unit}"
        response = send(world.clients[login], route, world.url(route, unit))
        problems += _same_as_absent(where, response, absent[login])
    if snapshot(world) != before:
        problems.append("an out-of-scope request wrote to the database or the upload store")
    for login, relation, unit in cases:
        if _reaches(route, login, relation):
            response = send(world.clients[login], route, world.url(route, unit))
            problems += _in_scope(f"{login} → {relation} {unit}", route, unit, response, world)
    return problems


def send(client: PortalClient, route: RouteCase, url: str) -> Response:
    """The request as a browser or a script sends it: a POST carries the CSRF token (a form
    field, or the API's header) and a small text file, so that only the scope can refuse it."""
    if route.method == "GET":
        return client.get(url)
    if route.api:
        return client.post(url, headers={CSRF_HEADER: client.csrf}, files={"file": PROBE_FILE})
    return client.post(url, data={CSRF_FIELD: client.csrf}, files={"file": PROBE_FILE})


def snapshot(world: World) -> tuple[dict[str, list[tuple[str, ...]]], list[str]]:
    """Every row of every table but the sessions (a request may touch its own), and every file
    in the upload store."""
    rows = {name: dump for name, dump in world.cli.dump().items() if name != "portalsession"}
    store = world.home / "uploads"
    files = (
        sorted(str(path.relative_to(store)) for path in store.rglob("*")) if store.exists() else []
    )
    return rows, files


def _reaches(route: RouteCase, login: str, relation: str) -> bool:
    role = login.split("-")[1]
    return relation in REACH[route.rule][role]


def _same_as_absent(where: str, response: Response, absent: Response) -> list[str]:
    """An out-of-scope answer: 404, and byte for byte what a unit that does not exist gets."""
    if response.status_code != 404:
        return [f"{where}: expected 404, got {response.status_code}: {_head(response)}"]
    problems = []
    if absent.status_code != 404:
        problems.append(f"{where}: the absent unit got {absent.status_code}: {_head(absent)}")
    if (response.content, response.headers.get("content-type")) != (
        absent.content,
        absent.headers.get("content-type"),
    ):
        problems.append(f"{where}: the 404 differs from an absent unit's: {_head(response)}")
    if response.request.url.path.startswith("/api/") and response.json() != _NOT_FOUND_JSON:
        problems.append(f"{where}: the API's 404 is not the JSON error: {_head(response)}")
    return problems


def _in_scope(
    where: str, route: RouteCase, unit: str, response: Response, world: World
) -> list[str]:
    status = response.status_code
    if route.method == "GET":
        if status != 200:
            return [f"{where}: expected 200, got {status}: {_head(response)}"]
        kind = response.headers.get("content-type", "")
        if "{upload_id}" in route.path and response.content != world.upload_bytes[unit]:
            return [f"{where}: not the unit's own file: {_head(response)}"]
        if kind.startswith(_TEXTUAL) and unit not in response.text:
            return [f"{where}: the answer does not name the unit: {_head(response)}"]
        return []
    allowed = {303, 400, 422} | ({200} if route.api else set())
    if status not in allowed:
        return [f"{where}: expected one of {sorted(allowed)}, got {status}: {_head(response)}"]
    return []


def _wrong_values(world: World, param: str, own: str, unit: str) -> list[tuple[str, str]]:
    """An id no record has, and ids of other units' records: out of every test account's
    scope, the account's parent's, and one in its scope but not of the unit in the address."""
    wrong = [("unknown", world.unknown(param))]
    if param in {"phase_key", "phase"}:
        return wrong
    others = {ZJ: "of ZJ", MOH: "of 卫生部", TARGETS[own]["parent"]: "of the parent"}
    others[own if unit != own else TARGETS[own]["child"]] = "of a unit in scope, not this one"
    return wrong + [(label, world.value(param, code)) for code, label in others.items()]


def _require(route: RouteCase) -> None:
    if (route.method, route.path) not in app_unit_routes():
        pytest.fail(f"{route.id} is classified but the portal has no such route (yet)")


def _head(response: Response) -> str:
    kind = response.headers.get("content-type", "")
    if not kind.startswith(_TEXTUAL):
        return f"<{kind}, {len(response.content)} bytes>"
    return " ".join(response.text.split())[:200]


def _report(route: RouteCase, problems: list[str]) -> str:
    shown = "\n  ".join(problems[:60])
    more = f"\n  … and {len(problems) - 60} more" if len(problems) > 60 else ""
    return f"{route.id}: {len(problems)} problem(s)\n  {shown}{more}"
