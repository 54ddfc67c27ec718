"""The admin API under /_sandbox/: what tests and users call to steer the simulated Baidu.

JSON in, JSON out; refusals are HTTP 4xx `{"error": "..."}`. Every route is listed in
docs/sandbox.md. Admin calls are not logged in the call log and never faulted.

The routes are one table, `ROUTES` (path, methods, handler): each handler is a module-level
`async def handler(sandbox, request) -> JSON` that a reader can find by name, and
`admin_routes(sandbox)` binds the table to one sandbox.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from smartpay_apply.sandbox import auth, tp
from smartpay_apply.sandbox.config import AUDIT_POLICIES, SECTIONS
from smartpay_apply.sandbox.faults import FAULT_FIELDS, current_faults
from smartpay_apply.sandbox.world import (
    CONSOLE_FIELDS,
    NotPending,
    app_record,
    console_edit,
    decide,
    find_record,
    is_pending,
    resolve_policy,
    service_view,
    set_account_status,
)

if TYPE_CHECKING:
    from smartpay_apply.sandbox.app import Sandbox

#: One admin handler: the sandbox and the request in, a JSON-able answer out.
Handler = Callable[["Sandbox", Request], Awaitable[Any]]


class AdminError(Exception):
    """A refusal of the admin API: HTTP `status` with `{"error": message}`."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


