"""`interpret`, `unanswered` and `give_up`: every branch, as tables (pure functions, no I/O).

Each row is an answer Baidu (or the way to it) can give and the result the client must act on:
ok(data), retry(error, maybe sent), refresh the token, or fail(error) — with the exact class,
code and line of the error a user would see.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from smartpay_apply.api import endpoints as ep
from smartpay_apply.api.errors import (
    AlreadyExistsError,
    ApiError,
    BusinessError,
    GatewayError,
    OAuthError,
    OutcomeUnknownError,
    RateLimitError,
    ResponseError,
    TokenError,
    TransportError,
)
from smartpay_apply.api.interpret import (
    Fail,
    Ok,
    RefreshToken,
    Result,
    Retry,
    brief,
    give_up,
    interpret,
    unanswered,
)
from smartpay_apply.api.transport import Answer, MaybeSent, NotSent

AUDIT = ep.ACCOUNT_AUDIT  # a read
CREATE = ep.ACCOUNT_CREATE  # a create: 60012 duplicate, 60017 in review
OAUTH = ep.OAUTH_REFRESH  # bare answers allowed
DICT = ep.DICT  # bare answers allowed


def answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Answer:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Answer(status, headers or {}, raw)


def shape(result: Result) -> tuple[Any, ...]:
    """The parts of a result a caller acts on, comparable in a table."""
    if isinstance(result, Ok):
        return ("ok", result.data)
    error = result.error
    kind = {Retry: "retry", RefreshToken: "refresh", Fail: "fail"}[type(result)]
    extra = (result.maybe_sent,) if isinstance(result, Retry) else ()
    return (kind, type(error), str(error), *extra)


# fmt: off
CASES: list[tuple[str, Any, Answer, bool, tuple[Any, ...]]] = [
    # --- business shape {"errno", "msg", "data"}
    ("errno 0 gives data", AUDIT, answer({"errno": 0, "data": {"status": 4}}), False,
     ("ok", {"status": 4})),
    ("errno 0 without data", AUDIT, answer({"errno": 0, "msg": "success"}), False, ("ok", None)),
    ("errno '0' as text", AUDIT, answer({"errno": "0", "data": 1}), False, ("ok", 1)),
    ("errno 0 even on HTTP 500", AUDIT, answer({"errno": 0, "data": 2}, 500), False, ("ok", 2)),
    ("non-numeric errno", AUDIT, answer({"errno": "x"}), False,
     ("fail", ResponseError, "account/auditstatus: answer has a non-numeric errno")),
    ("nested errno", AUDIT, answer({"errno": [[[1]]]}), False,
     ("fail", ResponseError, "account/auditstatus: answer has a non-numeric errno")),
    ("business refusal", AUDIT, answer({"errno": 60015, "msg": ""}), False,
     ("fail", BusinessError,
      "account/auditstatus: errno 60015 账号异常 (the account is abnormal (blocked or invalid))")),
    # (a RateLimitError is a GatewayError, so it says error_code even for an errno)
    ("errno limit is retried, not sent", AUDIT, answer({"errno": 50029, "msg": "limit"}), False,
     ("retry", RateLimitError,
      "account/auditstatus: error_code 50029 limit (call-count limit exceeded)", False)),
    ("create duplicate", CREATE, answer({"errno": 60012, "msg": "exists"}), False,
     ("fail", AlreadyExistsError,
      "account/create: errno 60012 exists (the payment account already exists: do not create "
      "it again)")),
    ("create duplicate after a lost attempt", CREATE, answer({"errno": 60012, "msg": "exists"}),
     True,
     ("fail", AlreadyExistsError,
      "account/create: errno 60012 exists (the payment account already exists: do not create "
      "it again); an earlier attempt of this call may have created it: confirm with a read")),
    ("in review on a first create is plain", CREATE, answer({"errno": 60017, "msg": "审核中"}),
     False,
     ("fail", BusinessError,
      "account/create: errno 60017 审核中 (the payment account is under audit: wait for the "
      "result)")),
    ("in review after a lost create is ours", CREATE, answer({"errno": 60017, "msg": "审核中"}),
     True,
     ("fail", AlreadyExistsError,
      "account/create: errno 60017 审核中 (the payment account is under audit: wait for the "
      "result); an earlier attempt of this call may have created it: confirm with a read")),
    ("in review on a read is plain", AUDIT, answer({"errno": 60017, "msg": "审核中"}), True,
     ("fail", BusinessError,
      "account/auditstatus: errno 60017 审核中 (the payment account is under audit: wait for "
      "the result)")),
    # --- gateway shape {"error_code", "error_msg"}
    ("token invalid", AUDIT, answer({"error_code": 110, "error_msg": "invalid"}), False,
     ("refresh", TokenError, "account/auditstatus: error_code 110 invalid (access token invalid)")),
    ("token expired", AUDIT, answer({"error_code": "111", "error_msg": "expired"}), False,
     ("refresh", TokenError, "account/auditstatus: error_code 111 expired (access token expired)")),
    ("gateway limit", AUDIT, answer({"error_code": 18, "error_msg": "qps"}), False,
     ("retry", RateLimitError,
      "account/auditstatus: error_code 18 qps (requests-per-second limit reached: slow down)",
      False)),
    ("gateway refusal", AUDIT, answer({"error_code": 5, "error_msg": "ip"}), False,
     ("fail", GatewayError,
      "account/auditstatus: error_code 5 ip (client IP not whitelisted for the third-party "
      "platform)")),
    ("gateway error on a 5xx may have been processed", AUDIT,
     answer({"error_code": 2, "error_msg": "busy"}, 502), False,
     ("retry", GatewayError, "account/auditstatus: error_code 2 busy", True)),
    ("non-numeric error_code", AUDIT, answer({"error_code": "x", "error_msg": "odd"}), False,
     ("fail", GatewayError, "account/auditstatus: odd")),
    # --- oauth shape {"error", "error_description"}
    ("oauth error", OAUTH, answer({"error": "invalid_grant", "error_description": "used"}, 400),
     False, ("fail", OAuthError, "oauth/token (refresh): oauth error invalid_grant used")),
    ("non-text error is not the oauth shape", AUDIT, answer({"error": 1}), False,
     ("fail", ResponseError,
      "account/auditstatus: bad response 200 answer has neither errno nor error_code")),
    # --- HTTP status, no envelope
    ("HTTP 503 may have been processed", AUDIT, answer(b"unavailable", 503), False,
     ("retry", TransportError, "account/auditstatus: transport 503 HTTP 503", True)),
    ("HTTP 500 with a JSON body", AUDIT, answer({"message": "oops"}, 500), False,
     ("retry", TransportError, "account/auditstatus: transport 500 HTTP 500", True)),
    ("HTTP 429 was not processed", AUDIT, answer(b"slow down", 429), False,
     ("retry", TransportError, "account/auditstatus: transport 429 HTTP 429", False)),
    ("not JSON", AUDIT, answer(b"<html>", 200), False,
     ("fail", ResponseError, "account/auditstatus: bad response 200 answer is not JSON")),
    ("not UTF-8", AUDIT, answer(b"\xff\xfe\x00", 200), False,
     ("fail", ResponseError, "account/auditstatus: bad response 200 answer is not JSON")),
    ("nested beyond the parser", AUDIT, answer(b"[" * 100_000), False,
     ("fail", ResponseError, "account/auditstatus: bad response 200 answer is not JSON")),
    ("empty body on a 404", AUDIT, answer(b"", 404), False,
     ("fail", ResponseError, "account/auditstatus: bad response 404 answer is not JSON")),
    ("bare body where allowed", OAUTH, answer({"access_token": "a", "expires_in": 1}), False,
     ("ok", {"access_token": "a", "expires_in": 1})),
    ("bare list where allowed", DICT, answer([1, 2]), False, ("ok", [1, 2])),
    ("bare body on a 4xx is not success", OAUTH, answer({"access_token": "a"}, 400), False,
     ("fail", ResponseError,
      "oauth/token (refresh): bad response 400 answer has neither errno nor error_code")),
    ("bare body where not allowed", AUDIT, answer({"status": 4}), False,
     ("fail", ResponseError,
      "account/auditstatus: bad response 200 answer has neither errno nor error_code")),
    ("JSON null", AUDIT, answer(None), False,
     ("fail", ResponseError, "account/auditstatus: bad response 200 answer is not JSON")),
]
# fmt: on


@pytest.mark.parametrize(
    ("endpoint", "given", "after_retry", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_interpret(
    endpoint: ep.Endpoint, given: Answer, after_retry: bool, expected: tuple[Any, ...]
) -> None:
    assert shape(interpret(endpoint, given, after_retry=after_retry)) == expected


def test_request_id_from_header_first_then_body() -> None:
    body = {"errno": 60015, "msg": "x", "request_id": "from-body"}
    with_header = interpret(AUDIT, answer(body, headers={"x-request-id": "from-header"}))
    without = interpret(AUDIT, answer(body))
    assert isinstance(with_header, Fail) and with_header.error.request_id == "from-header"
    assert isinstance(without, Fail) and without.error.request_id == "from-body"
    assert str(without.error).endswith("[request id from-body]")


def test_errors_carry_the_http_status() -> None:
    result = interpret(AUDIT, answer({"errno": 60015, "msg": "x"}, 403))
    assert isinstance(result, Fail) and result.error.http_status == 403


def test_messages_never_carry_a_token_or_a_card_number() -> None:
    body = {"errno": 60000, "msg": "bad access_token=tok-secret card 6217000010001234"}
    result = interpret(AUDIT, answer(body))
    assert isinstance(result, Fail)
    assert "tok-secret" not in str(result.error) and "6217000010001234" not in str(result.error)


@pytest.mark.parametrize(
    ("failure", "maybe_sent", "line"),
    [
        (
            NotSent("connection refused", "http://h:1/p?access_token=t", "is the endpoint right?"),
            False,
            "account/auditstatus: transport connection refused (http://h:1): "
            "is the endpoint right?",
        ),
        (
            MaybeSent("read timeout: no answer within 10 s", "https://u:p@h/p?access_token=t"),
            True,
            "account/auditstatus: transport read timeout: no answer within 10 s (https://h)",
        ),
    ],
)
def test_unanswered(failure: NotSent | MaybeSent, maybe_sent: bool, line: str) -> None:
    retry = unanswered(AUDIT, failure)
    assert (type(retry.error), str(retry.error), retry.maybe_sent) == (
        TransportError,
        line,
        maybe_sent,
    )


TIMEOUT = Retry(TransportError("x", None, "transport read timeout"), maybe_sent=True)
LIMIT = Retry(RateLimitError("x", 18, "qps"), maybe_sent=False)

#: endpoint, retry, maybe sent (so far), retries spent -> None (try again) or the error class.
GIVE_UP: list[tuple[ep.Endpoint, Retry, bool, bool, type[ApiError] | None]] = [
    (AUDIT, TIMEOUT, True, False, None),  # a read is repeated
    (AUDIT, TIMEOUT, True, True, TransportError),  # ... until the retries are spent
    (AUDIT, LIMIT, False, True, RateLimitError),
    (ep.UPLOAD_IMAGE, TIMEOUT, True, False, None),  # repeatable
    (ep.UPLOAD_IMAGE, TIMEOUT, True, True, TransportError),
    (CREATE, TIMEOUT, True, False, None),  # a create is repeated (duplicate recognisable)
    (CREATE, TIMEOUT, True, True, OutcomeUnknownError),  # ... but never answered: unknown
    (CREATE, LIMIT, False, True, RateLimitError),  # never arrived: its own error
    (ep.DEVELOPER_CONFIG, TIMEOUT, True, False, OutcomeUnknownError),  # a write: not repeated
    (ep.DEVELOPER_CONFIG, LIMIT, False, False, None),  # not processed: repeated
    (ep.DEVELOPER_CONFIG, LIMIT, True, False, OutcomeUnknownError),  # an earlier one may have
    (ep.DEVELOPER_CONFIG, LIMIT, False, True, RateLimitError),
    (OAUTH, TIMEOUT, True, False, OutcomeUnknownError),  # spends a single-use token
    (OAUTH, LIMIT, False, False, None),
]


@pytest.mark.parametrize(("endpoint", "retry", "maybe_sent", "last", "expected"), GIVE_UP)
def test_give_up(
    endpoint: ep.Endpoint,
    retry: Retry,
    maybe_sent: bool,
    last: bool,
    expected: type[ApiError] | None,
) -> None:
    error = give_up(endpoint, retry, maybe_sent=maybe_sent, last=last)
    assert (type(error) if error is not None else None) is expected
    if expected is OutcomeUnknownError:
        assert error is not None
        assert str(error).startswith(f"{endpoint.name}: outcome unknown (")
    elif expected is not None:
        assert error is retry.error


@pytest.mark.parametrize(
    ("body", "line"),
    [
        (b'{"errno": 60015}', "errno=60015"),
        (b'{"error_code": 110}', "error_code=110"),
        (b'{"error": "invalid_grant"}', "error=invalid_grant"),
        (b'{"access_token": "secret"}', "-"),
        (b"<html>", "-"),
    ],
)
def test_brief_for_the_log_never_shows_the_payload(body: bytes, line: str) -> None:
    assert brief(body) == line
