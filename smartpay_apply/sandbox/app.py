"""The sandbox as an ASGI app: Baidu's documented paths, the admin API, faults, pushes.

`create_app(config)` wires one `Sandbox` (config + world store + pusher) into Starlette. Every
API request is one store transaction: settle due audits, authenticate, log the call, run the
handler. Events decided on the way are pushed after the transaction, in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from smartpay_apply.sandbox import handlers, multipart, quirks, tp, upload
from smartpay_apply.sandbox.admin import admin_routes
from smartpay_apply.sandbox.auth import authenticate, authenticate_tp
from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.sandbox.data import handlers as data_handlers
from smartpay_apply.sandbox.errors import ApiError, GatewayError, OAuthError
from smartpay_apply.sandbox.faults import FaultMiddleware
from smartpay_apply.sandbox.push import Pusher
from smartpay_apply.sandbox.responses import JSONResponse
from smartpay_apply.sandbox.store import State, Store
from smartpay_apply.sandbox.world import Parked, due, settle

log = logging.getLogger(__name__)

PAY = "/rest/2.0/smartapp/pay"
UPLOAD_PATH = upload.UPLOAD_PATH
SETTLE_INTERVAL = 0.1
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"

#: (method, path) -> handler of every documented mini-program endpoint.
API: dict[tuple[str, str], handlers.Handler] = {
    ("GET", f"{PAY}/paymentservice/dict"): handlers.get_dict,
    ("POST", f"{PAY}/account/create"): handlers.create_account,
    ("GET", f"{PAY}/account/auditstatus"): handlers.account_audit_status,
    ("POST", f"{PAY}/developconfig/submit"): handlers.submit_developer_config,
    ("POST", f"{PAY}/paymentservice/create"): handlers.create_payment_service,
    ("GET", f"{PAY}/paymentservice/auditstatus"): handlers.payment_service_audit_status,
    ("POST", f"{PAY}/paymentservice/update"): handlers.update_payment_service,
    ("POST", f"{PAY}/paymentservice/updatebindservice"): handlers.update_bind_service,
    ("GET", f"{PAY}/paymentservice/getbindservice"): handlers.get_bind_service,
    **{
        ("GET", f"{PAY}/paymentservice/{name}"): handler
        for name, handler in data_handlers().items()
    },
}


class Sandbox:
    """One simulated Baidu: its settings, its world, its outgoing pushes."""

    def __init__(self, config: SandboxConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.store = Store(config.state_file, config.call_log_limit)
        self.pusher = Pusher(config)
        self.clock = clock
        #: Set by running_server: faults then act on real connections.
        self.served = False
        self._parked: Parked = set()
        self._parked_for: State | None = None

    def parked(self, state: State) -> Parked:
        """The manual audits already seen in `state` (a reloaded world starts afresh)."""
        if state is not self._parked_for:
            self._parked, self._parked_for = set(), state
        return self._parked

    def policies_changed(self) -> None:
        """An audit policy was set or cleared: parked audits must be looked at again."""
        self._parked = set()

    @contextlib.contextmanager
    def world(self) -> Any:
        """A transaction that first decides due audits (and pushes their events afterwards)."""
        with self.store.transaction() as state:
            events = settle(state, self.config, self.clock(), self.parked(state))
            yield state
        self.pusher.push(events)

    def settle(self) -> None:
        """Decide whatever is due now (the ticker's job; requests do it anyway)."""
        with self.store.transaction(write=False) as state:
            if not due(state, self.config, self.clock(), self.parked(state)):
                return
        with self.world():
            pass

    async def tick_forever(self) -> None:
        """Decide due audits on time, and push their events, even when nobody polls.

        Run by a served sandbox (its lifespan) and by an open embedded transport, so a pushed
        outcome arrives when the audit is decided, not when the next request happens to come.
        """
        while True:
            await asyncio.sleep(SETTLE_INTERVAL)
            try:
                self.settle()
            except Exception:  # a corrupt world file is reported to the next request
                log.debug("sandbox ticker: settle failed", exc_info=True)

    def log_call(self, request: Request, app_id: int | None, answer: dict[str, Any]) -> None:
        """Record the call and how it was answered (never its query string: it holds the
        token). Inside a transaction.

        `errno` is the business answer (0 for success, also for the bare dict), `error_code`
        the gateway's: so a test can tell an accepted write from a refused one.
        """
        self.store.append_call(
            {
                "method": request.method,
                "path": request.url.path,
                "app_id": app_id,
                "time": self.clock(),
                "errno": answer.get("errno", None if "error_code" in answer else 0),
                "error_code": answer.get("error_code"),
            }
        )


Files = dict[str, tuple[str, str, bytes]]


async def read_params(
    request: Request, config: SandboxConfig, body_type: str = FORM
) -> tuple[dict[str, str], Files, bool]:
    """(fields, files, body_was_empty): the query for GET; for POST the body only.

    POST fields come from a body of `body_type` (form-encoded; multipart for upload) and never
    from the query string, whose only parameter is access_token (rule `form_body_only`): a
    field sent in the query alone is missing, and so is every field of a body of another type.
    Relaxed: the query's fields, overridden by those of any form or multipart body.
    """
    query = {k: v for k, v in request.query_params.items() if k != "access_token"}
    if request.method != "POST":
        return query, {}, False
    strict = config.strict("form_body_only")
    params = {} if strict else query
    body = await request.body()
    if not body.strip():
        return params, {}, True
    content_type = request.headers.get("content-type", "")
    kind = content_type.split(";", 1)[0].strip().lower()
    files: Files = {}
    if kind == MULTIPART and (body_type == MULTIPART or not strict):
        fields, files = multipart.parse(content_type, body)
        params.update(fields)
    elif kind == FORM and (body_type == FORM or not strict):
        text = body.decode("utf-8", "replace")
        params.update(dict(parse_qsl(text, keep_blank_values=True)))
    return params, files, False


def api_endpoint(sandbox: Sandbox) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        handler = API[(request.method, request.url.path)]
        params, files, empty = await read_params(request, sandbox.config)
        with sandbox.world() as state:
            now = sandbox.clock()
            try:
                app_id = authenticate(
                    state, sandbox.config, request.query_params.get("access_token"), now
                )
            except GatewayError as error:
                sandbox.log_call(request, None, error.body())
                return JSONResponse(error.body())
            try:
                if empty:
                    raise ApiError(60020)
                body = handler(handlers.Call(state, sandbox.config, app_id, now, params, files))
            except ApiError as error:
                body = error.body()
            sandbox.log_call(request, app_id, body)
        # The call log keeps the documented answer; the quirks change only how it is written.
        return JSONResponse(quirks.dress(sandbox.config.quirks, request.url.path, body))

    return endpoint


def upload_endpoint(sandbox: Sandbox) -> Callable[[Request], Any]:
    """The upload endpoint: authenticated as a TP (a mini-program token is 110)."""

    async def endpoint(request: Request) -> Response:
        params, files, empty = await read_params(request, sandbox.config, MULTIPART)
        with sandbox.world() as state:
            token = request.query_params.get("access_token")
            try:
                tp_app_id, app_id = _uploader(sandbox, state, token)
            except GatewayError as error:
                sandbox.log_call(request, None, error.body())
                return JSONResponse(error.body())
            try:
                if empty:
                    raise ApiError(60020)
                body = upload.upload_image(
                    upload.UploadCall(state, sandbox.config, tp_app_id, params, files)
                )
            except ApiError as error:
                body = error.body()
            sandbox.log_call(request, app_id, body)
        return JSONResponse(body)

    return endpoint


def _uploader(sandbox: Sandbox, state: State, token: str | None) -> tuple[int, int | None]:
    """(TP, app) an upload comes from: a TP token names no app. Relaxed (`upload_tp_token`),
    a mini-program token counts as the sandbox's own TP, and its app is logged."""
    now = sandbox.clock()
    try:
        return authenticate_tp(state, sandbox.config, token, now), None
    except GatewayError:
        if sandbox.config.strict("upload_tp_token"):
            raise
        return sandbox.config.tp_app_id, authenticate(state, sandbox.config, token, now)


def tp_endpoint(sandbox: Sandbox, handler: tp.TpHandler) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        params, _files, empty = await read_params(request, sandbox.config)
        with sandbox.world() as state:
            status = 200
            try:
                if empty:
                    raise ApiError(60020)
                body = handler(
                    tp.TpCall(
                        state,
                        sandbox.config,
                        sandbox.clock(),
                        request.query_params.get("access_token"),
                        params,
                    )
                )
            except (ApiError, GatewayError) as error:
                body = error.body()
            except OAuthError as error:
                body, status = error.body(), 400
            sandbox.log_call(request, None, body)
        return JSONResponse(body, status_code=status)

    return endpoint


def create_app(config: SandboxConfig, clock: Callable[[], float] = time.time) -> Starlette:
    """The sandbox ASGI app for `config` (its world in config.state_file, or in memory)."""
    sandbox = Sandbox(config, clock)
    routes: list[BaseRoute] = []
    paths: dict[str, list[str]] = {}
    for method, path in API:
        paths.setdefault(path, []).append(method)
    for path, methods in paths.items():
        routes.append(Route(path, api_endpoint(sandbox), methods=methods))
    routes.append(Route(UPLOAD_PATH, upload_endpoint(sandbox), methods=["POST"]))
    for (method, path), tp_handler in tp.TP_ROUTES.items():
        routes.append(Route(path, tp_endpoint(sandbox, tp_handler), methods=[method]))
    routes.extend(admin_routes(sandbox))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(sandbox.tick_forever())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await sandbox.pusher.drain(timeout=2)

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.sandbox = sandbox
    app.add_middleware(FaultMiddleware, sandbox=sandbox)
    return app
