"""What a decrypted push says: an audit event, a TP ticket, or an authorization event.

Pure parsing, no I/O: the receiver turns bytes into one of these or refuses the push with a
reason that is safe to log. Audit events follow the payment-service doc
(`appId, tpAppId, eventTime, event, reason?`). Ticket and authorization pushes are not in that
doc; the shapes accepted here are Baidu's TP conventions, with key spellings tolerated in
both cases (`Ticket`/`ticket`, `AuthorizationCode`/`authorizationCode`/`authorization_code`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smartpay_apply.events.crypto import EnvelopeError
from smartpay_apply.timeutil import parse_baidu_time

#: The six payment audit outcomes of the doc.
AUDIT_EVENTS: frozenset[str] = frozenset(
    {
        "APP_PAYMENT_CREATE_ACCOUNT_PASS",
        "APP_PAYMENT_CREATE_ACCOUNT_FAIL",
        "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_PASS",
        "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_FAIL",
        "APP_PAYMENT_CREATE_PAYMENT_PASS",
        "APP_PAYMENT_CREATE_PAYMENT_FAIL",
    }
)
AUTH_EVENTS: frozenset[str] = frozenset({"AUTHORIZED", "UPDATE_AUTHORIZED", "UNAUTHORIZED"})
#: Authorization codes are short-lived; when the push gives no lifetime, trust it this long.
DEFAULT_CODE_TTL = 600.0
_MAX_TEXT = 2000


@dataclass(frozen=True)
class EventMessage:
    """An event about one mini-program (an audit outcome, or an authorization change)."""

    app_id: int
    tp_app_id: int | None
    event: str
    event_time: datetime
    reason: str | None
    raw: dict[str, Any]


@dataclass(frozen=True)
class TicketMessage:
    """The TP ticket Baidu pushes every 10 minutes (secret)."""

    ticket: str


@dataclass(frozen=True)
class AuthorizationMessage:
    """AUTHORIZED / UPDATE_AUTHORIZED / UNAUTHORIZED, with the authorization code if any."""

    event: EventMessage
    code: str | None
    code_ttl: float


def parse_json(body: bytes) -> dict[str, Any]:
    """Bytes -> a JSON object, or EnvelopeError("malformed JSON")."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise EnvelopeError("malformed JSON") from None
    if not isinstance(data, dict):
        raise EnvelopeError("JSON message is not an object")
    return data


def _pick(data: dict[str, Any], *names: str) -> Any:
    lowered = {str(key).lower(): value for key, value in data.items()}
    for name in names:
        if name.lower() in lowered:
            return lowered[name.lower()]
    return None


def _int(value: Any, field: str, required: bool = True) -> int | None:
    if value is None and not required:
        return None
    if isinstance(value, bool):
        raise EnvelopeError(f"{field} must be an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 20:
        return int(value.strip())
    raise EnvelopeError(f"{field} must be an integer")


def _text(value: Any, field: str, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_TEXT:
        raise EnvelopeError(f"{field} must be a non-empty string")
    return value.strip()


def parse_event(data: dict[str, Any]) -> EventMessage:
    """`{appId, tpAppId, eventTime, event, reason?}` -> EventMessage (checks every field)."""
    app_id = _int(_pick(data, "appId", "app_id"), "appId")
    event = _text(_pick(data, "event"), "event")
    when = _text(_pick(data, "eventTime", "event_time"), "eventTime")
    assert app_id is not None and event is not None and when is not None
    try:
        event_time = parse_baidu_time(when)
    except ValueError:
        raise EnvelopeError("eventTime must look like 2019-01-14 12:45:10") from None
    reason = _pick(data, "reason")
    if reason is not None and not isinstance(reason, str):
        raise EnvelopeError("reason must be a string")
    return EventMessage(
        app_id=app_id,
        tp_app_id=_int(_pick(data, "tpAppId", "tp_app_id"), "tpAppId", required=False),
        event=event,
        event_time=event_time,
        reason=reason[:_MAX_TEXT] if reason else None,
        raw={key: data[key] for key in data if str(key).lower() not in _SECRET_KEYS},
    )


_SECRET_KEYS = frozenset({"ticket", "authorizationcode", "authorization_code", "code"})


def is_auth_push(data: dict[str, Any]) -> bool:
    """A ticket or an authorization event (rather than a payment audit event)?"""
    if (
        _pick(data, "Ticket", "ticket") is not None
        or _pick(data, "MsgType", "InfoType", "msgType") == "ticket"
    ):
        return True
    event = _pick(data, "event")
    return isinstance(event, str) and event in AUTH_EVENTS  # a list or object is no event name


def parse_auth_push(data: dict[str, Any]) -> TicketMessage | AuthorizationMessage:
    """A push to the authorization-event URL: a ticket, or an authorization event."""
    ticket = _pick(data, "Ticket", "ticket")
    msg_type = _pick(data, "MsgType", "InfoType", "msgType")
    if ticket is not None or msg_type == "ticket":
        return TicketMessage(_text(ticket, "Ticket") or "")
    event = parse_event(data)
    if event.event not in AUTH_EVENTS:
        raise EnvelopeError("unknown authorization event")
    code = _pick(data, "AuthorizationCode", "authorization_code", "authCode")
    if event.event != "UNAUTHORIZED" and code is None:
        raise EnvelopeError(f"{event.event} without an authorization code")
    ttl = _pick(data, "AuthorizationCodeExpiresIn", "authorizationCodeExpiresIn", "expires_in")
    try:
        code_ttl = float(ttl) if ttl is not None and not isinstance(ttl, bool) else DEFAULT_CODE_TTL
    except (TypeError, ValueError):
        code_ttl = DEFAULT_CODE_TTL
    return AuthorizationMessage(event, _text(code, "AuthorizationCode", required=False), code_ttl)
