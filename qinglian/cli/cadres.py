"""`qinglian cadres`: import the in-scope cadres."""

from __future__ import annotations

from pathlib import Path

import typer

from qinglian.cli.common import friendly
from qinglian.cli.database import DatabaseGroup, SkipInvalid, import_file
from qinglian.org.import_cadres import import_cadres

app = typer.Typer(
    name="cadres", cls=DatabaseGroup, help="适用对象干部 / in-scope cadres", no_args_is_help=True
)


@app.command("import")
@friendly
def cadres_import(file: Path, skip_invalid: SkipInvalid = False) -> None:
    """导入适用对象干部（XLSX/CSV）/ import in-scope cadres."""
    import_file(import_cadres, path=file, skip_invalid=skip_invalid)
