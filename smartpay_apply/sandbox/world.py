"""Per-mini-program state machines and the audits that move them.

Three sections per app, each with at most one audit pending:
- account: status null (never created) -> 2 提审 -> 4 通过 | 3 未通过 (resubmission allowed
  from 0/1/3; the admin API can set any documented status 0-5).
- developer_config: submitted values + audit (none | pending | approved | rejected) and the last
  `approved` values; the outcome is only visible as a pushed event, as on Baidu.
- payment_service: open_status 1 审核中 -> 2 通过 | 3 驳回, with `submitted` (the latest values)
  and `approved` (the values in force). getbindservice shows `approved` whenever one exists
  (a guess, see `service_view`).

Audits are decided by the clock: `settle(now)` decides every audit whose
`submitted_at + audit_delay` (or its draw up to `audit_delay_max`) has passed, on every request, on load, and from a ticker while a
server or an embedded transport runs. That is what lets separate CLI processes share one
embedded world.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from smartpay_apply.sandbox.config import SECTIONS, SandboxConfig
from smartpay_apply.sandbox.store import State
from smartpay_apply.timeutil import format_baidu_time

REJECT_WORD = "拒绝"
EVENT_LOG_LIMIT = 2000

EVENTS: dict[str, tuple[str, str]] = {
    "account": ("APP_PAYMENT_CREATE_ACCOUNT_PASS", "APP_PAYMENT_CREATE_ACCOUNT_FAIL"),
    "developer_config": (
        "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_PASS",
        "APP_PAYMENT_UPDATE_DEVELOP_CONFIG_FAIL",
    ),
    "payment_service": ("APP_PAYMENT_CREATE_PAYMENT_PASS", "APP_PAYMENT_CREATE_PAYMENT_FAIL"),
}


class NotPending(Exception):
    """An admin decision for a section that has no audit pending."""


def digest(secret: str) -> str:
    """How the sandbox keeps tokens, codes and id-card URLs: never in clear in its file."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def app_record(state: State, app_id: int) -> dict[str, Any]:
    """The record of one mini-program, created empty on first sight."""
    apps: dict[str, Any] = state["apps"]
    key = str(app_id)
    if key not in apps:
        apps[key] = {
            "account": {
                "status": None,
                "verify_message": None,
                "submitted": None,
                "submitted_at": None,
            },
            "developer_config": {
                "audit": "none",
                "submitted": None,
                "approved": None,
                "reason": "",
                "submitted_at": None,
            },
            "payment_service": None,
            "policy": {},
        }
    record: dict[str, Any] = apps[key]
    return record


def find_record(state: State, app_id: int) -> dict[str, Any] | None:
    """The record of one mini-program if the sandbox has seen it (creates nothing)."""
    record: dict[str, Any] | None = state["apps"].get(str(app_id))
    return record


def has_account(record: dict[str, Any]) -> bool:
    """Whether a payment account exists (created, or given a status by the admin API)."""
    return record["account"]["status"] is not None


def account_approved(record: dict[str, Any]) -> bool:
    """Status 4 审核通过 or 5 回填过协议 id: the account step is complete."""
    return record["account"]["status"] in (4, 5)


def is_pending(record: dict[str, Any], section: str) -> bool:
    """Whether `section` of this app has an audit waiting for a decision."""
    if section == "account":
        return bool(record["account"]["status"] == 2)
    if section == "developer_config":
        return bool(record["developer_config"]["audit"] == "pending")
    service = record["payment_service"]
    return service is not None and service["open_status"] == 1


def submitted_values(record: dict[str, Any], section: str) -> dict[str, Any]:
    """The values under audit in `section`."""
    if section == "payment_service":
        values: dict[str, Any] = record["payment_service"]["submitted"]
        return values
    return dict(record[section]["submitted"] or {})


def start_audit(state: State, app_id: int, section: str, now: float) -> None:
    """Note that `section` of `app_id` waits for a decision from `now` on."""
    record = app_record(state, app_id)
    target = record[section]
    target["submitted_at"] = now
    pending: list[list[Any]] = state.setdefault("pending", [])
    if [app_id, section] not in pending:
        pending.append([app_id, section])


