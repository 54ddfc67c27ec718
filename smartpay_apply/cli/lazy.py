"""A click group whose subcommands are imported only when used.

Why: `smartpay-apply validate` in a pre-commit hook should not pay for importing the HTTP
server, the PostgreSQL driver and the sandbox, and `smartpay-apply --help`, `--version`, shell
completion of a command name and a mistyped command should not import any command at all.
Each command lives in its own module and is named here as "module:attribute", with the one-line
summary the root `--help` and completion show (the first sentence of the command's own help),
so that listing the commands imports none of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

#: A command table entry: "module:attribute", or ("module:attribute", "summary").
LazyEntry = str | tuple[str, str]


class LazyGroup(click.Group):
    """A group that resolves `name -> "module:attr"` on first use."""

    def __init__(
        self,
        *args: object,
        lazy_commands: Mapping[str, LazyEntry] | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        #: name -> "module:attribute"
        self.lazy_commands: dict[str, str] = {}
        #: name -> the summary written in the table (an entry without one is imported to
        #: show its help)
        self.summaries: dict[str, str] = {}
        for name, entry in (lazy_commands or {}).items():
            if isinstance(entry, tuple):
                self.lazy_commands[name], self.summaries[name] = entry
            else:
                self.lazy_commands[name] = entry

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

    def summary_of(self, ctx: click.Context, name: str, limit: int = 45) -> str | None:
        """The listing's text for `name` (None: hidden or missing), from the table when the
        command has not been imported yet — cut to `limit` as click cuts a command's help."""
        summary = self.summaries.get(name)
        if summary is not None and name not in self.commands:
            # cut as click cuts a command's help (a stand-in command: public API only)
            return click.Command(name, help=summary).get_short_help_str(limit)
        command = self.get_command(ctx, name)
        if command is None or command.hidden:
            return None
        return command.get_short_help_str(limit)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """click's listing, without importing the commands (their summaries are in the table)."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, self.summary_of(ctx, name, limit)) for name in names]
        shown = [(name, text) for name, text in rows if text is not None]
        if shown:
            with formatter.section("Commands"):
                formatter.write_dl(shown)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        """Command names (with their summaries) completed without importing the commands."""
        from click.shell_completion import CompletionItem

        results: list[CompletionItem] = []
        for name in self.list_commands(ctx):
            if not name.startswith(incomplete):
                continue
            text = self.summary_of(ctx, name)
            if text is not None:
                results.append(CompletionItem(name, help=text))
        # options of the group itself (what click's Command.shell_complete adds)
        results.extend(click.Command.shell_complete(self, ctx, incomplete))
        return results
