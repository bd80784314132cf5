"""Engine and sessions for SQLite and PostgreSQL, and the check that the schema is current."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, event, inspect, text
from sqlalchemy.engine import ExceptionContext, make_url
from sqlmodel import Session, create_engine

from qinglian.core.errors import QinglianError
from qinglian.core.settings import Settings, get_settings

ALEMBIC_DIR = Path(__file__).resolve().parents[2] / "alembic"
VERSIONS_DIR = ALEMBIC_DIR / "versions"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the CLI read while a flow writes; busy_timeout waits instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class TextTooLong(QinglianError):
    """A value longer than its column: SQLite would store it, PostgreSQL would refuse it."""


@event.listens_for(Session, "before_flush")
def _check_text_lengths(session: Session, _context: object, _instances: object) -> None:
    """Refuse, on both databases alike, any text longer than its column (or holding a NUL
    character), naming the field.

    SQLite ignores a VARCHAR's length and PostgreSQL raises a DataError at the INSERT; either
    way the user would see no clear line. Core inserts (the bulk importers) check their cells
    themselves; this covers every ORM write (the CLI's single-row commands).
    """
    for row in (*session.new, *session.dirty):
        table = getattr(row, "__table__", None)
        if table is None:
            continue
        for column in table.columns:
            limit = getattr(column.type, "length", None)  # String, and SQLModel's AutoString
            value = getattr(row, column.key, None)
            if isinstance(value, str) and "\x00" in value:
                # PostgreSQL refuses it with a DataError; SQLite would store it.
                raise TextTooLong(
                    f"「{column.key}」含有 NUL 字符，未保存",
                    f"{column.key!r} holds a NUL character; nothing was saved",
                )
            if limit and isinstance(value, str) and len(value) > limit:
                raise TextTooLong(
                    f"「{column.key}」最长 {limit} 个字符，实为 {len(value)} 个，未保存",
                    f"{column.key!r} is at most {limit} characters ({len(value)} given); "
                    "nothing was saved",
                )


class DatabaseUnavailable(QinglianError):
    """The database cannot be reached or opened: a setting or the server, not the data."""


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine per database URL for the life of the process.

    ``hide_parameters``: a statement's values (names, mobiles, message bodies) never reach a log
    or an exception's text, even with SQL logging turned on.
    """
    try:
        if url.startswith("sqlite"):
            engine = create_engine(
                url, connect_args={"check_same_thread": False}, hide_parameters=True
            )
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            # A server that does not answer fails in seconds, not at the OS's TCP timeout.
            # The portal serves up to PORTAL_THREADS requests at once in each worker.
            engine = create_engine(
                url,
                pool_pre_ping=True,
                hide_parameters=True,
                pool_size=5,
                max_overflow=20,
                connect_args={"connect_timeout": 10},
            )
    except ImportError as exc:  # the URL names a driver that is not installed
        raise DatabaseUnavailable(
            f"环境变量 QINGLIAN_DATABASE_URL 所用的数据库驱动未安装（{exc.name}）",
            f"QINGLIAN_DATABASE_URL names a database driver that is not installed ({exc.name})",
        ) from None
    event.listen(engine, "handle_error", _refused_connection)
    return engine


def _refused_connection(context: ExceptionContext) -> None:
    """A connection that could not be opened says where it tried, without the password."""
    if context.connection is not None or context.engine is None:
        return  # an error of a statement: the caller's to handle
    where = make_url(str(context.engine.url)).render_as_string(hide_password=True)
    reason = str(context.original_exception).strip().splitlines()[0]
    raise DatabaseUnavailable(
        f"无法连接数据库 {where}（请检查 QINGLIAN_DATABASE_URL 或 QINGLIAN_HOME）",
        f"cannot connect to the database {where} (check QINGLIAN_DATABASE_URL or "
        f"QINGLIAN_HOME): {reason}",
    )


def get_engine(settings: Settings | None = None) -> Engine:
    settings = settings or get_settings()
    if settings.is_embedded:
        try:
            settings.home.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseUnavailable(
                f"环境变量 QINGLIAN_HOME 所指的文件夹「{settings.home}」无法创建（{exc.strerror}）",
                f"QINGLIAN_HOME {str(settings.home)!r} cannot be created: {exc.strerror}",
            ) from None
    return engine_for(settings.effective_database_url)


@contextmanager
def session_scope(settings: Settings | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error: all or nothing."""
    with Session(get_engine(settings), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def latest_revision() -> str:
    """The newest migration's revision, read off the file names (``0005_….py`` is ``0005``).

    Revisions are numbered in order, so this is Alembic's head without loading Alembic and
    every migration script: about 0.2 s saved on every command (``tests/core/test_migrations``
    checks the two agree).
    """
    return max(path.name.split("_", 1)[0] for path in VERSIONS_DIR.glob("[0-9]*_*.py"))


def stored_revision(engine: Engine) -> str | None:
    """The revision the database says it is at, or None for a database never migrated."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def ensure_schema(settings: Settings | None = None) -> None:
    """Upgrade the embedded SQLite on the fly; a configured database must be upgraded by hand."""
    settings = settings or get_settings()
    if stored_revision(get_engine(settings)) == latest_revision():
        return
    if not settings.is_embedded:
        raise QinglianError(
            "数据库结构不是最新版本，请先运行 `qinglian db upgrade`",
            "the database schema is not up to date; run `qinglian db upgrade` first",
        )
    # Alembic is loaded only when there is something to migrate (see latest_revision).
    from qinglian.core import migrations

    migrations.upgrade(settings)
