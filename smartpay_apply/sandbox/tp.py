"""The third-party-platform (TP) side of Baidu's openapi, as openapi-facts.md describes it.

- GET  /public/2.0/smartapp/auth/tp/token?client_id&ticket -> the TP token (30 days).
- GET  /rest/2.0/oauth/token?access_token=<TP token>&grant_type=app_to_tp_authorization_code&code
  or  grant_type=app_to_tp_refresh_token&refresh_token -> flat {access_token, refresh_token,
  expires_in}; mini-program tokens last `token_ttl` (1 h). Refresh tokens are SINGLE USE: a
  used one (or an unknown code) gets HTTP 400 {"error": "invalid_grant", ...}.
- POST /rest/2.0/smartapp/auth/retrieve/authorizationcode?access_token=<TP token>, form app_id
  -> {authorization_code, expires_in}; errno 50032 when the app has not authorized the TP.

Tickets and authorization codes are issued by the admin API (and pushed to the
authorization-event URL like Baidu does). Every secret is kept as a digest.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from smartpay_apply.sandbox import auth
from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.sandbox.errors import ApiError, GatewayError, OAuthError, success
from smartpay_apply.sandbox.store import State
from smartpay_apply.sandbox.world import digest
from smartpay_apply.timeutil import format_baidu_time

TP_TOKEN_PATH = "/public/2.0/smartapp/auth/tp/token"
OAUTH_TOKEN_PATH = "/rest/2.0/oauth/token"
RETRIEVE_CODE_PATH = "/rest/2.0/smartapp/auth/retrieve/authorizationcode"
GRANT_CODE = "app_to_tp_authorization_code"
GRANT_REFRESH = "app_to_tp_refresh_token"


@dataclass
class TpCall:
    """One call to a TP endpoint: the world, the settings, the token given, the parameters."""

    state: State
    config: SandboxConfig
    now: float
    token: str | None
    params: dict[str, str]


TpHandler = Callable[[TpCall], dict[str, Any]]


def _tp(state: State) -> dict[str, Any]:
    tp: dict[str, Any] = state["tp"]
    return tp


def _check_tp_token(call: TpCall) -> None:
    """The sandbox's own TP token in the query: 110 unknown (or another TP's), 111 expired."""
    if auth.authenticate_tp(call.state, call.config, call.token, call.now) != call.config.tp_app_id:
        raise GatewayError(110)


def _new_secret(prefix: str) -> str:
    return f"{prefix}.{secrets.token_urlsafe(24)}"


# ----------------------------------------------------------------------- admin-side issuers


def issue_ticket(state: State, config: SandboxConfig, now: float) -> str:
    """A new ticket, valid `ticket_ttl` (Baidu pushes one every 10 minutes)."""
    ticket = _new_secret("ticket")
    tickets = _tp(state)["tickets"]
    for key in [k for k, exp in tickets.items() if exp <= now]:
        del tickets[key]
    tickets[digest(ticket)] = now + config.ticket_ttl
    return ticket


def issue_tp_token(state: State, config: SandboxConfig, now: float) -> str:
    token = _new_secret("tp")
    _tp(state)["tp_tokens"][digest(token)] = now + config.tp_token_ttl
    return token


def authorize(state: State, config: SandboxConfig, app_id: int, now: float) -> str:
    """The mini-program authorizes the TP: a new single-use authorization code."""
    authorized: list[int] = _tp(state)["authorized"]
    if app_id not in authorized:
        authorized.append(app_id)
    code = _new_secret("code")
    _tp(state)["codes"][digest(code)] = {"app_id": app_id, "expires_at": now + config.code_ttl}
    return code


def unauthorize(state: State, config: SandboxConfig, app_id: int) -> None:
    """The mini-program withdraws: its codes, refresh tokens and access tokens stop working."""
    tp = _tp(state)
    if app_id in tp["authorized"]:
        tp["authorized"].remove(app_id)
    for table in ("codes", "refresh_tokens"):
        for key in [k for k, v in tp[table].items() if v["app_id"] == app_id]:
            del tp[table][key]
    for entry in state["tokens"].values():
        if entry["app_id"] == app_id and entry.get("kind") == "tp":
            entry["expired"] = True


def auth_event(
    config: SandboxConfig, app_id: int, event: str, now: float, code: str | None
) -> dict[str, Any]:
    """The AUTHORIZED / UNAUTHORIZED push to the authorization-event URL."""
    body: dict[str, Any] = {
        "appId": app_id,
        "tpAppId": config.tp_app_id,
        "eventTime": format_baidu_time(datetime.fromtimestamp(now, UTC)),
        "event": event,
    }
    if code is not None:
        body["authorizationCode"] = code
        body["authorizationCodeExpiresIn"] = int(config.code_ttl)
    return body


def ticket_push(config: SandboxConfig, ticket: str, now: float) -> dict[str, Any]:
    """The ticket push Baidu sends every 10 minutes."""
    return {"Ticket": ticket, "MsgType": "ticket", "Event": "PUSH_TICKET", "CreateTime": int(now)}


# --------------------------------------------------------------------------- the endpoints


def tp_token(call: TpCall) -> dict[str, Any]:
    client_id = call.params.get("client_id", "")
    ticket = call.params.get("ticket", "")
    if not client_id or not ticket:
        raise ApiError(60000, "client_id 和 ticket 必填")
    if client_id != call.config.tp_client_id:
        raise ApiError(60000, "client_id 错误")
    expires_at = _tp(call.state)["tickets"].get(digest(ticket))
    if expires_at is None or call.now >= expires_at:
        raise ApiError(60000, "ticket 无效或已过期")
    token = issue_tp_token(call.state, call.config, call.now)
    return success(
        {"access_token": token, "expires_in": int(call.config.tp_token_ttl), "scope": "smartapp_tp"}
    )


def _token_pair(call: TpCall, app_id: int) -> dict[str, Any]:
    """A new access token (token_ttl) and a new single-use refresh token for `app_id`."""
    access = _new_secret(f"app{app_id}")
    refresh = _new_secret("refresh")
    auth.register(call.state, access, app_id, call.now + call.config.token_ttl)
    call.state["tokens"][digest(access)]["kind"] = "tp"
    _tp(call.state)["refresh_tokens"][digest(refresh)] = {"app_id": app_id, "used": False}
    return {
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": int(call.config.token_ttl),
    }


def oauth_token(call: TpCall) -> dict[str, Any]:
    _check_tp_token(call)
    grant = call.params.get("grant_type", "")
    tp = _tp(call.state)
    if grant == GRANT_CODE:
        code = call.params.get("code", "")
        entry = tp["codes"].get(digest(code)) if code else None
        if entry is None or call.now >= entry["expires_at"]:
            raise OAuthError("invalid_grant", "authorization code invalid, used or expired")
        del tp["codes"][digest(code)]
        return _token_pair(call, int(entry["app_id"]))
    if grant == GRANT_REFRESH:
        refresh = call.params.get("refresh_token", "")
        entry = tp["refresh_tokens"].get(digest(refresh)) if refresh else None
        if entry is None:
            raise OAuthError("invalid_grant", "refresh token invalid")
        if entry["used"]:
            raise OAuthError("invalid_grant", "refresh token already used")
        if entry["app_id"] not in tp["authorized"]:
            raise OAuthError("invalid_grant", "the mini-program no longer authorizes this TP")
        entry["used"] = True
        return _token_pair(call, int(entry["app_id"]))
    raise OAuthError(
        "unsupported_grant_type", f"grant_type must be {GRANT_CODE} or {GRANT_REFRESH}"
    )


def retrieve_authorization_code(call: TpCall) -> dict[str, Any]:
    _check_tp_token(call)
    raw = call.params.get("app_id", "").strip()
    if not raw.isdigit():
        raise ApiError(60000, "app_id 必填")
    app_id = int(raw)
    if app_id not in _tp(call.state)["authorized"]:
        raise ApiError(50032)
    code = authorize(call.state, call.config, app_id, call.now)
    return success({"authorization_code": code, "expires_in": int(call.config.code_ttl)})


TP_ROUTES: dict[tuple[str, str], TpHandler] = {
    ("GET", TP_TOKEN_PATH): tp_token,
    ("GET", OAUTH_TOKEN_PATH): oauth_token,
    ("POST", RETRIEVE_CODE_PATH): retrieve_authorization_code,
}
