"""The project configuration's models: `smartpay.yaml` at the root of a specs repository.

`load.py` finds, reads and validates the file into a `ProjectConfig`; `sandbox_settings.py`
checks its `sandbox:` settings. `defaults:` and `credentials:` hold spec-shaped values, which is
why this package imports `spec` (and `spec` never imports it; docs/architecture.md).
"""

from __future__ import annotations

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
    field_validator,
    model_validator,
)

from smartpay_apply.durations import check_duration
from smartpay_apply.spec import rules
from smartpay_apply.spec.models import AppSpec, CredentialsSpec
from smartpay_apply.spec.numbers import INT64_MAX, ChoiceRule, NumberRule
from smartpay_apply.yamldoc.tree import MapNode

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
    "status.port": PORT,
    "status.auto_refresh": NumberRule(Decimal(0), Decimal(86400), unit="seconds"),
}


def _ranged(rule: NumberRule | ChoiceRule, convert: str = "check") -> Any:
    """A before-validator applying `rule` (pydantic wants a plain function, not a method)."""
    method = getattr(rule, convert)

    def validate(value: Any) -> Any:
        return method(value)

    return validate


class _Strict(BaseModel):
    # Validators built on first use: `plan`'s own process receives the config loaded (and
    # validated) by its child, and never builds them (forking.Ahead, issue 16).
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, defer_build=True)


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


class StatusConfig(_Strict):
    """The status page (`smartpay-apply status serve`): where it listens, who may read it.

    Bound to 127.0.0.1 by default. Listening on any other address needs `token` (a bearer
    token) or `username` and `password` (HTTP basic auth), usually `${env:...}`: resolved only
    by `status serve`, so other commands run without them.
    """

    host: str = "127.0.0.1"
    port: int = 8090
    token: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    #: Seconds between reloads when a reader turns the page's auto-refresh on (0: no control).
    auto_refresh: int = 60

    _port = field_validator("port", mode="before")(_ranged(PORT, "whole_number"))
    _auto_refresh = field_validator("auto_refresh", mode="before")(
        _ranged(CONFIG_NUMBERS["status.auto_refresh"], "whole_number")
    )
    _text = field_validator("host", "token", "username", "password")(rules.non_empty)

    @model_validator(mode="after")
    def _basic_auth_pair(self) -> StatusConfig:
        if (self.username is None) != (self.password is None):
            raise ValueError("give username and password together (HTTP basic auth), or neither")
        return self


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
    status: StatusConfig = Field(default_factory=StatusConfig)
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
