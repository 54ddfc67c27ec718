"""What every command gets from the global options (`-C`, `--config`, `-v`, `--debug`, `--color`)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

if TYPE_CHECKING:
    from smartpay_apply.config import ProjectConfig


@dataclass
class CliContext:
    """Global options, and the project config loaded once on first use."""

    config_file: Path | None = None
    verbose: int = 0
    debug: bool = False
    color: str = "auto"  # auto | always | never
    _config: ProjectConfig | None = field(default=None, repr=False)

    def project(self) -> ProjectConfig:
        """The project config: `--config FILE`, else smartpay.yaml found from the cwd upward."""
        if self._config is None:
            from smartpay_apply.config import load_project_config

            self._config = load_project_config(Path.cwd(), self.config_file)
        return self._config

    def use_project(self, config: ProjectConfig) -> None:
        """The project config loaded elsewhere (a child process: cli/ahead.py)."""
        self._config = config


pass_cli = click.make_pass_decorator(CliContext, ensure=True)


def use_color(stream: IO[str] | None = None) -> bool:
    """Whether to colour text written to `stream` (stdout by default).

    `--color always|never` decides; `auto` (the default) colours a terminal unless NO_COLOR is
    set to anything non-empty (https://no-color.org). An explicit `--color always` wins over
    NO_COLOR, as no-color.org allows for a user's explicit choice.
    """
    ctx = click.get_current_context(silent=True)
    obj = ctx.find_object(CliContext) if ctx is not None else None
    choice = obj.color if obj is not None else "auto"
    if choice != "auto":
        return choice == "always"
    target = stream if stream is not None else sys.stdout
    return not os.environ.get("NO_COLOR") and target.isatty()
