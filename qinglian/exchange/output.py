"""Files the project writes (templates, tables, rejected rows): named safely, checked first,
written whole.

A name built from what users typed or imported (a unit code, a name, a title) goes through
:func:`file_under`, which keeps it one harmless file name inside its folder. A target that is a
directory, or a folder nobody may write to, is refused with one bilingual line before anything
is imported or written; a file is written under a temporary name beside its target and renamed
into place, so a reader never sees half of it.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable
from pathlib import Path

from qinglian.core.errors import QinglianError
from qinglian.exchange.cells import is_hidden

# ext4 (like most file systems) takes 255 bytes in one name. Less, so that the temporary name
# written beside a file (".<name>.XXXXXXXX.tmp") and a report's "<stem>_charts" folder fit too.
NAME_MAX_BYTES = 200
# Path separators, NUL, and what Windows refuses in a name (the files are opened there).
_UNSAFE = frozenset('/\\\0<>:"|?*')
_DOTS = re.compile(r"\.{2,}")
_LEADING = re.compile(r"^[.\s]+")
# What a long name keeps at its end: ".docx", ".rejected.csv", ".tar.gz".
_SUFFIXES = re.compile(r"(?:\.[^.\s]{1,12}){1,2}$")
_TAG_LENGTH = 8


def safe_file_name(text: str) -> str:
    """``text`` as one harmless file or folder name, the same text giving the same name.

    Path separators, NUL, control, zero-width and bidi characters and the characters Windows
    refuses become ``_``, as do runs of dots and leading dots or blanks (never ``.``, ``..`` or
    a hidden file). A name longer than :data:`NAME_MAX_BYTES` in UTF-8 is cut at a character,
    keeping its suffix, with a digest of the whole text so two long names stay two.
    """
    name = "".join(
        "_" if char in _UNSAFE or is_hidden(char) else char
        for char in unicodedata.normalize("NFC", text)
    )
    name = _LEADING.sub("_", _DOTS.sub("_", name)) or "_"
    if len(name.encode()) <= NAME_MAX_BYTES:
        return name
    found = _SUFFIXES.search(name, 1)
    ending = found.group() if found else ""
    stem = name.removesuffix(ending)
    tag = "~" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:_TAG_LENGTH]
    room = NAME_MAX_BYTES - len(tag) - len(ending.encode())
    return stem.encode()[:room].decode("utf-8", "ignore") + tag + ending


def file_under(folder: Path, *parts: str) -> Path:
    """``folder/part/…/part``, each part made a :func:`safe_file_name`, and checked to resolve
    inside ``folder`` (a symbolic link below it that leads elsewhere is refused).

    Every file named from a code, a name or a title is placed with this; nothing is created.
    """
    if not parts:
        raise ValueError("file_under needs at least one name")
    path = folder.joinpath(*(safe_file_name(part) for part in parts))
    try:
        root = folder.resolve()
        resolved = path.resolve()
    except (OSError, RuntimeError) as exc:  # a symbolic-link loop
        raise QinglianError(
            f"无法写入 {path}：路径无法解析（{exc}）",
            f"cannot write {path}: the path does not resolve ({exc})",
        ) from exc
    if resolved == root or not resolved.is_relative_to(root):
        raise QinglianError(
            f"拒绝写入 {path}：它指向文件夹 {root} 之外（{resolved}），请检查其中的符号链接",
            f"refusing to write {path}: it leads outside the folder {root} (to {resolved}); "
            "check the symbolic links in it",
        )
    return path


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
