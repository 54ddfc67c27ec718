"""What an attempt's outcome means: `interpret` (an answer) and `unanswered` (no answer).

Baidu answers in three shapes — business `{"errno", "msg", "data"}`, gateway
`{"error_code", "error_msg"}`, oauth `{"error", "error_description"}` — plus HTTP statuses
and bodies that are not JSON. Reading them is a pure function from the answer to one of four
results, so every branch is a row of a table test and the client's loop only acts:

* `Ok(data)`: done; `data` is the envelope's `data` (or the bare body where allowed).
* `Retry(error, maybe_sent)`: a later attempt may succeed; `maybe_sent` says whether this one
  may have reached Baidu (which decides if a write may be repeated).
* `RefreshToken(error)`: the access token was rejected (110/111): refresh it once, repeat.
* `Fail(error)`: an answer, and final (a refusal, a shape we do not understand).

`give_up` is the other half of the retry rule: given a `Retry`, whether the call stops, and
with which error (OutcomeUnknownError for writes that may have happened; docs/api-client.md).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from smartpay_apply.api.endpoints import Endpoint, Policy
from smartpay_apply.api.errors import (
    RATE_LIMIT_CODES,
    TOKEN_ERROR_CODES,
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
from smartpay_apply.api.transport import Answer, MaybeSent, TransportFailure

#: Headers and body fields in which a request id may come back (first found wins).
REQUEST_ID_HEADERS = ("x-request-id", "x-bd-request-id", "x-bce-request-id", "request-id", "logid")
REQUEST_ID_FIELDS = ("request_id", "requestId", "log_id", "logid")


@dataclass(frozen=True, slots=True)
class Ok:
    """The call succeeded; `data` is what it returns."""

    data: Any


@dataclass(frozen=True, slots=True)
class Retry:
    """This attempt failed in a way a later one may not; `maybe_sent`: it may have arrived."""

    error: ApiError
    maybe_sent: bool


@dataclass(frozen=True, slots=True)
class RefreshToken:
    """Baidu rejected the access token (110 invalid / 111 expired)."""

    error: TokenError


@dataclass(frozen=True, slots=True)
class Fail:
    """A final answer that is not success."""

    error: ApiError


Result = Ok | Retry | RefreshToken | Fail


#: Bodies with this many `[` and `{` or more are left to `json` (see `decode`).
DEEP_BODY = 500
#: Every byte but `[` and `{`: deleting them counts the brackets in one pass (two `count`s
#: took twice as long on a 35 KB page).
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[{")
_decode_fast = msgspec.json.Decoder().decode


def decode(body: bytes) -> object:
    """The JSON of a body, or None when it is not JSON (never raises).

    What `json.loads` gives, exactly: integers of any size stay integers, numbers with a
    fraction or exponent become the same floats (money is read from them by `money`, never
    through binary noise). msgspec decodes a page of data in about half of json's CPU time
    (bench/README.md, issue 16); whatever it refuses and json may accept (NaN, lone
    surrogates, a byte-order mark, UTF-16, 1e400) is read by json, as is any body with
    DEEP_BODY or more brackets: json refuses nesting a few levels sooner than msgspec near the
    interpreter's recursion limit, and a body that cannot nest that deep never meets it.
    """
    if len(body.translate(None, _NOT_BRACKETS)) < DEEP_BODY:
        try:
            return _decode_fast(body)
        except (msgspec.DecodeError, RecursionError):
            pass
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def interpret(endpoint: Endpoint, answer: Answer, *, after_retry: bool = False) -> Result:
    """Baidu's answer -> its result. `after_retry`: an earlier attempt may have arrived."""
    body = decode(answer.body)
    status = answer.status
    rid = request_id(answer.headers, body)
    if isinstance(body, Mapping):
        if "errno" in body:
            return _business(endpoint, body, status, rid, after_retry)
        if "error_code" in body:
            return _gateway(endpoint, body, status, rid)
        if isinstance(body.get("error"), str):
            description = _text(body.get("error_description") or "")
            oauth = OAuthError(
                endpoint.name, body["error"], description, request_id=rid, http_status=status
            )
            return Fail(oauth)
    if status == 429 or status >= 500:
        failure = TransportError(endpoint.name, status, f"HTTP {status}", request_id=rid)
        return Retry(failure, maybe_sent=status != 429)
    if body is None:
        return Fail(ResponseError(endpoint.name, status, "answer is not JSON", request_id=rid))
    if endpoint.bare_ok and 200 <= status < 300:
        return Ok(body)
    return Fail(
        ResponseError(
            endpoint.name, status, "answer has neither errno nor error_code", request_id=rid
        )
    )