def set_account_status(state: State, app_id: int, status: int, message: str, now: float) -> None:
    """The admin API's way to any documented account status (0-5), bypassing the audit."""
    record = app_record(state, app_id)
    record["account"].update(status=status, verify_message=message)
    pending: list[list[Any]] = state.setdefault("pending", [])
    if status == 2:
        start_audit(state, app_id, "account", now)
    elif [app_id, "account"] in pending:
        pending.remove([app_id, "account"])


def resolve_policy(
    state: State, config: SandboxConfig, app_id: int, section: str
) -> tuple[str, str]:
    """(policy, reason) for one pending audit: admin override > config > the 拒绝 rule."""
    record = app_record(state, app_id)
    override = record["policy"].get(section) or record["policy"].get("*")
    if override:
        policy, reason = override["policy"], override.get("reason") or config.reject_reason
    else:
        policy, reason = config.policy_for(app_id), config.reject_reason
    if policy == "approve":
        for name, value in sorted(submitted_values(record, section).items()):
            if isinstance(value, str) and REJECT_WORD in value:
                return "reject", f"{name} 含有“{REJECT_WORD}”,审核不通过"
    return policy, reason


#: Pending audits last seen resolving to "manual" (app_id, section): they stay undecided until
#: a policy changes, so `settle` need not resolve their policy again on every request.
Parked = set[tuple[int, str]]


def audit_delay(config: SandboxConfig, app_id: int, section: str, submitted_at: float) -> float:
    """How long this audit takes: `audit_delay`, or with `audit_delay_max` a reproducible draw
    between the two (a hash of seed, app, section and submission time: no state to keep)."""
    if config.audit_delay_max is None or config.audit_delay_max <= config.audit_delay:
        return config.audit_delay
    share = _draw(config.seed, app_id, section, submitted_at, type(submitted_at).__name__)
    return config.audit_delay + share * (config.audit_delay_max - config.audit_delay)


@functools.lru_cache(maxsize=1 << 16)
def _draw(seed: int, app_id: int, section: str, submitted_at: float, _kind: str) -> float:
    """The share in [0, 1) drawn for one audit. Remembered: `settle` and `due` look at every
    pending audit on every request, and formatting and hashing each again cost ~2 µs per
    pending audit per request — 2 ms per request with 1,000 audits waiting (bench/README.md,
    Controller). `_kind` keeps 5 and 5.0 apart (their reprs, hence their draws, differ)."""
    pick = hashlib.sha256(f"{seed}:{app_id}:{section}:{submitted_at!r}".encode()).digest()
    return int.from_bytes(pick[:8], "big") / float(1 << 64)


def due(state: State, config: SandboxConfig, now: float, parked: Parked | None = None) -> bool:
    """Whether some pending audit has waited its delay (cheap: no policy evaluation)."""
    for app_id, section in state.get("pending", []):
        if parked and (app_id, section) in parked:
            continue
        submitted_at = app_record(state, app_id)[section]["submitted_at"] or 0.0
        if now >= submitted_at + audit_delay(config, app_id, section, submitted_at):
            return True
    return False


def settle(
    state: State, config: SandboxConfig, now: float, parked: Parked | None = None
) -> list[dict[str, Any]]:
    """Decide every audit that is due by policy; returns the events to push.

    `parked` (kept by the caller for this very state object, emptied when a policy changes)
    collects due audits whose policy is manual and skips them on later calls: with 1,000 audits
    waiting for an admin, resolving each one's policy on every request cost ~2 ms of CPU.
    """
    events: list[dict[str, Any]] = []
    for app_id, section in list(state.get("pending", [])):
        if parked and (app_id, section) in parked:
            continue
        record = app_record(state, app_id)
        if not is_pending(record, section):
            state["pending"].remove([app_id, section])
            continue
        submitted_at = record[section]["submitted_at"] or 0.0
        delay = audit_delay(config, app_id, section, submitted_at)
        if now < submitted_at + delay:
            continue
        policy, reason = resolve_policy(state, config, app_id, section)
        if policy == "manual":
            if parked is not None:
                parked.add((app_id, section))
            continue
        # Baidu decided when the delay ran out, even if nobody asked until later.
        decided_at = min(now, submitted_at + delay)
        events.append(
            decide(state, config, app_id, section, policy == "approve", reason, decided_at)
        )
    return events


