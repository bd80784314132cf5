"""The digests: one message per target, its notices grouped by audience then unit (督办通知),
composed for the target's channel.

Mail and plain webhooks get the full text; bots that take markdown (WeCom, DingTalk) a short
layout (:mod:`qinglian.oversight.digest_sections` says what either lists, most urgent first). A
digest over its channel's limit goes out in numbered parts, each a message of its own with its
own key, carrying the item-steps it lists or counts (:mod:`qinglian.oversight.digest_parts`).
Who is @-mentioned travels beside the message, never in it.

Rendered from the Jinja2 templates in ``qinglian/oversight/messages``; persisting them is
:mod:`qinglian.oversight.outbox`'s.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from models.campaign import Campaign
from models.enums import MessageFormat
from qinglian.notify.channels import EMAIL, Channel
from qinglian.notify.targets import is_email_target
from qinglian.org.reply_tokens import reply_address, subject_tag
from qinglian.oversight.digest_parts import (
    WIDEST_LABEL,
    Piece,
    carried,
    pack,
    part_key,
    part_label,
    view,
)
from qinglian.oversight.digest_sections import (
    ItemRows,
    Layout,
    Section,
    SectionGroup,
    build_sections,
    headline,
    mobiles,
    recipient_line,
)
from qinglian.oversight.notices import Notice
from qinglian.oversight.recipients import UnitEntry, recipient_units

MESSAGES_DIR = Path(__file__).resolve().parent / "messages"
DIGEST_TEMPLATE = "digest.j2"
MARKDOWN_TEMPLATE = "digest_md.j2"


@dataclass(frozen=True, slots=True)
class Digest:
    """One message for one target: a whole digest, or part ``part`` of ``parts`` of one, and
    the item-steps it carries (those it lists or counts)."""

    target: str
    key: str
    title: str
    body: str
    notices: tuple[Notice, ...]
    format: MessageFormat = MessageFormat.text
    part: int = 1
    parts: int = 1
    mentions: tuple[str, ...] = field(default=(), repr=False)  # mobile numbers: personal data
    unit_id: int | None = None
    reply_to: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Routing:
    """How each target is reached: its channel, and what messages link and reply to.

    A target missing from ``channels`` gets plain text without a limit (a plain webhook, or a
    target whose channel is not configured). ``reply_tokens`` are by unit id, for mail.
    """

    channels: Mapping[str, Channel] = field(default_factory=dict)
    portal_url: str | None = None
    intake_address: str | None = None
    reply_tokens: Mapping[int, str] = field(default_factory=dict)


def by_mail(target: str, channel: Channel | None) -> bool:
    """Whether the target is reached by mail (an address, or a name whose URL is mailto)."""
    return is_email_target(target) or (channel is not None and channel.name == EMAIL.name)


def message_limit(channel: Channel | None) -> int | None:
    """The channel's limit in the format it is sent in (UTF-8 bytes); None: no limit."""
    if channel is None:
        return None
    return channel.limit if channel.markdown else channel.text_limit or channel.limit


def message_bytes(title: str, body: str, mentions: Sequence[str] = ()) -> int:
    """What a message weighs against its channel's limit, in UTF-8 bytes: the title and body
    as one text (a bot without a title field gets them joined by a line break), and the line
    of @-mentions a bot may add (``@<mobile>`` each)."""
    size = len(title.encode()) + 2 + len(body.encode())
    return size + (2 + sum(len(m.encode()) + 2 for m in mentions) if mentions else 0)


_ENV = Environment(
    loader=FileSystemLoader(MESSAGES_DIR),
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
    undefined=StrictUndefined,
)


class _Renderer:
    """One format's template with its render context, shared by every digest of a sweep."""

    def __init__(self, fmt: MessageFormat, template: str, values: Mapping[str, object]) -> None:
        self.format = fmt
        loaded = _ENV.get_template(template)
        self._title, self._body = loaded.blocks["title"], loaded.blocks["body"]
        # One context for every digest, its values replaced per digest: shared=True makes this
        # dict the context's own (no copy, no Jinja globals; the template sets no variables),
        # which spares building a context 50,000 times in a national sweep.
        self.values = dict(values)
        self._context = loaded.new_context(self.values, shared=True)

    def render(self, sections: list[Section], label: str, short_key: str) -> tuple[str, str]:
        self.values["sections"] = sections
        self.values["part_label"] = label
        self.values["short_key"] = short_key
        context = self._context
        return "".join(self._title(context)).strip(), "".join(self._body(context)).strip()


