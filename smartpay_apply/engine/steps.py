"""The plan as plain data: sorted, JSON-serialisable, free of secrets.

A Plan never holds a value that must not be shown: `Change.old`/`Change.new` are already the
display form (masked where sensitive). apply builds its requests from the specs at run time, so
a saved plan file is safe to attach to a pull request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

#: Bumped when the JSON shape changes incompatibly; readers refuse versions they do not know.
FORMAT_VERSION = 1

JsonValue = Any


class Action(StrEnum):
    """What a step does. Writes call one openapi endpoint; markers call none."""

    CREATE_ACCOUNT = "create_account"
    SUBMIT_DEVELOPER_CONFIG = "submit_developer_config"
    CREATE_PAYMENT_SERVICE = "create_payment_service"
    UPDATE_PAYMENT_SERVICE = "update_payment_service"
    UPDATE_BIND_SERVICE = "update_bind_service"
    ADOPT = "adopt"  # record what exists remotely in the state store; no API call
    WAIT = "wait"  # an audit is in progress; later steps are held
    BLOCKED = "blocked"  # Baidu rejected it and the spec has not changed since
    MANUAL = "manual"  # a change no API can make


AUDITED_ACTIONS = frozenset(
    {
        Action.CREATE_ACCOUNT,
        Action.SUBMIT_DEVELOPER_CONFIG,
        Action.CREATE_PAYMENT_SERVICE,
        Action.UPDATE_BIND_SERVICE,
    }
)
MARKER_ACTIONS = frozenset({Action.WAIT, Action.BLOCKED, Action.MANUAL})

#: The openapi endpoint path each write calls (for output and for tests that assert calls).
ENDPOINTS: dict[Action, str] = {
    Action.CREATE_ACCOUNT: "account/create",
    Action.SUBMIT_DEVELOPER_CONFIG: "developconfig/submit",
    Action.CREATE_PAYMENT_SERVICE: "paymentservice/create",
    Action.UPDATE_PAYMENT_SERVICE: "paymentservice/update",
    Action.UPDATE_BIND_SERVICE: "paymentservice/updatebindservice",
}


@dataclass(frozen=True)
class Change:
    """One field's difference, in display form (sensitive values already masked)."""

    field: str
    old: JsonValue
    new: JsonValue
    sensitive: bool = False
    payout: bool = False  # changes where payouts go (PAYOUT_FIELDS): the money guard's concern

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "sensitive": self.sensitive,
            "payout": self.payout,
        }

    @classmethod
    def from_json(cls, data: dict[str, JsonValue]) -> Change:
        return cls(
            field=data["field"],
            old=data.get("old"),
            new=data.get("new"),
            sensitive=bool(data.get("sensitive", False)),
            payout=bool(data.get("payout", False)),
        )


@dataclass(frozen=True)
class Step:
    """One write (or marker) for one section of one mini-program."""

    action: Action
    section: str
    changes: tuple[Change, ...] = ()
    reason: str | None = None  # why: Baidu's reason for blocked, what is awaited for wait
    note: str | None = None

    @property
    def audited(self) -> bool:
        return self.action in AUDITED_ACTIONS

    @property
    def is_marker(self) -> bool:
        return self.action in MARKER_ACTIONS

    @property
    def payout_change(self) -> bool:
        return any(change.payout for change in self.changes)

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "action": self.action.value,
            "section": self.section,
            "audited": self.audited,
            "endpoint": ENDPOINTS.get(self.action),
            "changes": [change.to_json() for change in self.changes],
            "reason": self.reason,
            "note": self.note,
        }

    @classmethod
    def from_json(cls, data: dict[str, JsonValue]) -> Step:
        return cls(
            action=Action(data["action"]),
            section=data["section"],
            changes=tuple(Change.from_json(c) for c in data.get("changes", [])),
            reason=data.get("reason"),
            note=data.get("note"),
        )


@dataclass(frozen=True)
class AppPlan:
    """Everything planned for one mini-program, in execution order."""

    app: str
    app_id: int
    steps: tuple[Step, ...] = ()
    notes: tuple[str, ...] = ()  # e.g. "developer config: audit outcome not yet received"
    error: str | None = None  # observation failed: this app could not be planned
    observed_checksum: str | None = None  # what was observed, for refusing stale saved plans
    status: dict[str, str] = field(default_factory=dict)  # section -> human status line
    desired_checksum: str | None = (
        None  # the spec's section fingerprints: a changed spec is stale too
    )

    @property
    def pending(self) -> bool:
        """True when anything is left to do or to wait for."""
        return bool(self.steps)

    @property
    def payout_change(self) -> bool:
        return any(step.payout_change for step in self.steps)

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "app": self.app,
            "app_id": self.app_id,
            "steps": [step.to_json() for step in self.steps],
            "notes": list(self.notes),
            "error": self.error,
            "observed_checksum": self.observed_checksum,
            "desired_checksum": self.desired_checksum,
            "status": dict(sorted(self.status.items())),
        }

    @classmethod
    def from_json(cls, data: dict[str, JsonValue]) -> AppPlan:
        return cls(
            app=data["app"],
            app_id=int(data["app_id"]),
            steps=tuple(Step.from_json(s) for s in data.get("steps", [])),
            notes=tuple(data.get("notes", [])),
            error=data.get("error"),
            observed_checksum=data.get("observed_checksum"),
            status=dict(data.get("status", {})),
            desired_checksum=data.get("desired_checksum"),
        )


@dataclass(frozen=True)
class Plan:
    """The whole plan: one AppPlan per mini-program, sorted by app name."""

    apps: tuple[AppPlan, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "apps", tuple(sorted(self.apps, key=lambda a: a.app)))

    @property
    def pending(self) -> bool:
        return any(app.pending for app in self.apps)

    @property
    def errors(self) -> tuple[AppPlan, ...]:
        return tuple(app for app in self.apps if app.error)

    def summary(self) -> dict[str, int]:
        """Counts for the summary line and the JSON `summary` object."""
        counts = {"apps": len(self.apps), "changed": 0, "in_sync": 0, "errors": 0}
        counts.update({action.value: 0 for action in Action})
        for app in self.apps:
            if app.error:
                counts["errors"] += 1
            elif app.pending:
                counts["changed"] += 1
            else:
                counts["in_sync"] += 1
            for step in app.steps:
                counts[step.action.value] += 1
        return counts

    @classmethod
    def from_json(cls, data: dict[str, JsonValue]) -> Plan:
        """The Plan of a `to_json` document (the caller checks `format_version` first)."""
        return cls(apps=tuple(AppPlan.from_json(app) for app in data.get("apps", [])))

    def to_json(self) -> dict[str, JsonValue]:
        return {
            "format_version": FORMAT_VERSION,
            "apps": [app.to_json() for app in self.apps],
            "summary": self.summary(),
        }
