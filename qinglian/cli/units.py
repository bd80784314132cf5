"""`qinglian units`: import the org units and print their tree."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text
from rich.tree import Tree
from sqlmodel import select

from models import Unit
from qinglian.cli.common import UNIT_CODE, console, count_parser, friendly
from qinglian.cli.database import SkipInvalid, database_app, import_file
from qinglian.core import db
from qinglian.org.import_units import import_units
from qinglian.org.units import get_unit_by_code, subtree

app = database_app("units", "单位 / org units")
MOST_LEVELS = 99  # deeper than any org tree; bounds the number typed


@app.command("import")
@friendly
def units_import(file: Path, skip_invalid: SkipInvalid = False) -> None:
    """导入单位（XLSX/XLS/ET/CSV）/ import units."""
    import_file(import_units, path=file, skip_invalid=skip_invalid)


@app.command("tree")
@friendly
def units_tree(
    code: Annotated[
        str | None, typer.Argument(**UNIT_CODE, help="从此单位开始 / start here")
    ] = None,
    depth: Annotated[
        int | None,
        typer.Option(
            parser=count_parser("层数", "--depth", MOST_LEVELS),
            metavar="N",
            help="最多显示几层 / levels to show",
        ),
    ] = None,
) -> None:
    """显示单位树 / print the org tree."""
    with db.session_scope() as session:
        if code:
            roots = [get_unit_by_code(session=session, code=code)]
        else:
            roots = list(session.exec(select(Unit).where(Unit.parent_id == None)))  # noqa: E711
        if not roots:
            console.print("还没有单位，请先导入 / no units yet: run `qinglian units import FILE`")
            return
        for root in roots:
            units = subtree(session=session, unit=root)
            console.print(_unit_tree(root, units, depth))


def _unit_tree(root: Unit, units: Iterable[Unit], depth: int | None) -> Tree:
    branches: dict[int | None, Tree] = {}
    tree = Tree(_unit_label(root))
    branches[root.id] = tree
    for unit in units:
        if unit.id == root.id or unit.parent_id not in branches:
            continue
        if depth is not None and unit.depth - root.depth > depth:
            continue
        branches[unit.id] = branches[unit.parent_id].add(_unit_label(unit))
    return tree


def _unit_label(unit: Unit) -> Text:
    alias = f"（{'、'.join(unit.aliases)}）" if unit.aliases else ""
    label = Text(unit.name, style="bold")
    label.append(alias)
    label.append(f" {unit.code} · {unit.level.label}", style="dim")
    return label