async def _json(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except ValueError:
        raise AdminError("body must be JSON") from None
    if not isinstance(data, dict):
        raise AdminError("body must be a JSON object")
    return data


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise AdminError(f"{name} must be an integer") from None


def _section(value: Any) -> str:
    if value not in SECTIONS:
        raise AdminError(f"section must be one of {', '.join(SECTIONS)}")
    return str(value)


def _app_id(request: Request) -> int:
    return _int(request.path_params["app_id"], "app_id")


# ------------------------------------------------------------------------ settings, tokens


#: Names the simulator in the health answer: the CLI's admin commands refuse a URL without it.
HEALTH_MARK = "smartpay-apply"


async def health(sandbox: Sandbox, request: Request) -> Any:
    return {"ok": True, "sandbox": HEALTH_MARK}


async def show_config(sandbox: Sandbox, request: Request) -> Any:
    config = sandbox.config
    return {
        "audit_delay": config.audit_delay,
        "audit_delay_max": config.audit_delay_max,
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
        "faults": current_faults(sandbox),
    }


async def register_token(sandbox: Sandbox, request: Request) -> Any:
    body = await _json(request)
    token = body.get("token")
    if not isinstance(token, str) or not token:
        raise AdminError("token (string) is required")
    app_id = _int(body.get("app_id"), "app_id")
    ttl = body.get("ttl")
    with sandbox.world() as state:
        expires = None if ttl is None else sandbox.clock() + float(ttl)
        auth.register(state, token, app_id, expires)
    return {"app_id": app_id, "expires_at": expires}


async def expire_token(sandbox: Sandbox, request: Request) -> Any:
    body = await _json(request)
    token, app_id = body.get("token"), body.get("app_id")
    if token is None and app_id is None:
        raise AdminError("give token or app_id")
    with sandbox.world() as state:
        count = auth.expire(
            state,
            sandbox.config,
            token=token,
            app_id=None if app_id is None else _int(app_id, "app_id"),
        )
    return {"expired": count}


# --------------------------------------------------------------------------- mini-programs


async def list_apps(sandbox: Sandbox, request: Request) -> Any:
    with sandbox.world() as state:
        return {"apps": sorted(int(k) for k in state["apps"])}


async def show_app(sandbox: Sandbox, request: Request) -> Any:
    """Everything the sandbox holds for one app; 404 for an app it has never seen."""
    app_id = _app_id(request)
    with sandbox.world() as state:
        record = find_record(state, app_id)
        if record is None:
            raise AdminError(f"no such mini-program in the sandbox: {app_id}", 404)
        view = service_view(record, sandbox.config)
        return {
            "app_id": app_id,
            "account": record["account"],
            "developer_config": record["developer_config"],
            "payment_service": record["payment_service"],
            "bind_service": None
            if view is None
            else {**view.values, "open_status": view.open_status, "fail_reason": view.fail_reason},
            "policy": record["policy"],
            "pending": [s for s in SECTIONS if is_pending(record, s)],
            "events": [e for e in state.get("events", []) if e.get("appId") == app_id],
        }


async def set_policy(sandbox: Sandbox, request: Request) -> Any:
    app_id = _app_id(request)
    body = await _json(request)
    policy = body.get("policy")
    section = body.get("section") or "*"
    if section != "*":
        _section(section)
    if policy is not None and policy not in AUDIT_POLICIES:
        raise AdminError(f"policy must be one of {', '.join(AUDIT_POLICIES)} (or null to clear)")
    with sandbox.world() as state:
        record = app_record(state, app_id)
        if section == "*":
            record["policy"].clear()  # the whole app: per-section overrides go too
        else:
            record["policy"].pop(section, None)
        if policy is not None:
            record["policy"][section] = {"policy": policy, "reason": body.get("reason")}
        sandbox.policies_changed()
        return {"app_id": app_id, "policy": record["policy"]}


async def account_status(sandbox: Sandbox, request: Request) -> Any:
    """Set the account's status to any documented value 0-5 (e.g. 1 编辑中, 5 回填过协议 id).

    2 starts an audit as a submission does; any other status ends a pending one unannounced.
    """
    app_id = _app_id(request)
    body = await _json(request)
    status = body.get("status")
    if not isinstance(status, int) or isinstance(status, bool) or not 0 <= status <= 5:
        raise AdminError("status must be one of 0, 1, 2, 3, 4, 5")
    message = body.get("verify_message", "")
    if not isinstance(message, str):
        raise AdminError("verify_message must be a string")
    with sandbox.world() as state:
        set_account_status(state, app_id, status, message, sandbox.clock())
        return {"app_id": app_id, "account": app_record(state, app_id)["account"]}


async def edit_service(sandbox: Sandbox, request: Request) -> Any:
    """A console edit: change payment-service fields behind the tool's back (no audit, no
    event), as a developer editing them in Baidu's console would; what getbindservice shows
    changes at once. 404 for an unknown app, 409 without a payment service."""
    app_id = _app_id(request)
    body = await _json(request)
    unknown = sorted(set(body) - set(CONSOLE_FIELDS))
    if unknown or not body:
        raise AdminError(f"fields must be some of {', '.join(CONSOLE_FIELDS)} (got {unknown})")
    for name, value in body.items():
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise AdminError(f"{name} must be a string or an integer")
    with sandbox.world() as state:
        record = find_record(state, app_id)
        if record is None:
            raise AdminError(f"no such mini-program in the sandbox: {app_id}", 404)
        if record["payment_service"] is None:
            raise AdminError(f"app {app_id} has no payment service to edit", 409)
        console_edit(record, body)
        view = service_view(record, sandbox.config)
        assert view is not None
        return {"app_id": app_id, "bind_service": view.values}


async def _decide(sandbox: Sandbox, request: Request, approve: bool) -> Any:
    app_id = _app_id(request)
    section = _section(request.path_params["section"])
    body = await _json(request)
    with sandbox.world() as state:
        if approve:
            reason = ""
        else:
            reason = body.get("reason") or resolve_policy(state, sandbox.config, app_id, section)[1]
            if not isinstance(reason, str):
                raise AdminError("reason must be a string")
        try:
            event = decide(state, sandbox.config, app_id, section, approve, reason, sandbox.clock())
        except NotPending as error:
            raise AdminError(str(error), 409) from None
    sandbox.pusher.push([event])
    return {"event": event}


async def approve(sandbox: Sandbox, request: Request) -> Any:
    return await _decide(sandbox, request, True)


async def reject(sandbox: Sandbox, request: Request) -> Any:
    return await _decide(sandbox, request, False)


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
        body = await _json(request)
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
    app_id = _int((await _json(request)).get("app_id"), "app_id")
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
    app_id = _int((await _json(request)).get("app_id"), "app_id")
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
    AdminRoute("/_sandbox/apps", ("GET",), list_apps),
    AdminRoute("/_sandbox/apps/{app_id}", ("GET",), show_app),
    AdminRoute("/_sandbox/apps/{app_id}/policy", ("PUT", "POST"), set_policy),
    AdminRoute("/_sandbox/apps/{app_id}/account/status", ("PUT", "POST"), account_status),
    AdminRoute("/_sandbox/apps/{app_id}/payment_service", ("PATCH",), edit_service),
    AdminRoute("/_sandbox/apps/{app_id}/{section}/approve", ("POST",), approve),
    AdminRoute("/_sandbox/apps/{app_id}/{section}/reject", ("POST",), reject),
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
