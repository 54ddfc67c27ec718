"""The push receiver: Baidu's message-and-event URL and authorization-event URL (ASGI).

Routes:
- `POST /` (also `/events`): audit events (审核消息推送). Answered `success` only once the event
  is committed to the state store, because Baidu redelivers anything else; a redelivery is
  deduplicated by (appId, event, eventTime) and still answered `success`.
- `POST /tp/auth`: the TP ticket push and AUTHORIZED / UPDATE_AUTHORIZED / UNAUTHORIZED;
  tickets and authorization codes are stored as encrypted secrets for the credentials area.
  (`/` recognises these too, for a TP that configured one URL for both.)
- URL verification on either path (`signature, timestamp, nonce, echoStr`): answered with echoStr.
- `GET /healthz`: 200 `ok` when the state store answers (for load balancers).

A push that must not be accepted (bad signature, bad padding, wrong client id, oversize body,
malformed JSON, plaintext when not allowed) gets a 4xx and one log line with the reason, and
nothing is stored. A store failure gets a 503 so Baidu retries. No input reaches a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from smartpay_apply.events import crypto
from smartpay_apply.events.crypto import EnvelopeError
from smartpay_apply.events.messages import (
    AuthorizationMessage,
    TicketMessage,
    is_auth_push,
    parse_auth_push,
    parse_event,
    parse_json,
)
from smartpay_apply.events.storage import EventWriter

if TYPE_CHECKING:
    from smartpay_apply.state.base import AuditEvent, StateStore

log = logging.getLogger(__name__)

#: Largest push body accepted; Baidu's pushes are a few hundred bytes.
MAX_BODY = 64 * 1024
#: Beyond MAX_BODY the rest is read and thrown away up to this size (so the client gets its
#: 413 instead of a reset connection); past it the connection is simply closed.
DRAIN_LIMIT = 2 * 1024 * 1024
SUCCESS = "success"
#: How long a shutdown waits for running --on-event commands.
HOOK_DRAIN = 30.0

OnEvent = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(frozen=True)
class ReceiverSettings:
    """What the receiver verifies with. `token` and `key` are secrets: never logged."""

    token: str | None
    key: bytes | None
    client_id: str | None = None
    allow_plaintext: bool = False
    max_body: int = MAX_BODY

    def __repr__(self) -> str:
        return (
            f"ReceiverSettings(token={'****' if self.token else None}, key={'****' if self.key else None}, "
            f"client_id={self.client_id!r}, allow_plaintext={self.allow_plaintext})"
        )


class Rejected(Exception):
    """A push refused with an HTTP status and a reason that is safe to show and log."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class _TooLarge(Exception):
    pass


def create_receiver(
    settings: ReceiverSettings, store: StateStore, *, on_event: OnEvent | None = None
) -> Starlette:
    """The ASGI app. `on_event` is awaited in the background after each newly stored event."""
    receiver = _Receiver(settings, EventWriter(store), on_event)
    return Starlette(
        routes=[
            Route("/", receiver.message_url, methods=["GET", "POST"]),
            Route("/events", receiver.message_url, methods=["GET", "POST"]),
            Route("/tp/auth", receiver.auth_url, methods=["GET", "POST"]),
            Route("/healthz", receiver.health, methods=["GET"]),
        ],
        lifespan=receiver.lifespan,
    )


