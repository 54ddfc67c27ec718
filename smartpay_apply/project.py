"""A project: smartpay.yaml and the specs it points at, loaded together.

Why a module of its own: `spec` reads spec files and knows nothing of smartpay.yaml; `config`
reads smartpay.yaml and holds spec-shaped defaults (so it imports `spec`). Whatever needs both
— the loader's settings from the config, `validate`'s dictionary cache and its "can this
spec's images be uploaded" rule — is wired here, above the two, and the commands call these
functions with a `ProjectConfig`.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from smartpay_apply.config import ProjectConfig, load_project_config, tp_token_configured
from smartpay_apply.spec import loader
from smartpay_apply.spec.dictionary import DictCache
from smartpay_apply.spec.errors import SpecError
from smartpay_apply.spec.loader import LoadReport, SpecSettings
from smartpay_apply.spec.models import AppSpec
from smartpay_apply.spec.validation import check_report


def spec_settings(config: ProjectConfig) -> SpecSettings:
    """What the spec loader needs of smartpay.yaml: root, `specs:` patterns, `defaults:`."""
    return SpecSettings(
        root=config.root,
        config_path=config.path,
        patterns=tuple(config.specs),
        defaults_tree=config.defaults_tree,
        defaults=config.defaults,
    )


def load_specs(config: ProjectConfig, paths: Sequence[Path] | None = None) -> list[AppSpec]:
    """Every spec matched by `config.specs` (or in `paths`), sorted by app; SpecError if any
    is wrong."""
    return loader.load_specs(spec_settings(config), paths)


def load_report(
    config: ProjectConfig,
    paths: Sequence[Path] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    *,
    split: bool = False,
) -> LoadReport:
    """Like load_specs, but returns problems and warnings instead of raising (`split`: read
    half of the files in a forked child when that pays, see spec/loader.py)."""
    return loader.load_report(spec_settings(config), paths, environ=environ, cwd=cwd, split=split)


def iter_specs(
    config: ProjectConfig, paths: Sequence[Path] | None = None
) -> Generator[AppSpec, None, list[AppSpec]]:
    """`load_specs` handing out each valid spec as soon as its file is read; returns them all
    (sorted by app) at the end, or raises SpecError then if any is wrong."""
    report = yield from loader.iter_load(spec_settings(config), paths)
    if report.problems:
        raise SpecError(report.problems)
    return report.specs


def iter_project(
    cwd: Path, config_file: Path | None, paths: Sequence[Path] | None = None
) -> Iterator[ProjectConfig | AppSpec]:
    """The project's config (`load_project_config`), then each valid spec as `iter_specs`
    hands it out; ConfigError or SpecError as they would raise.

    Why one stream: `plan` reads the whole project in a forked child (forking.Ahead) that
    starts before this process imports the client, so neither the YAML reading nor the specs
    cost this process anything but unpickling (issue 16).
    """
    config = load_project_config(cwd, config_file)
    yield config
    yield from iter_specs(config, paths)


def load_spec_file(
    path: Path, defaults: Mapping[str, Any] | None = None, config: ProjectConfig | None = None
) -> list[AppSpec]:
    """The specs of one file, with plain `defaults` merged under them; SpecError if wrong."""
    settings = spec_settings(config) if config is not None else None
    return loader.load_spec_file(path, defaults, settings)


def dictionary_cache(config: ProjectConfig) -> DictCache:
    """The project's payment dictionary cache (`<root>/.smartpay/dict.json`)."""
    return DictCache.in_dir(config.state_dir)


def validate_project(
    config: ProjectConfig,
    paths: Sequence[Path] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> LoadReport:
    """Load the specs and check them as `validate` does: the loader's rules, the cached
    dictionary (offline), and a warning for local images nothing could upload. The files are
    read on two cores when there are many (validate only reads: nothing to overlap with)."""
    report = load_report(config, paths, environ=environ, cwd=cwd, split=True)
    return check_report(
        report, dictionary_cache(config), lambda spec: tp_token_configured(config, spec)
    )
