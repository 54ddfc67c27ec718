"""The admin API under /_sandbox/: what tests and users call to steer the simulated Baidu.

JSON in, JSON out; refusals are HTTP 4xx `{"error": "..."}`. Every route is listed in
docs/sandbox.md. Admin calls are not logged in the call log and never faulted.

The routes are one table, `ROUTES` (path, methods, handler): each handler is a module-level
`async def handler(sandbox, request) -> JSON` that a reader can find by name, and
`admin_routes(sandbox)` binds the table to one sandbox.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from smartpay_apply.sandbox import admin_apps, auth, tp
from smartpay_apply.sandbox.admin_request import AdminError, as_int, read_json
from smartpay_apply.sandbox.faults import FAULT_FIELDS, current_faults

if TYPE_CHECKING:
    from smartpay_apply.sandbox.app import Sandbox

#: One admin handler: the sandbox and the request in, a JSON-able answer out.
Handler = Callable[["Sandbox", Request], Awaitable[Any]]


# ------------------------------------------------------------------------ settings, tokens


#: Names the simulator in the health answer: the CLI's admin commands refuse a URL without it.
HEALTH_MARK = "smartpay-apply"


async def health(sandbox: Sandbox, request: Request) -> Any:
    return {"ok": True, "sandbox": HEALTH_MARK}


async def show_config(sandbox: Sandbox, request: Request) -> Any:
    config = sandbox.config
    return {
        "audit_delay": config.audit_delay,
        "audit_policy": config.audit_policy,
        "webhook": config.webhook,
        "plaintext_push": config.plaintext_push,
        "tp_app_id": config.tp_app_id,
        "token_ttl": config.token_ttl,
        "orders_per_day": config.orders_per_day,
        "data_days": config.data_days,
        "seed": config.seed,
        "no_service_shape": config.no_service_shape,
        "relax": list(config.relax),
        "quirks": list(config.quirks),
        "faults": current_faults(sandbox),
    }


async def register_token(sandbox: Sandbox, request: Request) -> Any:
    body = await read_json(request)
    token = body.get("token")
    if not isinstance(token, str) or not token:
        raise AdminError("token (string) is required")
    app_id = as_int(body.get("app_id"), "app_id")
    ttl = body.get("ttl")
    with sandbox.world() as state:
        expires = None if ttl is None else sandbox.clock() + float(ttl)
        auth.register(state, token, app_id, expires)
    return {"app_id": app_id, "expires_at": expires}


async def expire_token(sandbox: Sandbox, request: Request) -> Any:
    body = await read_json(request)
    token, app_id = body.get("token"), body.get("app_id")
    if token is None and app_id is None:
        raise AdminError("give token or app_id")
    with sandbox.world() as state:
        count = auth.expire(
            state,
            sandbox.config,
            token=token,
            app_id=None if app_id is None else as_int(app_id, "app_id"),
        )
    return {"expired": count}


# ------------------------------------------------------------------ calls, events, faults


async def calls(sandbox: Sandbox, request: Request) -> Any:
    with sandbox.world():
        if request.method == "DELETE":
            sandbox.store.clear_calls()
            return {"calls": []}
        wanted = request.query_params.get("app_id")
        path = request.query_params.get("path")
        found = [
            call
            for call in sandbox.store.read_calls()
            if (wanted is None or str(call["app_id"]) == wanted)
            and (path is None or call["path"].endswith(path))
        ]
        return {"calls": found}


async def events(sandbox: Sandbox, request: Request) -> Any:
    with sandbox.world() as state:
        return {"events": state.get("events", []), "deliveries": sandbox.pusher.deliveries}


async def settle_now(sandbox: Sandbox, request: Request) -> Any:
    with sandbox.world() as state:
        return {"pending": len(state.get("pending", []))}


async def faults(sandbox: Sandbox, request: Request) -> Any:
    if request.method in ("PUT", "POST"):
        body = await read_json(request)
        unknown = sorted(set(body) - set(FAULT_FIELDS))
        if unknown:
            raise AdminError(
                f"unknown fault(s) {', '.join(unknown)}; known: {', '.join(FAULT_FIELDS)}"
            )
        with sandbox.world() as state:
            for name, value in body.items():
                try:
                    state["faults"][name] = float(value)
                except (TypeError, ValueError):
                    raise AdminError(f"{name} must be a number") from None
    elif request.method == "DELETE":
        with sandbox.world() as state:
            state["faults"] = {}
    return current_faults(sandbox)


async def reset(sandbox: Sandbox, request: Request) -> Any:
    sandbox.store.reset()
    sandbox.pusher.deliveries.clear()
    return {"reset": True}


# ------------------------------------------------------------------------------- TP side


def _auth_push(sandbox: Sandbox, events: list[dict[str, Any]]) -> None:
    """Ticket and authorization events go to the authorization-event URL."""
    config = sandbox.config
    sandbox.pusher.push(events, url=config.auth_webhook or config.webhook)


async def tp_ticket(sandbox: Sandbox, request: Request) -> Any:
    with sandbox.world() as state:
        now = sandbox.clock()
        ticket = tp.issue_ticket(state, sandbox.config, now)
    _auth_push(sandbox, [tp.ticket_push(sandbox.config, ticket, now)])
    return {"ticket": ticket, "expires_in": int(sandbox.config.ticket_ttl)}


async def tp_token(sandbox: Sandbox, request: Request) -> Any:
    with sandbox.world() as state:
        token = tp.issue_tp_token(state, sandbox.config, sandbox.clock())
    return {"access_token": token, "expires_in": int(sandbox.config.tp_token_ttl)}


async def tp_authorize(sandbox: Sandbox, request: Request) -> Any:
    app_id = as_int((await read_json(request)).get("app_id"), "app_id")
    with sandbox.world() as state:
        now = sandbox.clock()
        code = tp.authorize(state, sandbox.config, app_id, now)
    _auth_push(sandbox, [tp.auth_event(sandbox.config, app_id, "AUTHORIZED", now, code)])
    return {
        "app_id": app_id,
        "authorization_code": code,
        "expires_in": int(sandbox.config.code_ttl),
    }


async def tp_unauthorize(sandbox: Sandbox, request: Request) -> Any:
    app_id = as_int((await read_json(request)).get("app_id"), "app_id")
    with sandbox.world() as state:
        now = sandbox.clock()
        tp.unauthorize(state, sandbox.config, app_id)
    _auth_push(sandbox, [tp.auth_event(sandbox.config, app_id, "UNAUTHORIZED", now, None)])
    return {"app_id": app_id, "authorized": False}


# --------------------------------------------------------------------------------- table


@dataclass(frozen=True)
class AdminRoute:
    path: str
    methods: tuple[str, ...]
    handler: Handler


#: Every admin route (docs/sandbox.md lists them with their bodies and answers).
ROUTES: tuple[AdminRoute, ...] = (
    AdminRoute("/_sandbox/health", ("GET",), health),
    AdminRoute("/_sandbox/config", ("GET",), show_config),
    AdminRoute("/_sandbox/tokens", ("POST",), register_token),
    AdminRoute("/_sandbox/tokens/expire", ("POST",), expire_token),
    AdminRoute("/_sandbox/apps", ("GET",), admin_apps.list_apps),
    AdminRoute("/_sandbox/apps/{app_id}", ("GET",), admin_apps.show_app),
    AdminRoute("/_sandbox/apps/{app_id}/policy", ("PUT", "POST"), admin_apps.set_policy),
    AdminRoute(
        "/_sandbox/apps/{app_id}/account/status", ("PUT", "POST"), admin_apps.account_status
    ),
    AdminRoute(
        "/_sandbox/apps/{app_id}/payment_service", ("PUT",), admin_apps.console_payment_service
    ),
    AdminRoute("/_sandbox/apps/{app_id}/{section}/approve", ("POST",), admin_apps.approve),
    AdminRoute("/_sandbox/apps/{app_id}/{section}/reject", ("POST",), admin_apps.reject),
    AdminRoute("/_sandbox/calls", ("GET", "DELETE"), calls),
    AdminRoute("/_sandbox/events", ("GET",), events),
    AdminRoute("/_sandbox/settle", ("POST",), settle_now),
    AdminRoute("/_sandbox/faults", ("GET", "PUT", "POST", "DELETE"), faults),
    AdminRoute("/_sandbox/tp/ticket", ("POST",), tp_ticket),
    AdminRoute("/_sandbox/tp/token", ("POST",), tp_token),
    AdminRoute("/_sandbox/tp/authorize", ("POST",), tp_authorize),
    AdminRoute("/_sandbox/tp/unauthorize", ("POST",), tp_unauthorize),
    AdminRoute("/_sandbox/reset", ("POST",), reset),
)


def _endpoint(sandbox: Sandbox, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint running `handler` for `sandbox`; AdminError -> HTTP 4xx JSON."""

    async def endpoint(request: Request) -> Response:
        try:
            result = await handler(sandbox, request)
        except AdminError as error:
            return JSONResponse({"error": str(error)}, status_code=error.status)
        return JSONResponse(result)

    return endpoint


def admin_routes(sandbox: Sandbox) -> list[BaseRoute]:
    """Every /_sandbox/ route of `ROUTES` bound to one sandbox."""
    return [
        Route(route.path, _endpoint(sandbox, route.handler), methods=list(route.methods))
        for route in ROUTES
    ]
