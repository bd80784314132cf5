"""Configuration from the environment (prefix ``QINGLIAN_``), read by pydantic-settings."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every knob the service has; secrets are ``SecretStr`` so they never print."""

    model_config = SettingsConfigDict(
        env_prefix="QINGLIAN_",
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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; tests call ``get_settings.cache_clear()`` after changing env."""
    return Settings()
