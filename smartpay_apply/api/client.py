"""The shared async client of the Baidu openapi: one per run, used by every mini-program.

It owns what must be shared to behave well towards Baidu and the machine: one connection pool,
one cap on concurrent requests, one optional requests-per-second limiter. Every call goes
through `OpenApi.call`, which adds the access token, applies the endpoint's retry policy
(`endpoints.Policy`), turns Baidu's three error shapes into exceptions (`errors`) and logs a
masked line per attempt. `OpenApi.app(token)` binds one mini-program (`AppApi`).
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import socket
import time
from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from smartpay_apply import __version__
from smartpay_apply.api import endpoints as ep
from smartpay_apply.api.app import AppApi, TpApi
from smartpay_apply.api.endpoints import Endpoint
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
from smartpay_apply.api.limits import RateLimiter, backoff_delay
from smartpay_apply.api.models import OAuthToken, TpToken
from smartpay_apply.api.tokens import StaticToken, TokenSource
from smartpay_apply.api.transport import Answer, form_body, query_string
from smartpay_apply.sensitive import mask_mapping, mask_query

if TYPE_CHECKING:
    from smartpay_apply.api.lane import AiohttpLane

log = logging.getLogger("smartpay_apply.api")

DEFAULT_BASE_URL = "https://openapi.baidu.com"
USER_AGENT = f"smartpay-apply/{__version__}"

#: Headers and body fields in which a request id may come back (first found wins).
REQUEST_ID_HEADERS = ("x-request-id", "x-bd-request-id", "x-bce-request-id", "request-id", "logid")
REQUEST_ID_FIELDS = ("request_id", "requestId", "log_id", "logid")

FORM_TYPE = "application/x-www-form-urlencoded"
#: Headers aiohttp sets itself on the direct lane (from the URL, the body, what it decodes).
LANE_SETS = frozenset({"host", "content-length", "accept-encoding"})

M = TypeVar("M", bound=BaseModel)


class _Retryable(Exception):
    """One attempt failed in a way a later attempt may not: `maybe_sent` says if it got there."""

    def __init__(self, error: ApiError, *, maybe_sent: bool) -> None:
        super().__init__(str(error))
        self.error = error
        self.maybe_sent = maybe_sent


class _TokenRejected(Exception):
    """Baidu answered 110/111: the token is to be refreshed (once) and the call repeated."""

    def __init__(self, error: TokenError) -> None:
        super().__init__(str(error))
        self.error = error


def default_transport(max_connections: int) -> AiohttpLane:
    """The transport used when none is given: aiohttp under the httpx API (`AiohttpLane`).

    bench/bench_client.py measured it at a fraction of httpx's own transport's CPU per request
    (see bench/README.md); at concurrency 32 on 2 cores that decides the wall time. The aiohttp
    session is made on first use (inside the running loop) and, like httpx, honours the
    HTTPS_PROXY/NO_PROXY environment. `OpenApi` sends most requests through its direct lane.
    """
    from smartpay_apply.api.lane import AiohttpLane

    return AiohttpLane(max_connections)


def certainly_not_sent(exc: Exception) -> bool:
    """True only if the request cannot have reached the server (connection never made).

    httpx-aiohttp maps *every* aiohttp connection error (including "server disconnected" after
    the request went out) to httpx.ConnectTimeout, so for it the aiohttp cause decides.
    """
    cause = exc.__cause__
    module = type(cause).__module__ if cause is not None else ""
    if module.startswith("aiohttp"):
        import aiohttp

        return isinstance(cause, aiohttp.ClientConnectorError)
    return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


def describe_transport_error(exc: Exception, url: str) -> str:
    """A network failure in words a user acts on, naming the URL (without its query).

    httpx-aiohttp reports a refused connection as `ConnectTimeout: Cannot connect to host …`,
    which sends people looking for a slow network; the OS error underneath says what happened.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError) or (
            isinstance(current, OSError) and current.errno == errno.ECONNREFUSED
        ):
            return f"connection refused by {url}"
        if isinstance(current, socket.gaierror):
            return f"cannot resolve the host of {url} ({current.strerror or current})"
        current = getattr(current, "os_error", None) or current.__cause__ or current.__context__
    text = mask_query(str(exc)) or "no answer"
    return f"{type(exc).__name__}: {text} ({url})"


def _as_int(value: object) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _request_id(headers: Mapping[str, str], body: object) -> str | None:
    for header in REQUEST_ID_HEADERS:
        value = headers.get(header)
        if value:
            return str(value)
    if isinstance(body, Mapping):
        for field in REQUEST_ID_FIELDS:
            if body.get(field):
                return str(body[field])
    return None