def decide(
    state: State,
    config: SandboxConfig,
    app_id: int,
    section: str,
    approve: bool,
    reason: str,
    now: float,
) -> dict[str, Any]:
    """Apply one audit decision and return the event Baidu pushes for it."""
    record = app_record(state, app_id)
    if not is_pending(record, section):
        raise NotPending(f"app {app_id}: no {section} audit is pending")
    if section == "account":
        account = record["account"]
        account["status"] = 4 if approve else 3
        account["verify_message"] = "审核通过" if approve else reason
    elif section == "developer_config":
        config_record = record["developer_config"]
        config_record["audit"] = "approved" if approve else "rejected"
        config_record["reason"] = "" if approve else reason
        if approve:
            config_record["approved"] = dict(config_record["submitted"])
    else:
        service = record["payment_service"]
        service["open_status"] = 2 if approve else 3
        service["fail_reason"] = "" if approve else reason
        if approve:
            service["approved"] = dict(service["submitted"])
    if [app_id, section] in state.get("pending", []):
        state["pending"].remove([app_id, section])
    passed, failed = EVENTS[section]
    event: dict[str, Any] = {
        "appId": app_id,
        "tpAppId": config.tp_app_id,
        "eventTime": format_baidu_time(datetime.fromtimestamp(now, UTC)),
        "event": passed if approve else failed,
    }
    if not approve:
        event["reason"] = reason
    log: list[dict[str, Any]] = state.setdefault("events", [])
    log.append(event)
    del log[:-EVENT_LOG_LIMIT]
    return event


@dataclass(frozen=True)
class ServiceView:
    """What getbindservice shows for one app."""

    values: dict[str, Any]
    open_status: int
    fail_reason: str


def service_view(record: dict[str, Any], config: SandboxConfig) -> ServiceView | None:
    """What getbindservice shows: a guess, as the doc is silent on it (docs/sandbox.md).

    The last approved values whenever an approved version exists, with the current open_status
    and fail_reason: during an updatebindservice review (open_status 1) and after a rejected
    one (open_status 3) alike, so a tool cannot learn from it what it last submitted. Before
    any approval: the submitted values. Relaxed (`approved_values_shown`): the rejected
    submission after a rejection.
    """
    service = record["payment_service"]
    if service is None:
        return None
    approved = service["approved"]
    if approved and (config.strict("approved_values_shown") or service["open_status"] == 1):
        shown = approved
    else:
        shown = service["submitted"]
    return ServiceView(dict(shown), service["open_status"], service["fail_reason"])


def no_service_shape(config: SandboxConfig, record: dict[str, Any], app_id: int) -> str:
    """What getbindservice answers for an app without a payment service (NO_SERVICE_SHAPES).

    Undocumented, so a guess: a deterministic per-app choice (a hash of seed and app_id) among
    the shapes that fit the app's state, so a tool must handle all of them; `no_service_shape`
    pins one. Relaxed (`no_service_shapes`): always 60008.
    """
    if config.no_service_shape is not None:
        return config.no_service_shape
    if not config.strict("no_service_shapes"):
        return "60008"
    fitting = (
        ("60008", "60002", "null", "empty")
        if has_account(record)
        else ("60002", "60013", "null", "empty")
    )
    pick = hashlib.sha256(f"{config.seed}:{app_id}:no-service".encode()).digest()
    return fitting[int.from_bytes(pick[:4], "big") % len(fitting)]


def rereview_service(state: State, app_id: int, now: float) -> bool:
    """A developer-config change puts an approved payment service back into review.

    Public pay FAQ: "服务审核通过后，开发者再次修改相关设置，服务会重新进入审核状态". Its values
    stay as they are; the audit is decided like any other and pushes
    APP_PAYMENT_CREATE_PAYMENT_PASS / _FAIL. True when a review was started.
    """
    service = app_record(state, app_id)["payment_service"]
    if service is None or service["open_status"] != 2:
        return False
    service.update(open_status=1, fail_reason="")
    start_audit(state, app_id, "payment_service", now)
    return True


def all_sections() -> tuple[str, ...]:
    return SECTIONS
