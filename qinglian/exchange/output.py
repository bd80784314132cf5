"""Files the project writes (templates, tables, rejected rows): checked first, written whole.

A target that is a directory, or a folder nobody may write to, is refused with one bilingual
line before anything is imported or written; a file is written under a temporary name beside
its target and renamed into place, so a reader never sees half of it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from qinglian.core.errors import QinglianError


def check_writable(path: Path) -> None:
    """Refuse ``path`` unless a file can be written there (missing folders are created later)."""
    if path.is_dir():
        raise QinglianError(
            f"无法写入 {path}：这是一个目录，请删除或改名后重试",
            f"cannot write {path}: it is a directory; remove or rename it and try again",
        )
    if path.exists() and not path.is_file():
        raise QinglianError(
            f"无法写入 {path}：不是普通文件", f"cannot write {path}: it is not a regular file"
        )
    folder = _nearest_existing(path.parent)
    if not folder.is_dir():
        raise QinglianError(
            f"无法写入 {path}：{folder} 不是目录", f"cannot write {path}: {folder} is not a folder"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise QinglianError(
            f"无法写入 {path}：没有 {folder} 的写权限",
            f"cannot write {path}: no permission to write in {folder}",
        )


def cannot_write(path: Path, exc: OSError) -> QinglianError:
    """The file could not be written, and why (the system's own words)."""
    reason = exc.strerror or str(exc)
    return QinglianError(f"无法写入 {path}（{reason}）", f"cannot write {path} ({reason})")


def write_atomically(
    path: Path,
    write: Callable[[Path], object],
    *,
    refuse: Callable[[Path, OSError], QinglianError] = cannot_write,
) -> Path:
    """Let ``write`` fill a temporary file beside ``path``, then move it into place.

    Any failure to write leaves no file behind and is one bilingual error (``refuse`` words
    it for the kind of file).
    """
    check_writable(path)
    temporary: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(descriptor)
        temporary = Path(name)
        write(temporary)
        temporary.chmod(0o644)  # mkstemp's 0600 would keep the file from its readers
        os.replace(temporary, path)
    except OSError as exc:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise refuse(path, exc) from exc
    except BaseException:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise
    return path


def _nearest_existing(folder: Path) -> Path:
    """``folder``, or its closest ancestor that exists (where missing folders would be made)."""
    current = folder.absolute()
    while not current.exists() and current != current.parent:
        current = current.parent
    return current
