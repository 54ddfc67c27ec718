"""How a sandbox behaves: audits, pushes, tokens, faults, generated data.

A plain dataclass so tests and the CLI can build one with keyword overrides
(`dataclasses.replace(config, audit_delay=0)`), and the embedded transport can be configured
per CLI invocation while the *world* (the state file) stays the same.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from smartpay_apply.errors import ConfigError
from smartpay_apply.sandbox.quirks import QUIRKS
from smartpay_apply.sandbox.rules import RULES

AuditPolicy = Literal["approve", "reject", "manual"]
AUDIT_POLICIES: tuple[str, ...] = ("approve", "reject", "manual")
SECTIONS: tuple[str, ...] = ("account", "developer_config", "payment_service")
#: What getbindservice answers for a mini-program without a payment service (`no_service_shape`):
#: errno 60002 / 60008 / 60013, or success with `data` null / `{}`.
NO_SERVICE_SHAPES: tuple[str, ...] = ("60002", "60008", "60013", "null", "empty")

#: A fixed, valid 43-character EncodingAESKey so pushes work without configuration.
DEFAULT_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


@dataclass
class SandboxConfig:
    """Everything a sandbox instance is told; the world it simulates lives in `state_file`."""

    #: JSON file holding the world; None keeps it in memory (lost when the app goes away).
    state_file: Path | None = None
    #: Seconds from a submission until the default policy decides its audit.
    audit_delay: float = 2.0
    #: approve | reject | manual (manual: decided only through the admin API).
    audit_policy: AuditPolicy = "approve"
    #: Per-app override of `audit_policy` (app_id -> policy).
    app_policies: dict[int, AuditPolicy] = field(default_factory=dict)
    #: The reason given when a policy (not the 拒绝 rule) rejects.
    reject_reason: str = "资料审核未通过(sandbox 策略拒绝)"
    #: Where audit events are pushed (the TP's message-and-event URL); None: no pushes.
    webhook: str | None = None
    #: Where ticket / authorization events are pushed; defaults to `webhook`.
    auth_webhook: str | None = None
    #: The TP's message-verification token (signs pushes).
    push_token: str = "sandbox-push-token"
    #: 43 characters [A-Za-z0-9]; base64 of the 32-byte AES key without its "=".
    encoding_aes_key: str = DEFAULT_AES_KEY
    #: The TP's key (client_id): appended to every encrypted plaintext, asked by tp/token.
    tp_client_id: str = "sandbox-tp-client-id"
    #: The TP's id, sent as tpAppId in pushed events.
    tp_app_id: int = 10000
    #: Push plain JSON instead of the encrypted envelope.
    plaintext_push: bool = False
    #: Push delivery attempts (the first included) and the pause between them.
    push_attempts: int = 4
    push_retry_delay: float = 0.5
    #: Fault injection: added latency per request, share of requests that fail.
    latency_ms: float = 0
    error_rate: float = 0
    #: Share of requests whose connection is dropped mid-response.
    drop_rate: float = 0
    #: Milliseconds spent dribbling each response body out in small chunks.
    slow_body_ms: float = 0
    #: Seed of everything random: generated orders/finance data, fault draws, ids.
    seed: int = 20190530
    #: Access token -> app_id, accepted besides the registered/issued ones.
    tokens: dict[str, int] = field(default_factory=dict)
    #: Accept any token "sandbox-<app_id>" for that app, so examples need no registration.
    auto_tokens: bool = True
    #: Lifetime of mini-program access tokens issued through the TP flow (seconds).
    token_ttl: float = 3600
    #: Lifetime of TP tokens (seconds), as documented: 30 days.
    tp_token_ttl: float = 2592000
    #: Lifetime of tickets and of authorization codes (seconds).
    ticket_ttl: float = 3600
    code_ttl: float = 600
    #: Generated orders per day per app, and how many days back the data reaches.
    orders_per_day: int = 20
    data_days: int = 90
    #: Last day (YYYY-MM-DD, Beijing) with generated data; None: yesterday.
    data_end: str | None = None
    #: How many call-log entries are kept (oldest dropped first).
    call_log_limit: int = 20000
    #: Pin what getbindservice answers without a payment service (one of NO_SERVICE_SHAPES);
    #: None: a per-app choice among the shapes that fit the app's state (docs/sandbox.md).
    no_service_shape: str | None = None
    #: Rules (names of rules.RULES) turned off for a demo; empty: every rule is enforced.
    relax: tuple[str, ...] = ()
    #: Formatting quirks of a real server (names of quirks.QUIRKS) the answers show; empty:
    #: the documented shapes exactly.
    quirks: tuple[str, ...] = ()

    def strict(self, rule: str) -> bool:
        """Whether `rule` (a name of rules.RULES) is enforced."""
        assert rule in RULES, rule
        return rule not in self.relax

    def with_overrides(self, **overrides: Any) -> SandboxConfig:
        """A copy with some fields replaced; unknown names are an error, not silently ignored."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise TypeError(f"unknown sandbox setting(s): {', '.join(unknown)}")
        for name in ("relax", "quirks"):
            if isinstance(overrides.get(name), list):
                overrides[name] = tuple(overrides[name])
        if "state_file" in overrides and overrides["state_file"] is not None:
            overrides["state_file"] = Path(overrides["state_file"])
        return dataclasses.replace(self, **overrides)

    def policy_for(self, app_id: int) -> AuditPolicy:
        """The configured policy of one app (the state may override it further)."""
        return self.app_policies.get(app_id, self.audit_policy)

    @classmethod
    def from_settings(cls, settings: dict[str, Any], where: str = "sandbox") -> SandboxConfig:
        """A config from user settings (smartpay.yaml `sandbox:`), checked field by field.

        Raises ConfigError naming the field and what is allowed, never a TypeError.
        """
        hints = typing.get_type_hints(cls)
        names = [f.name for f in dataclasses.fields(cls)]
        values: dict[str, Any] = {}
        for key, value in settings.items():
            if key not in names:
                raise ConfigError(f"{where}.{key}: unknown setting (known: {', '.join(names)})")
            values[key] = _coerce(f"{where}.{key}", hints[key], value)
        config = cls().with_overrides(**values)
        config.check(where)
        return config

    def check(self, where: str = "sandbox") -> None:
        """ConfigError for values no sandbox can run with."""
        key = self.encoding_aes_key
        if len(key) != 43 or not key.isascii() or not key.isalnum():
            raise ConfigError(f"{where}.encoding_aes_key: must be 43 characters [A-Za-z0-9]")
        for name in ("error_rate", "drop_rate"):
            if not 0 <= getattr(self, name) <= 1:
                raise ConfigError(f"{where}.{name}: must be between 0 and 1")
        for name in ("audit_delay", "latency_ms", "slow_body_ms", "token_ttl"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{where}.{name}: must not be negative")
        unknown = [name for name in self.relax if name not in RULES]
        if unknown:
            raise ConfigError(
                f"{where}.relax: unknown rule {unknown[0]!r} (known: {', '.join(RULES)})"
            )
        strange = [name for name in self.quirks if name not in QUIRKS]
        if strange:
            raise ConfigError(
                f"{where}.quirks: unknown quirk {strange[0]!r} (known: {', '.join(QUIRKS)})"
            )
        if self.no_service_shape is not None and self.no_service_shape not in NO_SERVICE_SHAPES:
            raise ConfigError(
                f"{where}.no_service_shape: must be one of {', '.join(NO_SERVICE_SHAPES)} "
                f"(got {self.no_service_shape!r})"
            )
        if self.data_end is not None:
            try:
                date.fromisoformat(self.data_end)
            except ValueError:
                raise ConfigError(f"{where}.data_end: must be a date YYYY-MM-DD") from None


def _coerce(where: str, hint: Any, value: Any) -> Any:
    """`value` as the field's type, or ConfigError saying what is allowed."""
    text = str(hint)
    try:
        if hint is bool:
            if not isinstance(value, bool):
                raise ValueError
            return value
        if hint is int:
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        if hint is float:
            if isinstance(value, bool):
                raise ValueError
            return float(value)
        if hint is str:
            return str(value)
        if "Path" in text:
            return None if value is None else Path(str(value))
        if text.startswith("str | None") or text == "typing.Optional[str]":
            return None if value is None else str(value)
        if "AuditPolicy" in text or "Literal" in text:
            if isinstance(value, dict):
                return {int(k): _policy(where, v) for k, v in value.items()}
            return _policy(where, value)
        if text.startswith("tuple[str"):
            if isinstance(value, str) or not isinstance(value, list | tuple):
                raise ValueError
            return tuple(str(item) for item in value)
        if text.startswith("dict[str, int]"):
            return {str(k): int(v) for k, v in dict(value).items()}
    except (TypeError, ValueError):
        name = getattr(hint, "__name__", text.replace("typing.", ""))
        raise ConfigError(f"{where}: expected {name}, got {value!r}") from None
    return value


def _policy(where: str, value: Any) -> str:
    if value not in AUDIT_POLICIES:
        raise ConfigError(f"{where}: must be one of {', '.join(AUDIT_POLICIES)} (got {value!r})")
    return str(value)
