"""The project (smartpay.yaml, then the specs) read by a forked child while the command starts.

Why: a network command's own start is ~0.3 s of imports (aiohttp, the client, the store, the
engine) and reading the project ~0.2 s plus ~0.3 ms a spec; on two cores the two overlap
(issue 16). The child is forked before this process imports any of the YAML reading, so that
is never imported here (forking.Ahead: where forking is not safe, the project is read here,
the same way). `plan` takes the specs as they come; `apply` needs them all before it begins.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

from smartpay_apply.cli.context import CliContext

if TYPE_CHECKING:
    from collections.abc import Iterator

    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.forking import Ahead
    from smartpay_apply.spec.models import AppSpec


def project_ahead(
    cli: CliContext, paths: list[Path] | None, *, whole: bool = False
) -> Ahead[ProjectConfig | AppSpec]:
    """smartpay.yaml, then each valid spec (`project.iter_project`), read in a forked child
    that starts at once (`whole`: read to the end before any is sent, see `Ahead`);
    ConfigError or SpecError as loading them here would raise."""
    from smartpay_apply.forking import Ahead

    cwd, config_file = Path.cwd(), cli.config_file

    def read() -> Iterator[ProjectConfig | AppSpec]:
        from smartpay_apply.project import iter_project

        return iter_project(cwd, config_file, paths)

    return Ahead(read, whole=whole)


def load_project(cli: CliContext) -> tuple[ProjectConfig, list[AppSpec]]:
    """The config and every spec sorted by app, as `cli.project()` and `load_specs` give
    them, read by a child while this process imports what the network commands use."""
    from smartpay_apply.runtime import preload_network

    with project_ahead(cli, None, whole=True) as project:
        preload_network()
        config, *specs = project.collect()
    specs.sort(key=lambda spec: cast("AppSpec", spec).app)  # load_specs' order
    cli.use_project(cast("ProjectConfig", config))
    return cast("ProjectConfig", config), cast("list[AppSpec]", specs)
