"""A report file appears whole or not at all; ``ReportError`` says why it did not."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from qinglian.core.errors import QinglianError


class ReportError(QinglianError):
    """The report could not be written; nothing was left behind."""


def write_atomically(path: Path, write: Callable[[Path], object]) -> None:
    """Let ``write`` fill a temporary file beside ``path``, then move it into place."""
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(descriptor)
    temporary = Path(name)
    try:
        write(temporary)
        temporary.chmod(0o644)  # mkstemp's 0600 would keep the report from its readers
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