def _decode(content: bytes) -> object:
    try:
        return json.loads(content)
    except ValueError:
        return None


def _brief(body: object) -> str:
    """errno / error_code of an answer, for the log line (never the payload)."""
    if isinstance(body, Mapping):
        for key in ("errno", "error_code", "error"):
            if key in body:
                return f"{key}={body[key]}"
    return "-"


class OpenApi:
    """The shared openapi client (`async with OpenApi(...) as api`).

    `transport` replaces the network (tests: httpx.MockTransport / ASGITransport; the embedded
    sandbox). `timeout` bounds every call's reads, `connect_timeout` its connect.
    `max_concurrency` caps requests in flight across all mini-programs; `rps` optionally
    limits request starts per second. `retries` is the number of extra attempts a retryable
    failure gets, with full-jitter exponential backoff from `backoff_base` seconds.
    `max_pages` bounds the page iterators (a runaway server raises PaginationError).
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        connect_timeout: float = 3.0,
        max_concurrency: int = 16,
        rps: float | None = None,
        retries: int = 3,
        backoff_base: float = 0.2,
        user_agent: str = USER_AGENT,
        max_pages: int = 10_000,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if timeout <= 0 or connect_timeout <= 0:
            raise ValueError("timeouts must be positive: every call has one")
        self.base_url = base_url.rstrip("/")
        self.retries = max(0, retries)
        self.backoff_base = backoff_base
        self.max_pages = max_pages
        self.max_concurrency = max_concurrency
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._limiter = RateLimiter(rps) if rps else None
        self._timeout = httpx.Timeout(timeout, connect=connect_timeout)
        lane = None if transport is not None else default_transport(max_concurrency)
        chosen = transport or lane
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            transport=chosen,
            timeout=self._timeout,
            headers={"User-Agent": user_agent},
        )
        # The direct lane (see api/transport.py) when the transport is the default one; it
        # sends the headers httpx would, and lets aiohttp say which encodings it decodes.
        self._lane: AiohttpLane | None = lane
        self._lane_base = str(self._http.base_url).rstrip("/")  # as httpx normalised it
        self._headers = {k: v for k, v in self._http.headers.items() if k != "accept-encoding"}
        self._form_headers = {**self._headers, "content-type": FORM_TYPE}

    async def __aenter__(self) -> OpenApi:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    def app(self, token: TokenSource | str) -> AppApi:
        """The endpoints of one mini-program, authenticated by `token`."""
        source = StaticToken(token) if isinstance(token, str) else token
        return AppApi(self, source)

    def tp(self, token: TokenSource | str) -> TpApi:
        """Calls made as the third-party platform (image upload), with the TP's own token."""
        source = StaticToken(token) if isinstance(token, str) else token
        return TpApi(self, source)

    # ------------------------------------------------------------------ TP level
    # These take the TP token as a string; a 110/111 answer is a TokenError (a GatewayError
    # with .error_code) for the credentials area to handle: the client does not refresh it.

    async def tp_token(self, client_id: str, ticket: str) -> TpToken:
        """The TP's own access token (30 days) from the latest pushed ticket."""
        data = await self.call(ep.TP_TOKEN, None, params={"client_id": client_id, "ticket": ticket})
        return self.parse(ep.TP_TOKEN, TpToken, data)

    async def exchange_authorization_code(self, tp_access_token: str, code: str) -> OAuthToken:
        """A mini-program's access + refresh token for its authorization code (single use)."""
        params = {
            "access_token": tp_access_token,
            "code": code,
            "grant_type": "app_to_tp_authorization_code",
        }
        data = await self.call(ep.OAUTH_EXCHANGE, None, params=params)
        return self.parse(ep.OAUTH_EXCHANGE, OAuthToken, data)

    async def refresh_app_token(self, tp_access_token: str, refresh_token: str) -> OAuthToken:
        """A new access + refresh token. Never repeated after an unknown outcome: the refresh
        token is single use, so a lost answer is OutcomeUnknownError, not a blind retry."""
        params = {
            "access_token": tp_access_token,
            "refresh_token": refresh_token,
            "grant_type": "app_to_tp_refresh_token",
        }
        data = await self.call(ep.OAUTH_REFRESH, None, params=params)
        return self.parse(ep.OAUTH_REFRESH, OAuthToken, data)

    async def retrieve_authorization_code(self, tp_access_token: str, app_id: int | str) -> str:
        """A new authorization code for a mini-program that authorized the TP (errno 50032 if
        it did not)."""
        data = await self.call(
            ep.RETRIEVE_CODE,
            None,
            params={"access_token": tp_access_token},
            form={"app_id": str(app_id)},
        )
        if isinstance(data, Mapping):
            data = data.get("authorization_code") or data.get("code")
        if not isinstance(data, str) or not data:
            raise ResponseError(ep.RETRIEVE_CODE.name, None, "answer carries no authorization code")
        return data

    # ------------------------------------------------------------------ the call

    def parse(self, endpoint: Endpoint, model: type[M], data: object) -> M:
        """Validate an answer's data into `model`; a mismatch is a clear ResponseError (field
        names only: values may be sensitive)."""
        try:
            return model.model_validate(data if data is not None else {})
        except ValidationError as exc:
            fields = sorted({".".join(str(p) for p in e["loc"]) or "(root)" for e in exc.errors()})
            raise ResponseError(
                endpoint.name, None, f"unexpected answer shape (fields: {', '.join(fields)})"
            ) from None

    async def call(
        self,
        endpoint: Endpoint,
        tokens: TokenSource | None,
        *,
        params: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> Any:
        """One logical call: attempts, token refresh (once), retries per the endpoint's policy.

        Returns the answer's `data` (or the bare body where the endpoint allows one).
        """
        if endpoint.method == "POST" and not form and not files:
            raise ValueError(f"{endpoint.name}: a POST needs a body (Baidu answers 60020)")
        token = await tokens.token() if tokens is not None else None
        refreshed = False
        maybe_sent = False
        attempt = 0
        while True:
            try:
                return await self._attempt(
                    endpoint, token, params, form, files, after_retry=maybe_sent
                )
            except _TokenRejected as rejected:
                if tokens is None or token is None:
                    raise rejected.error from None
                if refreshed:
                    error = rejected.error
                    raise TokenError(
                        endpoint.name,
                        error.error_code,
                        f"{error.msg} (again after a refresh)",
                        request_id=error.request_id,
                    ) from None
                refreshed = True
                token = await self._refresh(endpoint, tokens, token, rejected.error)
                continue
            except _Retryable as failure:
                maybe_sent = maybe_sent or failure.maybe_sent
                if maybe_sent and not endpoint.retries_maybe_sent:
                    raise self._unknown(endpoint, failure.error) from None
                if attempt >= self.retries:
                    if maybe_sent and endpoint.policy is ep.Policy.CREATE:
                        raise self._unknown(endpoint, failure.error) from None
                    raise failure.error from None
            await asyncio.sleep(backoff_delay(attempt, self.backoff_base))
            attempt += 1

    @staticmethod
    def _unknown(endpoint: Endpoint, error: ApiError) -> OutcomeUnknownError:
        return OutcomeUnknownError(
            endpoint.name,
            None,
            f"outcome unknown ({error.msg or 'no answer'}): the request may or may not have "
            "taken effect; it is not repeated blindly (read the current state before trying again)",
            request_id=error.request_id,
            http_status=error.http_status,
        )

    @staticmethod
    async def _refresh(
        endpoint: Endpoint, tokens: TokenSource, rejected: str, error: TokenError
    ) -> str:
        try:
            return await tokens.refresh(rejected)
        except TokenError as refusal:
            raise TokenError(
                endpoint.name, error.error_code, refusal.msg, request_id=error.request_id
            ) from None

    async def _attempt(
        self,
        endpoint: Endpoint,
        token: str | None,
        params: Mapping[str, str] | None,
        form: Mapping[str, str] | None,
        files: Mapping[str, tuple[str, bytes, str]] | None,
        *,
        after_retry: bool,
    ) -> Any:
        query = dict(params or {})
        if token is not None:
            query["access_token"] = token
        async with self._semaphore:
            if self._limiter is not None:
                await self._limiter.acquire()
            started = time.perf_counter()
            try:
                response = await self._send(endpoint, query, form, files)
            except httpx.HTTPError as exc:
                elapsed = (time.perf_counter() - started) * 1000
                self._log(endpoint, query, form, files, f"{type(exc).__name__}", elapsed, "-")
                raise self._transport_failure(endpoint, exc) from None
        elapsed = (time.perf_counter() - started) * 1000
        body = _decode(response.content)
        self._log(endpoint, query, form, files, str(response.status_code), elapsed, _brief(body))
        return self._interpret(endpoint, response, body, after_retry=after_retry)

    async def _send(
        self,
        endpoint: Endpoint,
        query: Mapping[str, str],
        form: Mapping[str, str] | None,
        files: Mapping[str, tuple[str, bytes, str]] | None,
    ) -> Answer | httpx.Response:
        """One request on the wire: the direct lane when it can, else through httpx."""
        if self._lane is not None:
            url = self._lane_base + endpoint.path
            if query:
                url += "?" + query_string(query)
            if files:  # httpx writes the multipart body (same bytes as before), the lane sends it
                upload = httpx.Request(
                    endpoint.method, url, data=form, files=files, headers=self._headers
                )
                headers = {k: v for k, v in upload.headers.items() if k not in LANE_SETS}
                return await self._lane.fetch(
                    endpoint.method, url, headers, upload.read(), self._timeout
                )
            if form:
                return await self._lane.fetch(
                    endpoint.method, url, self._form_headers, form_body(form), self._timeout
                )
            return await self._lane.fetch(endpoint.method, url, self._headers, None, self._timeout)
        request = self._http.build_request(
            endpoint.method, endpoint.path, params=query, data=form, files=files
        )
        if files:
            await request.aread()  # a byte body: every transport sends it the same way
        return await self._http.send(request)

    def _transport_failure(self, endpoint: Endpoint, exc: Exception) -> _Retryable:
        url = self._lane_base + endpoint.path  # never the query: it holds the token
        error = TransportError(endpoint.name, None, describe_transport_error(exc, url))
        return _Retryable(error, maybe_sent=not certainly_not_sent(exc))

    @staticmethod
    def _interpret(
        endpoint: Endpoint, response: Answer | httpx.Response, body: object, *, after_retry: bool
    ) -> Any:
        """Baidu's answer -> its data, or the matching exception (see errors.py)."""
        status = response.status_code
        rid = _request_id(response.headers, body)
        if isinstance(body, Mapping):
            if "errno" in body:
                errno = _as_int(body.get("errno"))
                msg = str(body.get("msg") or "")
                if errno == 0:
                    return body.get("data")
                if errno is None:
                    raise ResponseError(endpoint.name, None, "answer has a non-numeric errno")
                if errno in RATE_LIMIT_CODES:
                    limited = RateLimitError(endpoint.name, errno, msg, request_id=rid)
                    raise _Retryable(limited, maybe_sent=False)
                if errno in endpoint.duplicate_errnos or (
                    after_retry and errno in endpoint.in_review_errnos
                ):
                    raise AlreadyExistsError(
                        endpoint.name,
                        errno,
                        msg,
                        after_retry=after_retry,
                        request_id=rid,
                        http_status=status,
                    )
                raise BusinessError(endpoint.name, errno, msg, request_id=rid, http_status=status)
            if "error_code" in body:
                code = _as_int(body.get("error_code"))
                msg = str(body.get("error_msg") or "")
                if code in TOKEN_ERROR_CODES:
                    raise _TokenRejected(TokenError(endpoint.name, code, msg, request_id=rid))
                if code in RATE_LIMIT_CODES:
                    limited = RateLimitError(endpoint.name, code, msg, request_id=rid)
                    raise _Retryable(limited, maybe_sent=False)
                gateway = GatewayError(endpoint.name, code, msg, request_id=rid, http_status=status)
                if status >= 500:
                    raise _Retryable(gateway, maybe_sent=True)
                raise gateway
            if isinstance(body.get("error"), str):
                raise OAuthError(
                    endpoint.name,
                    str(body["error"]),
                    str(body.get("error_description") or ""),
                    request_id=rid,
                    http_status=status,
                )
        if status == 429 or status >= 500:
            failure = TransportError(endpoint.name, status, f"HTTP {status}", request_id=rid)
            raise _Retryable(failure, maybe_sent=status != 429)
        if body is None:
            raise ResponseError(endpoint.name, status, "answer is not JSON", request_id=rid)
        if endpoint.bare_ok and 200 <= status < 300:
            return body
        raise ResponseError(
            endpoint.name, status, "answer has neither errno nor error_code", request_id=rid
        )

    @staticmethod
    def _log(
        endpoint: Endpoint,
        query: Mapping[str, str],
        form: Mapping[str, str] | None,
        files: Mapping[str, tuple[str, bytes, str]] | None,
        status: str,
        elapsed_ms: float,
        brief: str,
    ) -> None:
        if not log.isEnabledFor(logging.DEBUG):
            return
        sent = mask_mapping(query)
        if form:
            sent.update(mask_mapping(form))
        for name, (_filename, content, _type) in (files or {}).items():
            sent[name] = f"<image, {len(content)} bytes>"
        log.debug(
            "%s %s %s -> %s %.0f ms %s",
            endpoint.method,
            endpoint.path,
            sent,
            status,
            elapsed_ms,
            brief,
        )


__all__ = ["DEFAULT_BASE_URL", "USER_AGENT", "AppApi", "OpenApi", "TpApi", "certainly_not_sent"]
