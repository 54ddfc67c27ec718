"""The project configuration: `smartpay.yaml` at the root of a specs repository.

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

import dataclasses
import difflib
import functools
import os
import typing
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from smartpay_apply.durations import check_duration
from smartpay_apply.errors import ConfigError
from smartpay_apply.spec import rules
from smartpay_apply.spec.convert import model_input, problems_from
from smartpay_apply.spec.errors import Problem
from smartpay_apply.spec.models import AppSpec, CredentialsSpec, Location
from smartpay_apply.spec.numbers import INT64_MAX, ChoiceRule, NumberRule
from smartpay_apply.spec.refs import (
    MissingValueError,
    RefError,
    UnresolvedSecret,
    has_reference,
    resolve,
)
from smartpay_apply.spec.yamlread import (
    Entry,
    MapNode,
    Scalar,
    SeqNode,
    Tree,
    read_file,
    to_python,
)

CONFIG_NAME = "smartpay.yaml"
MAX_CONCURRENCY = 256

#: The numeric settings of smartpay.yaml and their ranges (docs/specs.md lists the same).
VERSION = ChoiceRule((1,), "a supported format version")
CONCURRENCY = NumberRule(Decimal(1), Decimal(MAX_CONCURRENCY))
#: A positive floor rather than "more than 0": 1e-300 requests per second is a pause of 1e300 s.
RATE_LIMIT = NumberRule(Decimal("0.01"), Decimal(10000), whole=False, unit="requests per second")
TIMEOUT = NumberRule(Decimal("0.01"), Decimal(3600), whole=False, unit="seconds")
PORT = NumberRule(Decimal(1), Decimal(65535))
PAYOUT_SHARE = NumberRule(
    Decimal(0), Decimal(1), whole=False, note="the share of mini-programs, 0.25 is a quarter"
)
#: `apply.wait_timeout`, in seconds: a second to 30 days (an audit takes minutes to days).
WAIT_TIMEOUT_RANGE = (1.0, 720 * 3600.0)
#: Numbers under `sandbox:` before the sandbox converts them (int(Decimal("1e999999")) alone
#: takes most of a minute): finite, and within a Long.
SANDBOX_NUMBER = NumberRule(Decimal(-INT64_MAX - 1), Decimal(INT64_MAX), whole=False)
CONFIG_NUMBERS: dict[str, NumberRule | ChoiceRule] = {
    "version": VERSION,
    "concurrency": CONCURRENCY,
    "rate_limit": RATE_LIMIT,
    "timeout": TIMEOUT,
    "events.port": PORT,
    "apply.payout_change_max_share": PAYOUT_SHARE,
}


def _ranged(rule: NumberRule | ChoiceRule, convert: str = "check") -> Any:
    """A before-validator applying `rule` (pydantic wants a plain function, not a method)."""
    method = getattr(rule, convert)

    def validate(value: Any) -> Any:
        return method(value)

    return validate


#: Keys of smartpay.yaml whose values are not resolved at load time.
_DEFERRED = ("defaults",)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)


class EventsConfig(_Strict):
    """The push receiver (`smartpay-apply events serve`): Baidu's message verification settings."""

    token: SecretStr | None = None
    encoding_aes_key: SecretStr | None = None
    tp_client_id: str | None = None
    allow_plaintext: bool = False
    host: str = "127.0.0.1"
    port: int = 8080

    _port = field_validator("port", mode="before")(_ranged(PORT, "whole_number"))


class CredentialsDefaults(CredentialsSpec):
    """Project-wide default credentials: the same shape as a spec's `credentials:`, plus the
    third-party platform's own token, which only the project can give (see `TpToken`)."""

    tp_access_token: SecretStr | None = None
    tp_token_command: str | None = None

    _tp_token = field_validator("tp_access_token", "tp_token_command")(rules.non_empty)

    @model_validator(mode="after")
    def _one_tp_token_source(self) -> CredentialsDefaults:
        if self.tp_access_token is not None and self.tp_token_command is not None:
            raise ValueError(
                "give at most one of tp_access_token (the token) or tp_token_command "
                "(a command printing it), not both"
            )
        return self

    def has_app_credentials(self) -> bool:
        """Whether it says how to get a mini-program's token (access_token, token_command, tp)."""
        return any(
            getattr(self, name) is not None for name in ("access_token", "token_command", "tp")
        )


