"""A click group whose subcommands are imported only when used.

Why: `smartpay-apply validate` in a pre-commit hook should not pay for importing the HTTP
server, the PostgreSQL driver and the sandbox. Each command lives in its own module and is named
here as "module:attribute".
"""

from __future__ import annotations

import importlib

import click


class LazyGroup(click.Group):
    """A group that resolves `name -> "module:attr"` on first use."""

    def __init__(
        self, *args: object, lazy_commands: dict[str, str] | None = None, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy_commands: dict[str, str] = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.lazy_commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_commands:
            return self._load(cmd_name)
        return super().get_command(ctx, cmd_name)

    def _load(self, cmd_name: str) -> click.Command:
        module_name, attribute = self.lazy_commands[cmd_name].split(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{module_name}:{attribute} is not a click command")
        return command
