"""Parsing decrypted pushes: audit events, tickets, authorization events."""

from __future__ import annotations

from datetime import datetime

import pytest

from smartpay_apply.events.crypto import EnvelopeError
from smartpay_apply.events.messages import (
    DEFAULT_CODE_TTL,
    AuthorizationMessage,
    TicketMessage,
    parse_auth_push,
    parse_event,
    parse_json,
)
from smartpay_apply.timeutil import SHANGHAI


def test_audit_event_from_the_doc_example() -> None:
    event = parse_event(
        {
            "appId": 101,
            "tpAppId": "9",
            "eventTime": "2019-01-14 12:45:10",
            "event": "APP_PAYMENT_CREATE_ACCOUNT_FAIL",
            "reason": "失败原因",
        }
    )
    assert (event.app_id, event.tp_app_id, event.event, event.reason) == (
        101,
        9,
        "APP_PAYMENT_CREATE_ACCOUNT_FAIL",
        "失败原因",
    )
    assert event.event_time == datetime(2019, 1, 14, 12, 45, 10, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"event": "X", "eventTime": "2019-01-14 12:45:10"}, "appId"),
        ({"appId": True, "event": "X", "eventTime": "2019-01-14 12:45:10"}, "appId"),
        ({"appId": "12a", "event": "X", "eventTime": "2019-01-14 12:45:10"}, "appId"),
        ({"appId": 1, "event": "", "eventTime": "2019-01-14 12:45:10"}, "event"),
        ({"appId": 1, "event": "X", "eventTime": "yesterday"}, "eventTime"),
        ({"appId": 1, "event": "X", "eventTime": "2019-01-14 12:45:10", "reason": 5}, "reason"),
    ],
)
def test_bad_events_are_refused_with_the_field(data: dict, message: str) -> None:
    with pytest.raises(EnvelopeError, match=message):
        parse_event(data)


@pytest.mark.parametrize("body", [b"", b"[1]", b"{", b"\xff\xfe", b"null", b"[" * 100000])
def test_parse_json_refuses_non_objects(body: bytes) -> None:
    with pytest.raises(EnvelopeError):
        parse_json(body)


def test_ticket_push_in_either_spelling() -> None:
    assert parse_auth_push({"Ticket": "T-1", "MsgType": "ticket"}) == TicketMessage("T-1")
    assert parse_auth_push({"ticket": "T-2"}) == TicketMessage("T-2")
    with pytest.raises(EnvelopeError, match="Ticket"):
        parse_auth_push({"MsgType": "ticket"})


def test_authorized_event_carries_the_code_but_not_in_raw() -> None:
    message = parse_auth_push(
        {
            "appId": 101,
            "tpAppId": 9,
            "eventTime": "2019-01-14 12:45:10",
            "event": "AUTHORIZED",
            "AuthorizationCode": "code-secret",
        }
    )
    assert isinstance(message, AuthorizationMessage)
    assert message.code == "code-secret"
    assert message.code_ttl == DEFAULT_CODE_TTL
    assert "code-secret" not in repr(message.event.raw)


def test_authorized_without_code_and_unknown_auth_events_are_refused() -> None:
    base = {"appId": 101, "eventTime": "2019-01-14 12:45:10"}
    with pytest.raises(EnvelopeError, match="without an authorization code"):
        parse_auth_push({**base, "event": "AUTHORIZED"})
    with pytest.raises(EnvelopeError, match="unknown authorization event"):
        parse_auth_push({**base, "event": "APP_PAYMENT_CREATE_ACCOUNT_PASS"})
    unauthorized = parse_auth_push({**base, "event": "UNAUTHORIZED"})
    assert isinstance(unauthorized, AuthorizationMessage)
    assert unauthorized.code is None
