"""Who is calling: access token -> mini-program or TP, with the gateway's refusals (110 / 111).

Mini-program tokens come from four places, checked in this order: tokens the sandbox issued or
an admin registered (kept in the state as digests, with an expiry), `config.tokens`, and, with
`auto_tokens`, any `sandbox-<app_id>`. An admin can expire any of them (then: 111).

TP tokens (the third-party platform's own, for image upload and the oauth endpoints): those
tp/token issued (digests, 30 days), and, with `auto_tokens`, `sandbox-tp` (the sandbox's TP,
`tp_app_id`) and `sandbox-tp-<N>` (another TP, id N: its uploads serve none of our apps).
"""

from __future__ import annotations

import re
from typing import Any

from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.sandbox.errors import GatewayError
from smartpay_apply.sandbox.store import State
from smartpay_apply.sandbox.world import digest

_AUTO = re.compile(r"^sandbox-(\d{1,18})$")
_AUTO_TP = re.compile(r"^sandbox-tp(?:-(\d{1,18}))?$")
#: The automatic TP token of the sandbox's own TP.
TP_AUTO_TOKEN = "sandbox-tp"


def token_app(config: SandboxConfig, token: str) -> int | None:
    """The app a configured or automatic token names, ignoring the state."""
    if token in config.tokens:
        return int(config.tokens[token])
    match = _AUTO.match(token) if config.auto_tokens else None
    return int(match.group(1)) if match else None


def authenticate(state: State, config: SandboxConfig, token: str | None, now: float) -> int:
    """The app_id of a valid mini-program token; GatewayError 110/111 otherwise."""
    if not token:
        raise GatewayError(110)
    entry: dict[str, Any] | None = state["tokens"].get(digest(token))
    if entry is not None:
        expires_at = entry.get("expires_at")
        if entry.get("expired") or (expires_at is not None and now >= expires_at):
            raise GatewayError(111)
        return int(entry["app_id"])
    app_id = token_app(config, token)
    if app_id is None:
        raise GatewayError(110)
    return app_id


def authenticate_tp(state: State, config: SandboxConfig, token: str | None, now: float) -> int:
    """The TP id (tp_app_id) of a valid TP token; GatewayError 110/111 otherwise.

    A mini-program token is not a TP token: 110, like any unknown token.
    """
    if not token:
        raise GatewayError(110)
    expires_at = state["tp"]["tp_tokens"].get(digest(token))
    if expires_at is not None:
        if now >= expires_at:
            raise GatewayError(111)
        return config.tp_app_id
    match = _AUTO_TP.match(token) if config.auto_tokens else None
    if match is None:
        raise GatewayError(110)
    return int(match.group(1)) if match.group(1) else config.tp_app_id


def register(state: State, token: str, app_id: int, expires_at: float | None) -> None:
    """Accept `token` for `app_id` until `expires_at` (None: forever)."""
    state["tokens"][digest(token)] = {"app_id": app_id, "expires_at": expires_at, "expired": False}


def expire(
    state: State, config: SandboxConfig, token: str | None = None, app_id: int | None = None
) -> int:
    """Expire one token, or every known token of an app (incl. its automatic one); the count."""
    count = 0
    if token is not None:
        entry = state["tokens"].get(digest(token))
        owner = entry["app_id"] if entry else token_app(config, token)
        if owner is None:
            return 0
        state["tokens"][digest(token)] = {"app_id": owner, "expires_at": None, "expired": True}
        return 1
    if app_id is not None:
        for entry in state["tokens"].values():
            if entry["app_id"] == app_id and not entry.get("expired"):
                entry["expired"] = True
                count += 1
        if config.auto_tokens:
            auto = f"sandbox-{app_id}"
            state["tokens"][digest(auto)] = {"app_id": app_id, "expires_at": None, "expired": True}
            count += 1
    return count
