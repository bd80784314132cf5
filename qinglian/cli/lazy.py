"""A command group that imports a command's module only when that command is used."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, ClassVar

import click
import typer
from typer.core import TyperGroup, TyperOption

from qinglian.cli.usage import BadValue


@dataclass(frozen=True)
class Lazy:
    """A command known by its name and one-line help until it is entered.

    ``module`` holds a ``typer.Typer`` named ``app``: the whole group (``group=True``), or the
    one command of this name in it.
    """

    module: str
    help: str
    group: bool = True


class LazyGroup(TyperGroup):
    """Lists its ``lazy`` commands after its own; ``--help`` imports none of them."""

    lazy: ClassVar[dict[str, Lazy]] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *self.lazy]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = self.lazy.get(cmd_name)
        if entry is None:
            return super().get_command(ctx, cmd_name)
        return _Deferred(cmd_name, entry)


class _Deferred(click.Command):
    """Stands in for a lazy command: its name and help fill the listing; entering it (to run
    it, show its help or complete it) imports the real one and hands the context over."""

    def __init__(self, name: str, entry: Lazy) -> None:
        super().__init__(name, help=entry.help)
        self._entry = entry

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        real = _load(self.name or "", self._entry)
        leaf, rest = real, args
        if isinstance(real, TyperGroup) and args:
            leaf, rest = real.commands.get(args[0], real), args[1:]
        refuse_repeated_options(leaf, rest)
        return real.make_context(info_name, args, parent=parent, **extra)


def refuse_repeated_options(command: Any, args: list[str]) -> None:
    """An option that takes one value, given twice, is a mistake: Click would keep the last one
    silently (``status 1 --unit NOPE --unit MOH``). Refused as a usage error instead."""
    single = {
        name: option
        for option in command.params
        if isinstance(option, TyperOption) and not option.multiple and not option.count
        for name in (*option.opts, *option.secondary_opts)
    }
    seen: dict[str, str] = {}
    tokens = iter(args)
    for token in tokens:
        if token == "--":
            return
        name = token.split("=", 1)[0] if token.startswith("--") else token
        option = single.get(name)
        if option is None:
            continue
        if option.name in seen:
            raise BadValue(
                f"选项「{seen[option.name]}」只能给一次（又给了「{name}」）",
                f"option {seen[option.name]!r} given more than once (again as {name!r})",
            )
        seen[option.name or name] = name
        if not option.is_flag and "=" not in token:
            next(tokens, None)  # the option's value, whatever it looks like


def _load(name: str, entry: Lazy) -> click.Command:
    # typer.main.get_group, not get_command: a group of one command (`db`, `cadres`) must stay
    # a group, and a lone command must not gain the completion options.
    group = typer.main.get_group(importlib.import_module(entry.module).app)
    return group if entry.group else group.commands[name]