def _business(
    endpoint: Endpoint, body: Mapping[str, Any], status: int, rid: str | None, after_retry: bool
) -> Result:
    """`{"errno": ...}`: 0 is success; limits are retried; a create's duplicate is named."""
    errno = _as_int(body.get("errno"))
    msg = _text(body.get("msg") or "")
    if errno == 0:
        return Ok(body.get("data"))
    if errno is None:
        return Fail(ResponseError(endpoint.name, None, "answer has a non-numeric errno"))
    if errno in RATE_LIMIT_CODES:
        return Retry(RateLimitError(endpoint.name, errno, msg, request_id=rid), maybe_sent=False)
    if errno in endpoint.duplicate_errnos or (after_retry and errno in endpoint.in_review_errnos):
        exists = AlreadyExistsError(
            endpoint.name, errno, msg, after_retry=after_retry, request_id=rid, http_status=status
        )
        return Fail(exists)
    return Fail(BusinessError(endpoint.name, errno, msg, request_id=rid, http_status=status))


def _gateway(endpoint: Endpoint, body: Mapping[str, Any], status: int, rid: str | None) -> Result:
    """`{"error_code": ...}`: a token to refresh, a limit to wait out, or a refusal (a 5xx one
    may have been processed behind the gateway, so it is retried as maybe sent)."""
    code = _as_int(body.get("error_code"))
    msg = _text(body.get("error_msg") or "")
    if code in TOKEN_ERROR_CODES:
        return RefreshToken(TokenError(endpoint.name, code, msg, request_id=rid))
    if code in RATE_LIMIT_CODES:
        return Retry(RateLimitError(endpoint.name, code, msg, request_id=rid), maybe_sent=False)
    gateway = GatewayError(endpoint.name, code, msg, request_id=rid, http_status=status)
    return Retry(gateway, maybe_sent=True) if status >= 500 else Fail(gateway)


def unanswered(endpoint: Endpoint, failure: TransportFailure) -> Retry:
    """No answer: always worth another attempt; whether it may have arrived is the
    transport's call (NotSent / MaybeSent)."""
    error = TransportError(endpoint.name, None, f"transport {failure}")
    return Retry(error, maybe_sent=isinstance(failure, MaybeSent))


def give_up(endpoint: Endpoint, retry: Retry, *, maybe_sent: bool, last: bool) -> ApiError | None:
    """None to try again, else the error that ends the call.

    `maybe_sent`: this or an earlier attempt may have reached Baidu; `last`: the retries are
    spent. A write that may have happened is never repeated (OutcomeUnknownError); a create
    may be (its duplicate is recognisable), but if it never gets an answer its outcome is
    unknown too; everything else ends in its own error once the retries are spent.
    """
    if maybe_sent and not endpoint.retries_maybe_sent:
        return outcome_unknown(endpoint, retry.error)
    if not last:
        return None
    if maybe_sent and endpoint.policy is Policy.CREATE:
        return outcome_unknown(endpoint, retry.error)
    return retry.error


def outcome_unknown(endpoint: Endpoint, error: ApiError) -> OutcomeUnknownError:
    """The error of a write that may or may not have taken effect, with the last failure."""
    return OutcomeUnknownError(
        endpoint.name,
        None,
        f"outcome unknown ({error.msg or 'no answer'}): the request may or may not have "
        "taken effect; it is not repeated blindly (read the current state before trying again)",
        request_id=error.request_id,
        http_status=error.http_status,
    )


def request_id(headers: Mapping[str, str], body: object) -> str | None:
    """Baidu's request id, from a header or a body field (for support tickets)."""
    for header in REQUEST_ID_HEADERS:
        value = headers.get(header)
        if value:
            return str(value)
    if isinstance(body, Mapping):
        for field in REQUEST_ID_FIELDS:
            if body.get(field):
                return str(body[field])
    return None


def brief(body: bytes) -> str:
    """errno / error_code of an answer, for the debug log line (never the payload)."""
    decoded = decode(body)
    if isinstance(decoded, Mapping):
        for key in ("errno", "error_code", "error"):
            if key in decoded:
                return f"{key}={_text(decoded[key])}"
    return "-"


def _as_int(value: object) -> int | None:
    try:
        return int(_text(value))
    except ValueError:
        return None


def _text(value: object) -> str:
    """`str(value)`, but a pathologically nested JSON value becomes a marker: reading an
    answer never raises."""
    try:
        return str(value)
    except RecursionError:
        return "(too deeply nested)"
