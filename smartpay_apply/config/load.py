"""Find, read and validate smartpay.yaml into a `ProjectConfig`.

Found from the current directory upward (like git finds `.git`), or given with `--config`.
Three environment variables override it for CI jobs that point one repo at several
environments: `SMARTPAY_ENDPOINT`, `SMARTPAY_STATE`, `SMARTPAY_CONCURRENCY`.
`${env:...}`/`${file:...}` references are resolved everywhere except under `defaults:`, whose
references are resolved per spec (so an error names the spec that needed the value). A secret
(`events.token`, `credentials.access_token`, ...) whose variable is unset or whose file is
missing is resolved only where it is used: validate, plan and state work without the secrets
that only `events serve` or `apply` need.
"""

from __future__ import annotations

import functools
import os
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError

from smartpay_apply.config.models import (
    CONCURRENCY,
    CONFIG_NAME,
    MAX_CONCURRENCY,
    ProjectConfig,
    check_endpoint,
)
from smartpay_apply.config.sandbox_settings import sandbox_problems
from smartpay_apply.errors import ConfigError
from smartpay_apply.yamldoc.convert import model_input, problems_from
from smartpay_apply.yamldoc.problems import Location, Problem
from smartpay_apply.yamldoc.read import read_file
from smartpay_apply.yamldoc.refs import (
    MissingValueError,
    RefError,
    UnresolvedSecret,
    has_reference,
    resolve,
)
from smartpay_apply.yamldoc.tree import MapNode, Scalar, SeqNode, Tree

#: Keys of smartpay.yaml whose values are not resolved at load time.
_DEFERRED = ("defaults",)


def find_config(cwd: Path) -> Path:
    """smartpay.yaml in `cwd` or its nearest parent."""
    start = cwd.resolve()
    for directory in (start, *start.parents):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate
    raise ConfigError(
        f"no {CONFIG_NAME} found in {start} or any parent; create one or pass --config"
    )


def load_project_config(
    cwd: Path, config_file: Path | None, environ: Mapping[str, str] | None = None
) -> ProjectConfig:
    """Find, read and validate smartpay.yaml, then apply the environment overrides."""
    env = os.environ if environ is None else environ
    path = find_config(cwd) if config_file is None else config_file
    path = path if path.is_absolute() else (cwd / path)
    display = _display(path, cwd)
    if not path.exists():
        raise ConfigError(f"{display}: no such file; create it or fix --config")
    result = read_file(path, display)
    if result.problems:
        raise _config_error(result.problems)
    documents = [doc for doc in result.documents if doc is not None]
    if len(documents) > 1:
        raise ConfigError(f"{display}: holds {len(documents)} YAML documents; expected one")
    tree = documents[0] if documents else None
    if tree is not None and not isinstance(tree, MapNode):
        raise _config_error([Problem.at(tree.loc, display, "", "expected a mapping of settings")])
    tree = tree or MapNode({}, Location(display, 1, 1))
    problems: list[Problem] = []
    for reserved in ("root", "path"):
        if reserved in tree.entries:
            problems.append(
                Problem.at(
                    tree.entries[reserved].key_loc,
                    display,
                    reserved,
                    "unknown field (set by the tool)",
                )
            )
    resolved = _resolve_tree(tree, path.parent, env, (), problems, display)
    if problems:
        raise _config_error(problems)
    assert isinstance(resolved, MapNode)
    data = model_input(resolved, ProjectConfig)
    data = {key: value for key, value in data.items() if key not in ("root", "path")}
    data.update(_env_overrides(env))
    problems.extend(sandbox_problems(resolved.entries.get("sandbox"), display))
    try:
        config = ProjectConfig.model_validate(
            {**data, "root": path.parent.resolve(), "path": path.resolve()}
        )
    except ValidationError as error:
        problems.extend(problems_from(error, resolved, ProjectConfig, display))
    if problems:
        raise _config_error(problems)
    defaults = tree.entries.get("defaults")
    if defaults is not None and isinstance(defaults.value, MapNode):
        config._defaults_tree = defaults.value
    return config