class _Receiver:
    def __init__(
        self, settings: ReceiverSettings, writer: EventWriter, on_event: OnEvent | None
    ) -> None:
        self.settings = settings
        self.writer = writer
        self.on_event = on_event
        self._background: set[asyncio.Task[None]] = set()

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        """On shutdown, let running --on-event commands finish (up to HOOK_DRAIN seconds)."""
        yield
        if self._background:
            log.info("waiting for %d on-event command(s) to finish", len(self._background))
            _, pending = await asyncio.wait(set(self._background), timeout=HOOK_DRAIN)
            if pending:
                log.warning(
                    "%d on-event command(s) still running at shutdown were abandoned", len(pending)
                )

    async def health(self, request: Request) -> Response:
        try:
            await asyncio.to_thread(self.writer.ping)
        except Exception as error:  # the store is down: tell the load balancer
            log.warning("health check: state store unavailable (%s)", type(error).__name__)
            return PlainTextResponse("state store unavailable", status_code=503)
        return PlainTextResponse("ok")

    async def message_url(self, request: Request) -> Response:
        return await self._handle(request, self._store_any)

    async def auth_url(self, request: Request) -> Response:
        return await self._handle(request, self._store_auth)

    async def _store_any(self, data: dict[str, Any]) -> None:
        """The message URL also takes authorization pushes (a TP may configure one URL for both)."""
        if is_auth_push(data):
            await self._store_auth(data)
        else:
            await self._store_event(data)

    async def _handle(
        self, request: Request, store: Callable[[dict[str, Any]], Awaitable[None]]
    ) -> Response:
        peer = request.client.host if request.client else "?"
        try:
            body = await _read_body(request, self.settings.max_body)
            fields = _fields(request, body)
            if _lower(fields).get("echostr") is not None:
                return self._verify_url(fields)
            if request.method != "POST":
                raise Rejected(405, "method not allowed")
            message = self._open(fields, body)
            await store(message)
        except Rejected as rejected:
            log.warning("refused push from %s to %s: %s", peer, request.url.path, rejected.reason)
            return PlainTextResponse(rejected.reason, status_code=rejected.status)
        except EnvelopeError as error:
            log.warning("refused push from %s to %s: %s", peer, request.url.path, error)
            status = 403 if "signature" in str(error) or "client id" in str(error) else 400
            return PlainTextResponse(str(error), status_code=status)
        except _TooLarge:
            log.warning("refused push from %s: body over %d bytes", peer, self.settings.max_body)
            return PlainTextResponse("body too large", status_code=413)
        except ClientDisconnect:
            log.warning("push from %s: client went away", peer)
            return PlainTextResponse("client disconnected", status_code=400)
        except Exception as error:  # the store failed (or a bug): Baidu must retry later
            log.error("push from %s not stored: %s: %s", peer, type(error).__name__, error)
            return PlainTextResponse("not stored, retry later", status_code=503)
        return PlainTextResponse(SUCCESS)

    def _verify_url(self, fields: dict[str, Any]) -> Response:
        lowered = _lower(fields)
        if not self.settings.token:
            raise Rejected(403, "URL verification needs the message token (events.token)")
        parts = [_str(lowered.get(name)) for name in ("timestamp", "nonce")]
        given = _str(
            lowered.get("signature") or lowered.get("msg_signature") or lowered.get("msgsignature")
        )
        crypto.verify_signature(self.settings.token, given, *parts)
        return PlainTextResponse(_str(lowered.get("echostr")))

    def _open(self, fields: dict[str, Any], body: bytes) -> dict[str, Any]:
        """The decrypted (or allowed plaintext) JSON message of a push."""
        lowered = _lower(fields)
        if "encrypt" not in lowered:
            if not self.settings.allow_plaintext:
                raise Rejected(
                    400, "plaintext push refused (not encrypted; see events.allow_plaintext)"
                )
            return parse_json(body)
        if not self.settings.token or not self.settings.key:
            raise Rejected(403, "encrypted push but no token / EncodingAESKey configured")
        encrypted = _str(lowered.get("encrypt"))
        timestamp = _str(lowered.get("timestamp"))
        nonce = _str(lowered.get("nonce"))
        given = _str(
            lowered.get("msgsignature") or lowered.get("msg_signature") or lowered.get("signature")
        )
        crypto.verify_signature(self.settings.token, given, timestamp, nonce, encrypted)
        return parse_json(crypto.decrypt(self.settings.key, encrypted, self.settings.client_id))

    async def _store_event(self, data: dict[str, Any]) -> None:
        stored = await asyncio.to_thread(self.writer.record, parse_event(data))
        if stored is not None:
            self._notify(stored)

    async def _store_auth(self, data: dict[str, Any]) -> None:
        message = parse_auth_push(data)
        if isinstance(message, TicketMessage):
            await asyncio.to_thread(self.writer.store_ticket, message)
            log.info("stored a new TP ticket")
            return
        assert isinstance(message, AuthorizationMessage)
        stored = await asyncio.to_thread(self.writer.store_authorization, message)
        if stored is not None:
            self._notify(stored)

    def _notify(self, event: AuditEvent) -> None:
        if self.on_event is None:
            return
        task = asyncio.get_running_loop().create_task(self._run_hook(event))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _run_hook(self, event: AuditEvent) -> None:
        assert self.on_event is not None
        try:
            await self.on_event(event.to_json())
        except Exception as error:  # a hook failure never affects what Baidu was told
            log.error("on-event hook for %s %s failed: %s", event.app_id, event.event, error)


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, read chunk by chunk; _TooLarge as soon as it passes `limit`."""
    declared = request.headers.get("content-length", "")
    chunks: list[bytes] = []
    size = 0
    too_large = declared.isdigit() and int(declared) > limit
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            too_large = True
        if too_large:
            if size > DRAIN_LIMIT:
                break
            continue
        chunks.append(chunk)
    if too_large:
        raise _TooLarge()
    return b"".join(chunks)


def _fields(request: Request, body: bytes) -> dict[str, Any]:
    """Envelope fields: the query string, overlaid by a JSON object or form body."""
    fields: dict[str, Any] = dict(request.query_params)
    text = body.strip()
    if not text:
        return fields
    if text[:1] == b"{":
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            raise EnvelopeError("malformed JSON") from None
        if isinstance(data, dict):
            fields.update(data)
        return fields
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        try:
            fields.update(parse_qsl(text.decode("utf-8"), keep_blank_values=True))
        except (UnicodeDecodeError, ValueError):
            raise EnvelopeError("malformed form body") from None
        return fields
    raise EnvelopeError("malformed JSON")


def _lower(fields: dict[str, Any]) -> dict[str, Any]:
    return {str(key).lower(): value for key, value in fields.items()}


def _str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise EnvelopeError("envelope field must be a string")