def compose_digests(
    notices: Iterable[Notice],
    *,
    campaign: Campaign,
    as_of: date,
    directory: Mapping[int, UnitEntry],
    routing: Routing | None = None,
) -> list[Digest]:
    """One digest per target (in parts where its channel's limit asks), by target.

    ``notices`` carry each (target, item-step) once, as :func:`notices_for` makes them.
    """
    routing = routing or Routing()
    by_target: dict[str, list[Notice]] = {}
    for notice in notices:
        queued = by_target.get(notice.target)
        if queued is None:
            by_target[notice.target] = [notice]
        else:
            queued.append(notice)
    values = {
        "campaign_title": campaign.title,
        "campaign_short": _short_title(campaign.title),
        "as_of_zh": f"{as_of.year}年{as_of.month}月{as_of.day}日",
        "closing": "专项活动办公室",
    }
    renderers = {
        False: _Renderer(MessageFormat.text, DIGEST_TEMPLATE, values),
        True: _Renderer(MessageFormat.markdown, MARKDOWN_TEMPLATE, values),
    }
    layouts: dict[tuple[bool, bool], tuple[Layout, ItemRows]] = {}
    owners = recipient_units(directory)
    portal = (routing.portal_url or "").rstrip("/")
    digests: list[Digest] = []
    for target in sorted(by_target):
        target_notices = tuple(by_target[target])
        key = digest_key(campaign.id or 0, target, as_of, [n.item_step for n in target_notices])
        channel = routing.channels.get(target)
        limit = message_limit(channel)
        shape = (channel is not None and channel.markdown, limit is not None)
        found = layouts.get(shape)
        if found is None:
            layout = Layout(*shape, portal)
            found = layouts[shape] = (layout, ItemRows(as_of, layout))
        layout, item_rows = found
        sections = build_sections(target_notices, directory, item_rows, layout, as_of)
        unit_id = owners.get(target)
        recipient = directory.get(unit_id) if unit_id is not None else None
        renderer = renderers[layout.markdown]
        renderer.values["recipient"] = recipient_line(sections)
        renderer.values["total"] = sum(section.count for section in sections)
        renderer.values["headline"] = headline(sections)
        title, body = renderer.render([s.view for s in sections], "", key[:16])
        mentions: tuple[str, ...] = ()
        if channel is not None and channel.mentions:
            mentions = _mentions(sections, recipient)
        reply_to, tag = _reply(target, channel, unit_id, routing)
        whole = Digest(
            target=target,
            key=key,
            title=title + tag,
            body=body,
            notices=target_notices,
            format=renderer.format,
            mentions=mentions,
            unit_id=unit_id,
            reply_to=reply_to,
        )
        if limit is None or message_bytes(whole.title, body, mentions) <= limit:
            digests.append(whole)
        else:
            split = _Split(whole, sections, renderer, limit, tag, recipient)
            digests.extend(split.parts())
    return digests


def digest_key(campaign_id: int, target: str, as_of: date, item_steps: Iterable[str]) -> str:
    """sha256 of the campaign, target, sweep day and the sorted item-step keys."""
    text = "\x1f".join([str(campaign_id), target, as_of.isoformat(), *sorted(item_steps)])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _mentions(sections: Sequence[SectionGroup], recipient: UnitEntry | None) -> tuple[str, ...]:
    """The mobiles of the people responsible for what the digest names, each once."""
    found = (
        mobile for section in sections for mobile in mobiles(section, section.units, recipient)
    )
    return tuple(dict.fromkeys(found))


def _reply(
    target: str, channel: Channel | None, unit_id: int | None, routing: Routing
) -> tuple[str | None, str]:
    """The Reply-To and the subject's tag of a mail to the recipient unit (none for bots)."""
    if not routing.intake_address or unit_id is None or not by_mail(target, channel):
        return None, ""
    token = routing.reply_tokens.get(unit_id)
    if token is None:
        return None, ""
    return reply_address(routing.intake_address, token), subject_tag(token)


def _short_title(title: str) -> str:
    return title if len(title) <= 12 else "专项活动"


@dataclass(slots=True)
class _Split:
    """A digest over its channel's limit, in numbered parts (一/三 …) each within it.

    Every part is measured with the widest part label and the digest's whole mention list, so
    it stays within the limit whatever its number and whoever it @-mentions. A person is
    @-mentioned once per digest, in the first part that names their unit.
    """

    whole: Digest
    sections: Sequence[SectionGroup]
    renderer: _Renderer
    limit: int
    tag: str
    recipient: UnitEntry | None

    def fits(self, run: Sequence[Piece]) -> bool:
        title, body = self.renderer.render(
            view(self.sections, run), WIDEST_LABEL, self.whole.key[:16]
        )
        return message_bytes(title + self.tag, body, self.whole.mentions) <= self.limit

    def parts(self) -> list[Digest]:
        pieces = [
            Piece(s, u, 0, unit.listed, True)
            for s, section in enumerate(self.sections)
            for u, unit in enumerate(section.units)
        ]
        runs = pack(pieces, self.fits)
        by_item: dict[str, list[Notice]] = {}
        for notice in self.whole.notices:
            by_item.setdefault(notice.item.key, []).append(notice)
        wanted = set(self.whole.mentions)
        mentioned: set[str] = set()
        parts: list[Digest] = []
        for number, run in enumerate(runs, start=1):
            key = part_key(self.whole.key, number)
            title, body = self.renderer.render(
                view(self.sections, run), part_label(number, len(runs)), key[:16]
            )
            notices: list[Notice] = []
            mentions: dict[str, None] = {}
            for section, unit, item_keys in carried(self.sections, run):
                notices.extend(notice for item_key in item_keys for notice in by_item[item_key])
                if wanted:
                    for mobile in mobiles(section, [unit], self.recipient):
                        mentions.setdefault(mobile)
            fresh = tuple(m for m in mentions if m not in mentioned)
            mentioned.update(fresh)
            parts.append(
                Digest(
                    target=self.whole.target,
                    key=key,
                    title=title + self.tag,
                    body=body,
                    notices=tuple(notices),
                    format=self.whole.format,
                    part=number,
                    parts=len(runs),
                    mentions=fresh,
                    unit_id=self.whole.unit_id,
                    reply_to=self.whole.reply_to,
                )
            )
        return parts
