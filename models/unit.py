"""The organisational tree: one row per unit, ministry down to department."""

from __future__ import annotations

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from models.enums import Level, UnitKind


class UnitBase(SQLModel):
    code: str = Field(max_length=64, index=True, unique=True)
    name: str = Field(max_length=200)
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    level: Level
    kind: UnitKind
    office_email: str | None = Field(default=None, max_length=200)
    office_webhook: str | None = Field(
        default=None, max_length=100, description="a notification target name, never a URL"
    )
    head: str | None = Field(default=None, max_length=100)
    discipline_email: str | None = Field(default=None, max_length=200)


class UnitContacts(SQLModel):
    """Mobile numbers of a unit's contacts: personal data, for @-mentions in WeCom/DingTalk only.

    Never in ``UnitPublic``, a log, an error, an artifact or a message body: the bot sender puts
    them in the mention list of the request it makes, nowhere else.
    """

    office_mobile: str | None = Field(default=None, max_length=20, repr=False)
    head_mobile: str | None = Field(default=None, max_length=20, repr=False)


class Unit(UnitBase, UnitContacts, table=True):
    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    # Materialised path "/1/5/17/" so a subtree is one indexed LIKE, not a recursive walk.
    path: str = Field(default="/", max_length=1000, index=True)
    depth: int = 0
    # The unit's reply token (回复码): carried in the Reply-To and subject of the mail it is sent,
    # it tells the intake mailbox which unit a returned workbook comes from. Random, made on
    # first use (qinglian.intake), never derived from the code.
    reply_token: str | None = Field(
        default=None, max_length=32, unique=True, index=True, repr=False
    )


class UnitCreate(UnitBase, UnitContacts):
    parent_code: str | None = None


class UnitPublic(UnitBase):
    id: int
    parent_id: int | None
    depth: int
