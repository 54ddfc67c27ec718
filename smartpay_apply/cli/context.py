"""What every command gets from the global options (`-C`, `--config`, `-v`, `--debug`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from smartpay_apply.config import ProjectConfig


@dataclass
class CliContext:
    """Global options, and the project config loaded once on first use."""

    config_file: Path | None = None
    verbose: int = 0
    debug: bool = False
    _config: ProjectConfig | None = field(default=None, repr=False)

    def project(self) -> ProjectConfig:
        """The project config: `--config FILE`, else smartpay.yaml found from the cwd upward."""
        if self._config is None:
            from smartpay_apply.config import load_project_config

            self._config = load_project_config(Path.cwd(), self.config_file)
        return self._config


pass_cli = click.make_pass_decorator(CliContext, ensure=True)
