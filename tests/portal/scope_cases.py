"""The world and the rules of the portal's scope matrix (tests/portal/test_scope.py).

The world: the seed tree (卫生部 → 江苏省卫生厅 → 连云港市卫生局 → 连妇保 → 产科) plus 浙江省卫生厅
(``ZJ``, a province no test account belongs to), coi-2012 launched over all of it, the twelve
accounts of :mod:`tests.portal.conftest`, and for every unit a record of each kind a route can
name by id (a deliverable, a rectification item, an uploaded file), so an out-of-scope request
always names something that really exists.

The rules: which routes exist (:data:`ROUTES`, every ``{code}`` route classified by hand), and
which units each role reaches through them (:data:`REACH`), by the target's relation to the
account's own unit (:data:`TARGETS`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from pathlib import Path

import pytest
from fastapi.routing import iter_route_contexts
from sqlmodel import Session, col, select

from models import Deliverable, Unit
from models.account import Account
from models.enums import (
    AccountRole,
    FindingCategory,
    FindingSource,
    FindingStatus,
    Level,
    UnitKind,
    UploadPurpose,
)
from models.finding import Finding
from models.rectification import RectificationItem
from qinglian.campaigns.launch import launch_campaign
from qinglian.core import db
from qinglian.org.units import get_unit_by_code
from qinglian.portal.app import create_app
from qinglian.rectification.creation import ensure_rectification_items
from qinglian.uploads import TEXT, Incoming, store_upload
from tests.factories import (
    FB,
    FB_OBSTETRICS,
    JS,
    LYG,
    MOH,
    Qinglian,
    add_unit,
    import_seed_tree,
    qinglian_cli,
)
from tests.portal.conftest import (
    DAY,
    PASSWORD,
    PortalClient,
    add_accounts,
    log_in,
    set_portal_day,
)

ZJ = "ZJ"
ABSENT = "NO-SUCH-UNIT"
ALL_UNITS = (MOH, JS, ZJ, LYG, FB, FB_OBSTETRICS)
# The account prefixes of tests/portal/conftest.py and their units.
ACCOUNT_UNITS = {"fb": FB, "lyg": LYG, "js": JS}
ROLES = tuple(role.value for role in AccountRole)
LOGINS = tuple(f"{prefix}-{role}" for prefix in ACCOUNT_UNITS for role in ROLES)

# Per account unit, the unit each relation names. ZJ is no one's relative; ABSENT does not exist.
TARGETS: dict[str, dict[str, str]] = {
    FB: {"own": FB, "child": FB_OBSTETRICS, "parent": LYG, "unrelated": ZJ, "absent": ABSENT},
    LYG: {
        "own": LYG,
        "child": FB,
        "grandchild": FB_OBSTETRICS,
        "parent": JS,
        "unrelated": ZJ,
        "absent": ABSENT,
    },
    JS: {
        "own": JS,
        "child": LYG,
        "grandchild": FB,
        "parent": MOH,
        "unrelated": ZJ,
        "absent": ABSENT,
    },
}


class Rule(Enum):
    unit = "unit"  # reads: office/head the own unit, admin its subtree, discipline nothing
    write = "write"  # changes: the same, and never discipline
    rates = "rates"  # office/head/admin of the unit or of any ancestor; discipline: nothing


_SUBTREE = frozenset({"own", "child", "grandchild"})
# What each role reaches, by the target's relation to the account's unit. Discipline gets its
# pages with the case desk: until then every unit page and API answers it 404.
REACH: dict[Rule, dict[str, frozenset[str]]] = {
    Rule.unit: {
        "office": frozenset({"own"}),
        "head": frozenset({"own"}),
        "admin": _SUBTREE,
        "discipline": frozenset(),
    },
    Rule.write: {
        "office": frozenset({"own"}),
        "head": frozenset({"own"}),
        "admin": _SUBTREE,
        "discipline": frozenset(),
    },
    Rule.rates: {
        "office": _SUBTREE,
        "head": _SUBTREE,
        "admin": _SUBTREE,
        "discipline": frozenset(),
    },
}


@dataclass(frozen=True)
class RouteCase:
    method: str
    path: str
    rule: Rule = Rule.unit

    @property
    def api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"


# Every route with a {code}: a new one must be added here (test_every_unit_route_is_classified).
ROUTES: tuple[RouteCase, ...] = (
    RouteCase("GET", "/units/{code}"),
    RouteCase("GET", "/units/{code}/forms"),
    RouteCase("GET", "/units/{code}/forms/template.xlsx"),
    RouteCase("POST", "/units/{code}/forms", Rule.write),
    RouteCase("GET", "/units/{code}/deliverables"),
    RouteCase("POST", "/units/{code}/deliverables/leading-group", Rule.write),
    RouteCase("POST", "/units/{code}/deliverables/{deliverable_id}/record", Rule.write),
    RouteCase("POST", "/units/{code}/deliverables/{deliverable_id}/evidence", Rule.write),
    RouteCase("GET", "/units/{code}/summaries"),
    RouteCase("POST", "/units/{code}/summaries/{phase_key}", Rule.write),
    RouteCase("GET", "/units/{code}/rectification"),
    RouteCase("POST", "/units/{code}/rectification/{item_id}/status", Rule.write),
    RouteCase("POST", "/units/{code}/rectification/{item_id}/evidence", Rule.write),
    RouteCase("GET", "/units/{code}/rates", Rule.rates),
    RouteCase("GET", "/units/{code}/rates.xlsx", Rule.rates),
    RouteCase("GET", "/units/{code}/files/{upload_id}"),
    RouteCase("GET", "/api/units/{code}/status"),
    RouteCase("GET", "/api/units/{code}/forms/template.xlsx"),
    RouteCase("POST", "/api/units/{code}/forms", Rule.write),
)

PHASE = "mobilize"
# An id no row has (still inside the routes' 1 … 2**31-1 bounds), and a phase no campaign has.
UNKNOWN = {"deliverable_id": str(2**31 - 1), "item_id": str(2**31 - 1), "upload_id": "2147483647"}
UNKNOWN_PHASE = "no-such-phase"
PROBE_FILE = ("probe.txt", "核查用文件 probe\n".encode(), "text/plain")


def app_unit_routes() -> set[tuple[str, str]]:
    """(method, path) of every GET/POST route of the portal whose path names a unit (FastAPI
    0.150 nests included routers: :func:`iter_route_contexts` flattens them)."""
    found = set()
    for route in iter_route_contexts(create_app().routes):
        path = route.path or ""
        names_unit = "{code}" in path or path.startswith(("/units", "/api/units"))
        for method in route.methods or ():
            if names_unit and method in {"GET", "POST"}:
                found.add((method, path))
    return found


def extra_params(path: str) -> list[str]:
    """The path parameters other than ``code``, in order."""
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part != "{code}"]


@dataclass
class World:
    cli: Qinglian
    campaign_id: int
    home: Path
    clients: dict[str, PortalClient] = field(default_factory=dict)
    anonymous: PortalClient | None = None
    # Per unit code, the id of one of its records of each kind.
    deliverables: dict[str, int] = field(default_factory=dict)
    items: dict[str, int] = field(default_factory=dict)
    uploads: dict[str, int] = field(default_factory=dict)
    upload_bytes: dict[str, bytes] = field(default_factory=dict)

    def value(self, param: str, unit: str) -> str:
        """A real value of ``param`` that belongs to ``unit`` (to FB for a unit that does not
        exist: then only the code can make the answer a 404)."""
        owner = FB if unit == ABSENT else unit
        match param:
            case "deliverable_id":
                return str(self.deliverables[owner])
            case "item_id":
                return str(self.items[owner])
            case "upload_id":
                return str(self.uploads[owner])
            case "phase_key" | "phase":
                return PHASE
        raise AssertionError(f"path parameter {{{param}}} is not known to the scope matrix")

    def url(self, route: RouteCase, unit: str, **override: str) -> str:
        values = {name: self.value(name, unit) for name in extra_params(route.path)}
        values |= override
        return route.path.format(code=unit, **values)

    def unknown(self, param: str) -> str:
        return UNKNOWN_PHASE if param in {"phase_key", "phase"} else UNKNOWN[param]


def build_world(kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """The world on a fresh database of ``kind``; every account logged in once."""
    with qinglian_cli(kind, tmp_path, monkeypatch) as cli:
        db.ensure_schema()
        with db.session_scope() as session:
            import_seed_tree(session, tmp_path)
            add_unit(
                session,
                get_unit_by_code(session=session, code=MOH),
                code=ZJ,
                name="浙江省卫生厅",
                level=Level.province,
                kind=UnitKind.health_admin,
            )
            campaign, _ = launch_campaign(session=session, template_key="coi-2012", root_code=MOH)
            assert campaign.id is not None
            campaign_id = campaign.id
            add_accounts(session)
            units = {code: get_unit_by_code(session=session, code=code) for code in ALL_UNITS}
            world = World(cli=cli, campaign_id=campaign_id, home=cli.home)
            _add_records(session, world, campaign_id, units)
        set_portal_day(campaign_id, DAY)
        for login in LOGINS:
            client = _client()
            log_in(client, login, PASSWORD)
            world.clients[login] = client
        world.anonymous = _client()
        try:
            yield world
        finally:
            for client in (*world.clients.values(), world.anonymous):
                client.close()


def _client() -> PortalClient:
    return PortalClient(create_app(), base_url="https://testserver", follow_redirects=False)


def _add_records(session: Session, world: World, campaign_id: int, units: dict[str, Unit]) -> None:
    """For every unit: a deliverable (launched, or added for a unit below the run depth), a
    confirmed finding's rectification item, and a stored file."""
    uploader = session.exec(select(Account).where(Account.login == "js-admin")).one()
    assert uploader.id is not None
    phase_of_any = session.exec(
        select(Deliverable.phase_id).where(Deliverable.campaign_id == campaign_id)
    ).first()
    assert phase_of_any is not None
    for code, unit in units.items():
        assert unit.id is not None
        deliverable = session.exec(
            select(Deliverable)
            .where(Deliverable.campaign_id == campaign_id, Deliverable.unit_id == unit.id)
            .order_by(col(Deliverable.id))
        ).first()
        if deliverable is None:
            deliverable = Deliverable(
                campaign_id=campaign_id,
                phase_id=phase_of_any,
                unit_id=unit.id,
                kind="scope_probe",
                title="核查用事项",
                due_on=date(2012, 8, 5),
            )
            session.add(deliverable)
            session.flush()
        assert deliverable.id is not None
        world.deliverables[code] = deliverable.id
        session.add(
            Finding(
                campaign_id=campaign_id,
                unit_id=unit.id,
                source=FindingSource.rule_review,
                category=FindingCategory.concurrent_leadership,
                status=FindingStatus.confirmed,
                summary=f"{code} 制度清单问题",
                fingerprint=f"scope-{code}",
                found_on=date(2012, 7, 17),
            )
        )
        data = f"{code} 的佐证材料\n".encode()
        upload = store_upload(
            session=session,
            incoming=Incoming(filename=f"{code}.txt", media_type=TEXT, data=data),
            purpose=UploadPurpose.evidence,
            campaign_id=campaign_id,
            unit_id=unit.id,
            account_id=uploader.id,
            subject=f"deliverable:{deliverable.id}",
        )
        assert upload.id is not None
        world.uploads[code], world.upload_bytes[code] = upload.id, data
    session.flush()
    ensure_rectification_items(
        session=session, campaign_id=campaign_id, default_due=date(2012, 7, 18)
    )
    by_unit = {unit.id: code for code, unit in units.items()}
    for item_id, unit_id in session.exec(
        select(RectificationItem.id, RectificationItem.unit_id).where(
            RectificationItem.campaign_id == campaign_id
        )
    ):
        assert item_id is not None
        world.items[by_unit[unit_id]] = item_id
