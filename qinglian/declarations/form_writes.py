"""Writing checked forms: each changed form a new current ``Declaration`` version with its rows.

Writes go through Core ``executemany`` and the caller's session; nothing here commits.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import Table, insert, update
from sqlmodel import Session, col, select

from models.campaign import Deliverable
from models.enums import DeliverableStatus
from models.form import Declaration
from qinglian.core.sql import chunked
from qinglian.declarations.completeness import FORMS_DELIVERABLE
from qinglian.declarations.form_checks import CadreForm
from qinglian.declarations.form_rows import SECTION_TABLES
from qinglian.rules.status import deliverable_status


class _Current(NamedTuple):
    """A cadre's current declaration in the campaign."""

    id: int
    version: int
    content_hash: str


@dataclass
class FormChanges:
    """What a file changes: new forms, amended ones, and how many are as recorded."""

    new: list[CadreForm]
    amended: list[CadreForm]
    unchanged: int
    current: dict[int, _Current]
    versions: dict[int, int]

    @property
    def changed(self) -> list[CadreForm]:
        return [*self.new, *self.amended]


def plan_changes(session: Session, campaign_id: int, forms: Sequence[CadreForm]) -> FormChanges:
    """Hash every form and compare it with the cadre's current declaration in the campaign."""
    cadre_ids = [form.cadre.id for form in forms]
    current, versions = _load_versions(session, campaign_id, cadre_ids)
    new: list[CadreForm] = []
    amended: list[CadreForm] = []
    for form in forms:
        form.content_hash = _content_hash(form)
        existing = current.get(form.cadre.id)
        if existing is None:
            new.append(form)
        elif existing.content_hash != form.content_hash:
            amended.append(form)
    unchanged = len(forms) - len(new) - len(amended)
    return FormChanges(new, amended, unchanged, current, versions)


def write_declarations(
    session: Session,
    campaign_id: int,
    path: Path,
    changes: FormChanges,
    *,
    as_of: date,
    reason: str | None,
) -> Counter[DeliverableStatus]:
    """Supersede the amended forms' declarations, insert the new versions and their rows.

    Returns how many forms came in on time and late, against the unit's forms deliverable.
    """
    current, versions, changed = changes.current, changes.versions, changes.changed
    superseded = [current[form.cadre.id].id for form in changes.amended]
    for chunk in chunked(superseded):
        session.execute(
            update(Declaration).where(col(Declaration.id).in_(chunk)).values(is_current=False)
        )
    dues = _load_dues(session, campaign_id, sorted({form.cadre.unit_id for form in changed}))
    recorded_at = datetime.now(UTC)
    source_file = path.name[:300]
    declarations: list[dict[str, Any]] = []
    statuses: Counter[DeliverableStatus] = Counter()
    for form in changed:
        basics = form.basics.values
        submitted_on = basics["submitted_on"] or as_of
        is_amendment = form.cadre.id in current
        declarations.append(
            {
                "campaign_id": campaign_id,
                "cadre_id": form.cadre.id,
                "unit_id": form.cadre.unit_id,
                "version": versions.get(form.cadre.id, 0) + 1,
                "is_current": True,
                "submitted_on": submitted_on,
                "signed_on": basics["signed_on"],
                "nothing_to_declare": bool(basics["nothing_to_declare"]),
                "left_within_3_years": bool(basics["left_within_3_years"]),
                "amendment_reason": reason if is_amendment and reason else "",
                "content_hash": form.content_hash,
                "source_file": source_file,
                "recorded_at": recorded_at,
            }
        )
        due_on = dues.get(form.cadre.unit_id)
        if due_on is not None:
            statuses[deliverable_status(due_on, submitted_on, as_of)] += 1
    # Core executemany on the table, RETURNING in batches. Asking for parameter order would
    # make SQLite insert row by row; each cadre has one new version, so its id is the key.
    connection = session.connection()
    table = _table(Declaration)
    statement = insert(table).returning(table.c.cadre_id, table.c.id)
    ids = {cadre_id: new_id for cadre_id, new_id in connection.execute(statement, declarations)}
    section_rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for form in changed:
        declaration_id = ids[form.cadre.id]
        for row in form.rows:
            section_rows[row.section.key].append(
                {
                    "declaration_id": declaration_id,
                    "sheet": row.cells.table.sheet[:50],
                    "row": row.number,
                    **row.values,
                }
            )
    for key, values in section_rows.items():
        connection.execute(insert(_table(SECTION_TABLES[key])), values)
    session.flush()
    return statuses


def _content_hash(form: CadreForm) -> str:
    """sha256 over one line per row, sorted: neither row nor sheet order counts."""
    basics = form.basics.values
    signed_on = basics["signed_on"]
    lines = sorted(f"{row.section.key}\t{row.canonical}" for row in form.rows)
    lines.insert(
        0,
        f"basics\t{int(bool(basics['nothing_to_declare']))}"
        f"\t{int(bool(basics['left_within_3_years']))}"
        f"\t{signed_on.isoformat() if signed_on else ''}",
    )
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _table(model: Any) -> Table:
    return model.__table__


def _load_versions(
    session: Session, campaign_id: int, cadre_ids: Sequence[int]
) -> tuple[dict[int, _Current], dict[int, int]]:
    """Per cadre of the file: its current declaration in the campaign, and its last version."""
    table = _table(Declaration)
    connection = session.connection()
    current: dict[int, _Current] = {}
    last: dict[int, int] = {}
    for chunk in chunked(cadre_ids):
        statement = select(
            table.c.cadre_id,
            table.c.id,
            table.c.version,
            table.c.content_hash,
            table.c.is_current,
        ).where(table.c.campaign_id == campaign_id, table.c.cadre_id.in_(chunk))
        for cadre_id, declaration_id, version, content_hash, is_current in connection.execute(
            statement
        ):
            last[cadre_id] = max(version, last.get(cadre_id, 0))
            if is_current:
                current[cadre_id] = _Current(declaration_id, version, content_hash)
    return current, last


def _load_dues(session: Session, campaign_id: int, unit_ids: Sequence[int]) -> dict[int, date]:
    table = _table(Deliverable)
    connection = session.connection()
    found: dict[int, date] = {}
    for chunk in chunked(unit_ids):
        statement = select(table.c.unit_id, table.c.due_on).where(
            table.c.campaign_id == campaign_id,
            table.c.kind == FORMS_DELIVERABLE,
            table.c.unit_id.in_(chunk),
        )
        found.update({unit_id: due_on for unit_id, due_on in connection.execute(statement)})
    return found
