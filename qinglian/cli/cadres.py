"""`qinglian cadres`: import the in-scope cadres."""

from __future__ import annotations

from pathlib import Path

from qinglian.cli.common import friendly
from qinglian.cli.database import SkipInvalid, database_app, import_file
from qinglian.org.import_cadres import import_cadres

app = database_app("cadres", "适用对象干部 / in-scope cadres")


@app.command("import")
@friendly
def cadres_import(file: Path, skip_invalid: SkipInvalid = False) -> None:
    """导入适用对象干部（XLSX/XLS/ET/CSV）/ import in-scope cadres."""
    import_file(import_cadres, path=file, skip_invalid=skip_invalid)
