"""The shared async client of the Baidu openapi: one per run, used by every mini-program.

It owns what must be shared to behave well towards Baidu and the machine: one transport (its
connection pool), one cap on concurrent requests, one optional requests-per-second limiter.
Every call goes through `OpenApi.call`: the body is encoded once (`encoding`), each attempt
goes through the one `Transport` seam (`transport`), its outcome is read by the pure
`interpret` into ok / retry / refresh-token / fail, and the loop here acts on that: the
endpoint's retry policy (`endpoints.Policy`), one token refresh, backoff, a masked log line
per attempt. `OpenApi.app(token)` binds one mini-program (`AppApi`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import sys
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, cast

from pydantic import BaseModel, ValidationError

from smartpay_apply import __version__
from smartpay_apply.api import endpoints as ep
from smartpay_apply.api.app import AppApi, TpApi
from smartpay_apply.api.encoding import Body, Files, encode_body, url_with_query
from smartpay_apply.api.endpoints import Endpoint
from smartpay_apply.api.errors import ApiError, ResponseError, TokenError
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
from smartpay_apply.api.limits import RateLimiter, backoff_delay
from smartpay_apply.api.models import OAuthToken, TpToken
from smartpay_apply.api.tokens import StaticToken, TokenSource
from smartpay_apply.api.transport import NotSent, Timeouts, Transport, TransportFailure
from smartpay_apply.sensitive import mask_mapping

if TYPE_CHECKING:
    import httpx

    from smartpay_apply.api.transport_aiohttp import AiohttpTransport

log = logging.getLogger("smartpay_apply.api")

DEFAULT_BASE_URL = "https://openapi.baidu.com"
USER_AGENT = f"smartpay-apply/{__version__}"

M = TypeVar("M", bound=BaseModel)


def default_transport(max_connections: int) -> AiohttpTransport:
    """The transport used when none is given: aiohttp (`transport_aiohttp`).

    bench/bench_client.py measured it at a fraction of httpx's own transport's CPU per request
    (see bench/README.md); at concurrency 32 on 2 cores that decides the wall time.
    """
    from smartpay_apply.api.transport_aiohttp import AiohttpTransport

    return AiohttpTransport(max_connections)


def certainly_not_sent(exc: BaseException) -> bool:
    """True only if the request cannot have reached the server (connection never made).

    Transports say so themselves (`NotSent`); an httpx exception is read as the httpx adapter
    reads it (for code that drives an httpx transport directly).
    """
    httpx = _httpx_if_imported()
    if httpx is not None and isinstance(exc, httpx.HTTPError):
        from smartpay_apply.api.transport_httpx import failure

        exc = failure(exc, "", Timeouts(0, 0, 0))
    return isinstance(exc, NotSent)


def _httpx_if_imported() -> Any:
    """httpx if something imported it, else None: without httpx in the process nothing can be
    an httpx transport or error, and the default path then never pays its ~0.1 s import."""
    return sys.modules.get("httpx")


def _as_transport(transport: Transport | httpx.AsyncBaseTransport | None, pool: int) -> Transport:
    if transport is None:
        return default_transport(pool)
    httpx = _httpx_if_imported()
    if httpx is not None and isinstance(transport, httpx.AsyncBaseTransport):
        from smartpay_apply.api.transport_httpx import HttpxTransport

        return HttpxTransport(transport)
    return cast("Transport", transport)  # not an httpx transport: ours


#: A base URL already in the form httpx.URL normalises to: lower-case scheme and host name
#: (or an IPv4 address), no user info, query or fragment, a port without leading zeros, a path
#: of plain segments (no dot segments, nothing to quote).
_NORMAL_URL = re.compile(
    r"(?P<scheme>https?)://(?P<host>[a-z0-9-]+(?:\.[a-z0-9-]+)*)(?::(?P<port>[1-9][0-9]{0,4}))?"
    r"(?:/[A-Za-z0-9_~-]+)*"
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: A host httpx reads as an IPv4 address, and refuses unless it is a valid one ("0.0.0.00").
_IPV4_STYLE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")


def _already_normal(url: str) -> bool:
    match = _NORMAL_URL.fullmatch(url)
    if match is None:
        return False
    if _IPV4_STYLE.fullmatch(match["host"]) and not _valid_ipv4(match["host"]):
        return False  # httpx says what is wrong with it
    port = match["port"]
    return port is None or int(port) != _DEFAULT_PORTS[match["scheme"]]


def _valid_ipv4(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


def normal_base_url(base_url: str) -> str:
    """`base_url` without its trailing slashes, validated and normalised as httpx.URL does
    (host case, IDNA, default port, quoting); an already normal URL (what one usually writes)
    is returned as it is, without importing httpx (~0.1 s)."""
    url = base_url.rstrip("/")
    if _already_normal(url):
        return url
    import httpx

    return str(httpx.URL(url)).rstrip("/")


class OpenApi:
    """The shared openapi client (`async with OpenApi(...) as api`).

    `transport` replaces the network: a `Transport`, or any httpx.AsyncBaseTransport (tests:
    httpx.MockTransport / ASGITransport; the embedded sandbox). `timeout` bounds every
    attempt's wait for an answer, `connect_timeout` its connect. `max_concurrency` caps
    requests in flight across all mini-programs; `rps` optionally limits request starts per
    second. `retries` is the number of extra attempts a retryable failure gets, with
    full-jitter exponential backoff from `backoff_base` seconds. `max_pages` bounds the page
    iterators (a runaway server raises PaginationError).
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        transport: Transport | httpx.AsyncBaseTransport | None = None,
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
        # validated and normalised as httpx.URL does (as the httpx client did before)
        self.base_url = normal_base_url(base_url)
        self.retries = max(0, retries)
        self.backoff_base = backoff_base
        self.max_pages = max_pages
        self.max_concurrency = max_concurrency
        self.transport = _as_transport(transport, max_concurrency)
        self._semaphore = asyncio.Semaphore(max_concurrency)
        self._limiter = RateLimiter(rps) if rps else None
        self._timeouts = Timeouts(connect=connect_timeout, read=timeout, pool=timeout)
        self._headers = {"accept": "*/*", "connection": "keep-alive", "user-agent": user_agent}
        #: Told of every attempt that did not succeed (Baidu's refusal, a transport failure),
        #: before retries or errors are decided: the controller counts errors by errno with it.
        self.on_error: Callable[[ApiError], None] | None = None

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
        """Close the transport (its connection pool)."""
        await self.transport.aclose()

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
        files: Files | None = None,
    ) -> Any:
        """One logical call: attempts, token refresh (once), retries per the endpoint's policy.

        Returns the answer's `data` (or the bare body where the endpoint allows one).
        """
        if endpoint.method == "POST" and not form and not files:
            raise ValueError(f"{endpoint.name}: a POST needs a body (Baidu answers 60020)")
        request = _Request(endpoint, params or {}, form, files)
        token = await tokens.token() if tokens is not None else None
        refreshed = maybe_sent = False
        attempt = 0
        while True:
            match await self._attempt(request, token, after_retry=maybe_sent):
                case Ok(data):
                    return data
                case Fail(error):
                    raise error
                case RefreshToken(rejected):
                    token = await self._refresh(endpoint, tokens, token, rejected, refreshed)
                    refreshed = True
                    continue
                case Retry() as retry:
                    maybe_sent = maybe_sent or retry.maybe_sent
                    last = attempt >= self.retries
                    final = give_up(endpoint, retry, maybe_sent=maybe_sent, last=last)
                    if final is not None:
                        raise final
            await asyncio.sleep(backoff_delay(attempt, self.backoff_base))
            attempt += 1

    @staticmethod
    async def _refresh(
        endpoint: Endpoint,
        tokens: TokenSource | None,
        token: str | None,
        error: TokenError,
        refreshed: bool,
    ) -> str:
        """A new token after a 110/111, at most once per call; else the TokenError to raise."""
        if tokens is None or token is None:
            raise error
        if refreshed:
            raise TokenError(
                endpoint.name,
                error.error_code,
                f"{error.msg} (again after a refresh)",
                request_id=error.request_id,
            )
        try:
            return await tokens.refresh(token)
        except TokenError as refusal:
            raise TokenError(
                endpoint.name, error.error_code, refusal.msg, request_id=error.request_id
            ) from None

    async def _attempt(self, request: _Request, token: str | None, *, after_retry: bool) -> Result:
        """One attempt on the wire (inside the concurrency cap and rate limit), interpreted."""
        endpoint = request.endpoint
        query = dict(request.params)
        if token is not None:
            query["access_token"] = token
        url = url_with_query(self.base_url, endpoint.path, query)
        headers = self._headers
        if request.body is not None:
            headers = {**headers, "content-type": request.body.content_type}
        content = request.body.content if request.body is not None else None
        async with self._semaphore:
            if self._limiter is not None:
                await self._limiter.acquire()
            started = time.perf_counter()
            try:
                answer = await self.transport.send(
                    endpoint.method, url, headers, content, self._timeouts
                )
            except TransportFailure as failure:
                self._log(request, query, failure, started)
                return self._tell(unanswered(endpoint, failure))
        self._log(request, query, answer.status, started, answer.body)
        return self._tell(interpret(endpoint, answer, after_retry=after_retry))

    def _tell(self, result: Result) -> Result:
        """Pass a failed attempt's error to `on_error` (a listener's bug never fails a call)."""
        if self.on_error is not None and not isinstance(result, Ok):
            try:
                self.on_error(result.error)
            except Exception:
                log.exception("the on_error listener failed")
        return result

    @staticmethod
    def _log(
        request: _Request,
        query: Mapping[str, str],
        outcome: int | TransportFailure,
        started: float,
        body: bytes = b"",
    ) -> None:
        """One masked DEBUG line per attempt: what was sent (secrets masked, images as their
        size), the status or the failure, the time, errno/error_code (never the payload)."""
        if not log.isEnabledFor(logging.DEBUG):
            return
        elapsed_ms = (time.perf_counter() - started) * 1000
        sent = mask_mapping(query)
        if request.form:
            sent.update(mask_mapping(request.form))
        for name, (_filename, content, _type) in (request.files or {}).items():
            sent[name] = f"<image, {len(content)} bytes>"
        if isinstance(outcome, TransportFailure):
            status, summary = f"{_sent_word(outcome)}: {outcome.what}", "-"
        else:
            status, summary = str(outcome), brief(body)
        endpoint = request.endpoint
        log.debug(
            "%s %s %s -> %s %.0f ms %s",
            endpoint.method,
            endpoint.path,
            sent,
            status,
            elapsed_ms,
            summary,
        )


def _sent_word(failure: TransportFailure) -> str:
    return "not sent" if isinstance(failure, NotSent) else "maybe sent"


class _Request:
    """What a call sends, prepared once for all its attempts (the body encoded once)."""

    __slots__ = ("body", "endpoint", "files", "form", "params")

    def __init__(
        self,
        endpoint: Endpoint,
        params: Mapping[str, str],
        form: Mapping[str, str] | None,
        files: Files | None,
    ) -> None:
        self.endpoint = endpoint
        self.params = params
        self.form = form
        self.files = files
        self.body: Body | None = encode_body(form, files)


__all__ = [
    "DEFAULT_BASE_URL",
    "USER_AGENT",
    "AppApi",
    "OpenApi",
    "TpApi",
    "certainly_not_sent",
    "default_transport",
]