def _env_overrides(env: Mapping[str, str]) -> dict[str, Any]:
    """SMARTPAY_* variables, each checked here so an error names the variable."""
    overrides: dict[str, Any] = {}
    endpoint = env.get("SMARTPAY_ENDPOINT")
    if endpoint:
        try:
            overrides["endpoint"] = check_endpoint(endpoint.strip())
        except ValueError as error:
            raise ConfigError(f"SMARTPAY_ENDPOINT: {error}") from None
    state = env.get("SMARTPAY_STATE")
    if state:
        from smartpay_apply.state.location import check_state_location

        try:
            overrides["state"] = check_state_location(state.strip())
        except ValueError as error:
            raise ConfigError(f"SMARTPAY_STATE: {error}") from None
    concurrency = env.get("SMARTPAY_CONCURRENCY")
    if concurrency:
        text = concurrency.strip()
        try:
            value = CONCURRENCY.whole_number(text) if text.isascii() and text.isdigit() else None
        except ValueError:
            value = None
        if value is None:
            shown = concurrency if len(concurrency) <= 30 else concurrency[:30] + "..."
            raise ConfigError(
                f"SMARTPAY_CONCURRENCY: must be a whole number from 1 to {MAX_CONCURRENCY} (got {shown!r})"
            )
        overrides["concurrency"] = value
    return overrides


def _resolve_tree(
    tree: Tree,
    base_dir: Path,
    env: Mapping[str, str],
    parts: tuple[str, ...],
    problems: list[Problem],
    display: Path,
) -> Tree:
    """The tree with references resolved, except under `defaults:` (resolved per spec)."""
    if isinstance(tree, Scalar):
        if isinstance(tree.value, str) and has_reference(tree.value):
            field = ".".join(parts)
            try:
                text = resolve(tree.value, base_dir, env)
            except MissingValueError as error:
                if field not in secret_fields():
                    problems.append(Problem.at(tree.loc, display, field, str(error)))
                    return tree
                # Resolved where it is used: a PR check runs without the receiver's secrets.
                deferred = UnresolvedSecret(tree.value, f"{tree.loc}: {field}", error)
                return Scalar(deferred, tree.text, False, tree.loc)
            except RefError as error:
                problems.append(Problem.at(tree.loc, display, field, str(error)))
                return tree
            return Scalar(text, text, False, tree.loc)
        return tree
    if isinstance(tree, SeqNode):
        return SeqNode(
            [_resolve_tree(item, base_dir, env, parts, problems, display) for item in tree.items],
            tree.loc,
        )
    entries = {}
    for key, entry in tree.entries.items():
        if not parts and key in _DEFERRED:
            entries[key] = entry
            continue
        value = _resolve_tree(entry.value, base_dir, env, (*parts, key), problems, display)
        entries[key] = type(entry)(entry.key_loc, value)
    return MapNode(entries, tree.loc)


@functools.cache
def secret_fields() -> frozenset[str]:
    """The dotted paths of smartpay.yaml's secrets (SecretStr fields, e.g. `events.token`).

    An unset `${env:}` (or a missing `${file:}`) in one of them is not a load error: the value
    becomes an `UnresolvedSecret`, and the command that uses it says what is missing.
    """
    return frozenset(_secret_paths(ProjectConfig, ""))


def _secret_paths(model: type[BaseModel], prefix: str) -> set[str]:
    found: set[str] = set()
    for name, info in model.model_fields.items():
        options = typing.get_args(info.annotation) or (info.annotation,)
        if SecretStr in options:
            found.add(prefix + name)
        for option in options:
            if isinstance(option, type) and issubclass(option, BaseModel):
                found |= _secret_paths(option, f"{prefix}{name}.")
    return found


class ConfigProblems(ConfigError):
    """smartpay.yaml is invalid: every problem, sorted, each at its line (like SpecError)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        lines = [str(problem) for problem in self.problems]
        super().__init__("invalid project config:\n" + "\n".join(lines))

    def __reduce__(self) -> tuple[type[ConfigProblems], tuple[list[Problem]]]:
        """Pickled with its problems (`plan` loads the project in a child process, which sends
        the error back); Exception's own pickling would rebuild it from its message."""
        return (ConfigProblems, (self.problems,))


def _config_error(problems: list[Problem]) -> ConfigError:
    return ConfigProblems(problems)


def _display(path: Path, cwd: Path) -> Path:
    """`path` relative to `cwd` when inside it (what a user typed), else absolute."""
    try:
        return path.resolve().relative_to(cwd.resolve())
    except ValueError:
        return path.resolve()
