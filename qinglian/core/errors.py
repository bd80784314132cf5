"""Errors users see: always Chinese first, English beside it, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass


class QinglianError(Exception):
    """An expected failure with a bilingual, one-line message for the user."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh = zh
        self.en = en


class NotFoundError(QinglianError):
    """Something named by the user does not exist."""


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one input row was rejected, pointing at the exact cell."""

    file: str
    sheet: str
    row: int
    column: str
    zh: str
    en: str

    def __str__(self) -> str:
        return (
            f"{self.file} [{self.sheet}] 第{self.row}行 列「{self.column}」: "
            f"{self.zh} / row {self.row}, column {self.column!r}: {self.en}"
        )


class ImportRejected(QinglianError):
    """A file with invalid rows; nothing was imported."""

    def __init__(self, file: str, errors: list[RowError]) -> None:
        super().__init__(
            f"{file}: {len(errors)} 行无效，未导入任何数据（可用 --skip-invalid 跳过无效行）",
            f"{file}: {len(errors)} invalid row(s), nothing imported "
            "(use --skip-invalid to import the valid rows)",
        )
        self.errors = errors
