"""Configuration from the environment (prefix ``QINGLIAN_``), read by pydantic-settings.

Settings are checked when they are first read; a mistake is one bilingual line naming the
environment variable (:func:`get_settings`), never a traceback.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from qinglian.core.errors import QinglianError

ENV_PREFIX = "QINGLIAN_"
# Values that may hold a password or a token: never repeated in an error.
_SECRET_FIELDS = frozenset({"database_url", "notify", "intake_imap", "intake_password"})


class Settings(BaseSettings):
    """Every knob the service has; secrets are ``SecretStr`` so they never print."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="ignore",
    )

    home: Path = Field(default=Path(".qinglian"), description="SQLite file and generated output")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; unset means the SQLite file under home"
    )
    notify: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Notification targets by name: QINGLIAN_NOTIFY__<NAME>=<apprise url>",
    )
    notifier: Literal["apprise", "recording"] = "apprise"
    unit_concurrency: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description="Sibling unit runs at once; unset: 4 on the embedded API, 8 on a server",
    )
    subtrees: Literal["local", "workers"] = Field(
        default="local",
        description="Where a phase's subtrees run: in this process, or on the work pool's workers",
    )
    subtree_level: Literal["province", "city", "county"] = Field(
        default="province", description="The level at which a phase splits into subtree runs"
    )
    subtree_deployment: str = Field(
        default="phase-subtree/phase-subtree", description="The deployment subtrees run on"
    )
    worker_wait_seconds: float = Field(
        default=120.0,
        gt=0,
        le=86400,
        description="How long a subtree run may wait for a worker before the phase fails",
    )

    portal_max_upload_mb: int = Field(
        default=20, ge=1, le=200, description="The largest file the portal accepts, in MiB"
    )
    portal_secure_cookies: bool = Field(
        default=True,
        description="Session cookies only over HTTPS (browsers treat http://localhost as secure)",
    )

    portal_url: str | None = Field(
        default=None,
        description="The portal's address as units reach it (links in messages), e.g. "
        "https://qinglian.example.cn; unset: messages carry no link",
    )

    intake_imap: SecretStr | None = Field(
        default=None,
        description="The intake mailbox units return workbooks to: imaps://user@host[:port]/MAILBOX",
    )
    intake_password: SecretStr | None = Field(
        default=None, description="The intake mailbox's password (or intake_password_block)"
    )
    intake_password_block: str | None = Field(
        default=None, description="A Prefect Secret block holding the intake mailbox's password"
    )
    intake_address: str | None = Field(
        default=None,
        description="The address units reply to (reminders' Reply-To carries the unit's token "
        "as intake+<token>@…); unset: no Reply-To",
    )
    intake_max_mb: int = Field(
        default=20, ge=1, le=100, description="The largest attachment the intake accepts, in MiB"
    )

    report_template: Path | None = Field(
        default=None,
        description="An office's own Word template for the written report (a .docx with the "
        "built-in template's fields); unset: the built-in GB/T 9704 公文 template",
    )
    issuer_name: str | None = Field(
        default=None,
        max_length=60,
        description="发文机关: the office issuing the report of a campaign's root (its 红头 and "
        "落款); unset: the unit's name. A sub-unit's report is issued in its own name",
    )
    issuer_code: str | None = Field(
        default=None,
        max_length=20,
        description="机关代字 of the root report's 发文字号 (e.g. 卫办监察发); unset: the issuer",
    )
    issuer_office: str | None = Field(
        default=None,
        max_length=60,
        description="印发机关 of the root's report; unset: the issuer's name and 办公室",
    )
    report_recipients: str | None = Field(
        default=None,
        max_length=200,
        description="主送机关 of the root's report; unset: 各有关单位 (a sub-unit's report is "
        "sent to its parent)",
    )

    @field_validator("report_template", mode="before")
    @classmethod
    def _template_is_a_docx_file(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None  # set but empty: the built-in template, as when unset
        if not isinstance(value, str | Path):
            return value  # pydantic says what is wrong with it
        path = Path(value)
        if not path.is_file():
            raise ValueError(f"找不到文件「{path}」 / no such file: {path}")
        if path.suffix.lower() != ".docx":
            raise ValueError(
                f"不是 Word 模板（.docx）「{path.name}」 / not a Word template (.docx): {path.name}"
            )
        return path

    @field_validator("issuer_name", "issuer_code", "issuer_office", "report_recipients")
    @classmethod
    def _one_line_of_text(cls, text: str | None) -> str | None:
        if text is None or not text.strip():
            return None  # set but empty: as when unset
        if any(ord(char) < 0x20 or ord(char) == 0x7F for char in text):
            raise ValueError(
                "应为一行文字，不含控制字符 / must be one line without control characters"
            )
        return text.strip()

    @field_validator("home")
    @classmethod
    def _home_is_a_folder(cls, home: Path) -> Path:
        if home.exists() and not home.is_dir():
            raise ValueError("不是文件夹 / is not a folder")
        # Output lives there whatever the database: a folder that can never be made is a
        # mistake on every command, not only on the embedded SQLite one.
        existing = home.absolute()
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            raise ValueError(
                f"无法在文件「{existing}」之下建文件夹 / cannot be made under the file {existing}"
            )
        return home

    @field_validator("database_url")
    @classmethod
    def _url_names_a_known_database(cls, url: str | None) -> str | None:
        if url is None or not url.strip():
            return None  # set but empty: the embedded SQLite file, as when unset
        try:
            make_url(url).get_dialect()
        except NoSuchModuleError:  # an ArgumentError too: it comes first
            kind = make_url(url).drivername
            raise ValueError(
                f"不支持的数据库类型「{kind}」 / unknown database kind {kind!r}"
            ) from None
        except ArgumentError:
            raise ValueError("无法解析的数据库地址 / not a database URL") from None
        return url

    @property
    def sqlite_path(self) -> Path:
        return self.home / "qinglian.db"

    @property
    def is_embedded(self) -> bool:
        """True when running on the built-in SQLite file rather than a configured database."""
        return self.database_url is None

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.sqlite_path.resolve()}"

    @property
    def output_dir(self) -> Path:
        return self.home / "output"


class SettingsError(QinglianError):
    """An environment variable with a value the service cannot use."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()`` after changing env."""
    try:
        return Settings()
    except ValidationError as exc:
        raise settings_error(exc) from None


def settings_error(exc: ValidationError) -> SettingsError:
    """The first bad setting, named as it is set: ``QINGLIAN_NOTIFIER``, never the field."""
    problem = exc.errors()[0]
    field = str(problem["loc"][0]) if problem["loc"] else ""
    name = ENV_PREFIX + field.upper()
    reason = str(problem["msg"]).removeprefix("Value error, ")
    reason_zh, _, reason_en = reason.partition(" / ")
    if not reason_en:  # pydantic's own English: say which value, unless it may be a secret
        shown = "" if field in _SECRET_FIELDS else f"「{problem.get('input')}」"
        expected = problem.get("ctx", {}).get("expected")
        reason_zh = f"取值{shown}无效" + (
            f"，应为 {expected.replace(' or ', ' 或 ')}" if expected else ""
        )
        reason_en = reason
    return SettingsError(f"环境变量 {name} 有误：{reason_zh}", f"{name} is invalid: {reason_en}")
