"""The admin API's mini-program routes: show one, set its audit policy or account status,
open or edit its payment service as Baidu's console would, decide a pending audit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from smartpay_apply.sandbox.admin_request import AdminError, as_section, path_app_id, read_json
from smartpay_apply.sandbox.config import AUDIT_POLICIES, SECTIONS
from smartpay_apply.sandbox.errors import ApiError
from smartpay_apply.sandbox.fields import SERVICE_FIELDS
from smartpay_apply.sandbox.handlers import check_service_values, service_identity
from smartpay_apply.sandbox.world import (
    NotPending,
    account_approved,
    app_record,
    decide,
    find_record,
    is_pending,
    resolve_policy,
    service_view,
    set_account_status,
)

if TYPE_CHECKING:
    from smartpay_apply.sandbox.app import Sandbox


async def list_apps(sandbox: Sandbox, request: Request) -> Any:
    with sandbox.world() as state:
        return {"apps": sorted(int(k) for k in state["apps"])}


async def show_app(sandbox: Sandbox, request: Request) -> Any:
    """Everything the sandbox holds for one app; 404 for an app it has never seen."""
    app_id = path_app_id(request)
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
    app_id = path_app_id(request)
    body = await read_json(request)
    policy = body.get("policy")
    section = body.get("section") or "*"
    if section != "*":
        as_section(section)
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
    app_id = path_app_id(request)
    body = await read_json(request)
    status = body.get("status")
    if not isinstance(status, int) or isinstance(status, bool) or not 0 <= status <= 5:
        raise AdminError("status must be one of 0, 1, 2, 3, 4, 5")
    message = body.get("verify_message", "")
    if not isinstance(message, str):
        raise AdminError("verify_message must be a string")
    with sandbox.world() as state:
        set_account_status(state, app_id, status, message, sandbox.clock())
        return {"app_id": app_id, "account": app_record(state, app_id)["account"]}


#: What the console route takes besides SERVICE_FIELDS.
CONSOLE_OPTIONAL_FIELDS = ("bank_phone_number",)


async def console_payment_service(sandbox: Sandbox, request: Request) -> Any:
    """The payment service as opened or edited by hand in Baidu's console: approved at once.

    A TP adopting this tool has mini-programs whose services were opened in the console, not
    through the openapi; tests create them here. Without a service, `values` must hold every
    field and the service is created approved (open_status 2, no event: no audit ran); with
    one, `values` may hold only the fields that change, and the values in force change (a
    console edit). The values pass the checks paymentservice/create makes (400 naming the
    field otherwise); the account must be approved (409 otherwise: the console cannot open a
    service before that either), and a service in review cannot be edited (409, as 60019).
    The developer config is left as it is: its values cannot be read back anyway.
    """
    app_id = path_app_id(request)
    body = await read_json(request)
    given = body.get("values")
    if not isinstance(given, dict) or not given:
        raise AdminError("values (an object of payment-service fields) is required")
    known = (*SERVICE_FIELDS, *CONSOLE_OPTIONAL_FIELDS)
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise AdminError(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(known)}")
    with sandbox.world() as state:
        record = app_record(state, app_id)
        if not account_approved(record):
            raise AdminError(
                f"app {app_id}: the account is not approved (status {record['account']['status']}): "
                f"PUT /_sandbox/apps/{app_id}/account/status with status 4 first",
                409,
            )
        service = record["payment_service"]
        if service is not None and service["open_status"] == 1:
            raise AdminError(f"app {app_id}: the payment service is in review", 409)
        current = {} if service is None else dict(service["approved"] or service["submitted"])
        kept_phone = current.pop("bank_phone_number", None)  # a digest: not checkable again
        params = {name: _console_text(value) for name, value in {**current, **given}.items()}
        try:
            values = check_service_values(sandbox.config, params)
        except ApiError as error:
            raise AdminError(f"errno {error.errno} {error.msg}") from None
        if kept_phone is not None and "bank_phone_number" not in given:
            values["bank_phone_number"] = kept_phone
        if service is None:
            service = record["payment_service"] = service_identity(sandbox.config, app_id)
        service.update(
            open_status=2,
            fail_reason="",
            submitted=values,
            approved=dict(values),
            submitted_at=None,
        )
        view = service_view(record, sandbox.config)
        assert view is not None
        return {"app_id": app_id, "bind_service": {**view.values, "open_status": view.open_status}}


def _console_text(value: Any) -> str:
    """A console value as the form text the API checks (JSON numbers as their digits)."""
    if isinstance(value, bool) or value is None:
        raise AdminError("values must be strings or integers")
    return str(value)


async def _decide(sandbox: Sandbox, request: Request, approve: bool) -> Any:
    app_id = path_app_id(request)
    section = as_section(request.path_params["section"])
    body = await read_json(request)
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