class TpToken(_Strict):
    """The third-party platform's OWN token, from smartpay.yaml's `credentials:`.

    Why: Baidu's image upload (id-card images) takes the TP's token, not a mini-program's
    (openapi-facts.md, "Image upload"). The `tp:` flow has one; with `access_token` or
    `token_command` credentials the project gives it as `tp_access_token` (a secret, usually
    `${env:...}`) or `tp_token_command` (a command printing it, run like `token_command`).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    access_token: SecretStr | None = None
    token_command: str | None = None


class ApplyConfig(_Strict):
    """Guards and limits of `apply`."""

    #: apply refuses a run that changes payout fields of more than this share of the apps.
    payout_change_max_share: float = 0.25
    #: How long `apply --wait` waits for audits, e.g. "30m", "2h", "90s".
    wait_timeout: str = "30m"

    _share = field_validator("payout_change_max_share", mode="before")(
        _ranged(PAYOUT_SHARE, "real")
    )

    @field_validator("wait_timeout")
    @classmethod
    def _duration(cls, value: str) -> str:
        """Checked at load (file:line:col), not first when `apply --wait` parses it."""
        check_duration(value, *WAIT_TIMEOUT_RANGE)
        return value


#: The writes `smartpay-apply controller` may run on its own (`controller.actions`), by step
#: name: the onboarding chain and the updates. A payout change needs consent whatever this says.
CONTROLLER_ACTIONS: tuple[str, ...] = (
    "create_account",
    "submit_developer_config",
    "create_payment_service",
    "update_payment_service",
    "update_bind_service",
)
#: `controller.resync` (and `controller --resync`), in seconds: a second to a day.
RESYNC_RANGE = (1.0, 24 * 3600.0)


class ControllerConfig(_Strict):
    """`smartpay-apply controller`: what it may do on its own, and how often it looks again."""

    #: The steps it runs without a person (default: all of CONTROLLER_ACTIONS). A plan needing
    #: another one is left to `apply` and reported.
    actions: list[str] = Field(default_factory=lambda: list(CONTROLLER_ACTIONS))
    #: Every mini-program is reconciled again this often (jittered), e.g. "10m".
    resync: str = "10m"

    @field_validator("actions")
    @classmethod
    def _actions(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in CONTROLLER_ACTIONS]
        if unknown:
            raise ValueError(
                f"unknown action {unknown[0]!r} (allowed: {', '.join(CONTROLLER_ACTIONS)})"
            )
        return value

    @field_validator("resync")
    @classmethod
    def _resync(cls, value: str) -> str:
        check_duration(value, *RESYNC_RANGE)
        return value


class ProjectConfig(_Strict):
    """smartpay.yaml, validated. `root` is its directory; relative paths are relative to it."""

    root: Path
    path: Path
    version: int = 1
    endpoint: str = "https://openapi.baidu.com"
    state: str = ".smartpay/state.db"
    specs: list[str] = Field(default_factory=lambda: ["specs/**/*.yaml"])
    concurrency: int = 16
    defaults: dict[str, Any] = Field(default_factory=dict)
    events: EventsConfig = Field(default_factory=EventsConfig)
    credentials: CredentialsDefaults | None = None
    apply: ApplyConfig = Field(default_factory=ApplyConfig)
    controller: ControllerConfig = Field(default_factory=ControllerConfig)
    sandbox: dict[str, Any] = Field(default_factory=dict)
    rate_limit: float | None = None
    timeout: float = 10

    #: The `defaults:` block with positions, for the spec loader (None when built in code).
    _defaults_tree: MapNode | None = PrivateAttr(default=None)
    #: The TP's own token source, split from `credentials:` (see `tp_token`).
    _tp_token: TpToken | None = PrivateAttr(default=None)

    # Numbers are checked against their range before they become an int or a float
    # (spec/numbers.py): `timeout: 1e400` is a located problem, not an infinite timeout.
    _version = field_validator("version", mode="before")(_ranged(VERSION))
    _concurrency = field_validator("concurrency", mode="before")(
        _ranged(CONCURRENCY, "whole_number")
    )
    _rate_limit = field_validator("rate_limit", mode="before")(_ranged(RATE_LIMIT, "real"))
    _timeout = field_validator("timeout", mode="before")(_ranged(TIMEOUT, "real"))

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        return check_endpoint(value)

    @field_validator("state")
    @classmethod
    def _state(cls, value: str) -> str:
        from smartpay_apply.state.location import check_state_location

        return check_state_location(value)

    @field_validator("specs")
    @classmethod
    def _specs(cls, value: list[str]) -> list[str]:
        if not value or any(not pattern.strip() for pattern in value):
            raise ValueError('must list at least one glob pattern, e.g. ["specs/**/*.yaml"]')
        return value

    @property
    def state_dir(self) -> Path:
        """Where local files live (`<root>/.smartpay`): the dict cache, a SQLite state store."""
        return self.root / ".smartpay"

    @model_validator(mode="after")
    def _split_tp_token(self) -> ProjectConfig:
        """`credentials.tp_access_token`/`tp_token_command` become `tp_token`; a `credentials:`
        holding only those is no mini-program default (`credentials` is then None), so a spec
        without credentials still gets "no credentials"."""
        credentials = self.credentials
        if credentials is None:
            return self
        if credentials.tp_access_token is not None or credentials.tp_token_command is not None:
            self._tp_token = TpToken(
                access_token=credentials.tp_access_token,
                token_command=credentials.tp_token_command,
            )
            if not credentials.has_app_credentials():
                self.credentials = None
        return self

    @property
    def tp_token(self) -> TpToken | None:
        """The TP's own token source for image uploads, from smartpay.yaml's `credentials:`
        (`tp_access_token` or `tp_token_command`); None when not given."""
        return self._tp_token

    @property
    def defaults_tree(self) -> MapNode | None:
        """`defaults:` as written, with positions (None if the config was built in code)."""
        return self._defaults_tree


def check_endpoint(value: str) -> str:
    """'sandbox' or an http(s) URL with a host."""
    if value == "sandbox":
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"must be 'sandbox' or an http(s) URL (got {value!r})")
    return value.rstrip("/")


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


def sandbox_problems(entry: Entry | None, display: Path) -> list[Problem]:
    """Each `sandbox:` setting checked by the sandbox's own rules, one key at a time, each
    ConfigError located at that key's value (an unknown key at the key itself).

    Why through `SandboxConfig.from_settings`: the sandbox owns its settings and their rules;
    asking it key by key stays in step with whatever settings it gains.
    """
    if entry is None or not isinstance(entry.value, MapNode) or not entry.value.entries:
        return []  # not a mapping: the model says so
    from smartpay_apply.sandbox.config import SandboxConfig

    known = [item.name for item in dataclasses.fields(SandboxConfig)]
    problems: list[Problem] = []
    for key, setting in entry.value.entries.items():
        field = f"sandbox.{key}"
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            message = (
                f"unknown field (did you mean '{close[0]}'?)"
                if close
                else f"unknown field (allowed: {', '.join(known)})"
            )
            problems.append(Problem.at(setting.key_loc, display, field, message))
            continue
        value = to_python(setting.value)
        try:
            _check_sandbox_numbers(value)
            SandboxConfig.from_settings({key: value})
        except (ConfigError, ValueError) as error:
            message = str(error).removeprefix(field).removeprefix(":").strip()
            problems.append(Problem.at(setting.value.loc, display, field, message))
    return problems


def _check_sandbox_numbers(value: Any) -> None:
    """ValueError for a non-finite or huge number anywhere in a sandbox setting's value."""
    if isinstance(value, dict):
        for item in value.values():
            _check_sandbox_numbers(item)
    elif isinstance(value, list):
        for item in value:
            _check_sandbox_numbers(item)
    elif isinstance(value, int | Decimal) and not isinstance(value, bool):
        SANDBOX_NUMBER.check(value)


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


def _config_error(problems: list[Problem]) -> ConfigError:
    return ConfigProblems(problems)


def _display(path: Path, cwd: Path) -> Path:
    """`path` relative to `cwd` when inside it (what a user typed), else absolute."""
    try:
        return path.resolve().relative_to(cwd.resolve())
    except ValueError:
        return path.resolve()


def tp_token_configured(config: ProjectConfig, spec: AppSpec) -> bool:
    """Whether `spec`'s local id-card images can be uploaded: a source of the third-party
    platform's own token is configured.

    True with smartpay.yaml's `credentials.tp_access_token` or `tp_token_command` (even if
    its `${env:}` is unset here: the command that uploads says so), or with a `tp:` flow in the
    spec's credentials or in the project's default credentials. Pure: reads the models only.
    """
    if config.tp_token is not None:
        return True
    if spec.credentials is not None and spec.credentials.tp is not None:
        return True
    return config.credentials is not None and config.credentials.tp is not None


def uses_local_images(spec: AppSpec) -> list[str]:
    """The account fields of `spec` that name local image files (apply uploads them)."""
    if spec.account is None:
        return []
    return [name for name in ("id_card_front", "id_card_back") if getattr(spec.account, name)]
