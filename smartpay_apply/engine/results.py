"""What an apply run did, per mini-program and in all: the result the CLI prints and the JSON.

Plain data with the exit-code rule in one place (`ApplyResult.exit_code`): 130 interrupted,
1 any failure or refusal, 2 audits still in review, 0 all done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from smartpay_apply.engine.steps import AppPlan, Plan

#: Bumped when the JSON result's shape changes incompatibly.
RESULT_FORMAT_VERSION = 1


class AppStatus(StrEnum):
    """How a mini-program ended the run (the JSON `status`)."""

    DONE = "done"  # nothing left to do or to wait for
    IN_REVIEW = "in_review"  # done what can be done; audits still in review
    FAILED = "failed"  # an API error, a rejection, a lock held, a manual change needed
    REFUSED = "refused"  # stale plan or money guard: nothing was done
    INTERRUPTED = "interrupted"  # Ctrl-C: stopped after recording the write under way


@dataclass
class StepResult:
    """One executed step: what, where, and how it ended."""

    action: str
    section: str
    result: str  # submitted | updated | already_exists | adopted | manual | in_review | failed
    endpoint: str | None = None
    detail: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "section": self.section,
            "endpoint": self.endpoint,
            "result": self.result,
            "detail": self.detail,
        }


@dataclass
class AppResult:
    """Everything one mini-program's run did, waits for, and failed at."""

    app: str
    app_id: int
    status: AppStatus = AppStatus.DONE
    steps: list[StepResult] = field(default_factory=list)
    pending: list[dict[str, str]] = field(default_factory=list)  # {"section", "detail"}
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: What `reconcile` planned under the lock (None when it planned nothing): how a controller
    #: tells a rejection from a failure, and keeps what it saw. Not part of the JSON.
    plan: AppPlan | None = field(default=None, repr=False, compare=False)
    #: The payment service's display name as that plan saw it (engine/observation.service_name).
    service_name: str | None = field(default=None, repr=False, compare=False)
    #: `reconcile` found the mini-program locked by another run or replica (it is being handled).
    lock_held: bool = False

    def fail(self, message: str, status: AppStatus = AppStatus.FAILED) -> None:
        self.errors.append(message)
        if self.status is not AppStatus.REFUSED:
            self.status = status

    def wait_on(self, section: str, detail: str) -> None:
        if not any(p["section"] == section for p in self.pending):
            self.pending.append({"section": section, "detail": detail})

    def interrupt(self) -> None:
        """Ctrl-C reached this mini-program: what it did is in `steps`; the rest waits for a rerun."""
        if self.status is not AppStatus.REFUSED:
            self.status = AppStatus.INTERRUPTED
        self.notes.append("interrupted: every write sent was recorded; run apply again to go on")

    def settle(self) -> None:
        """The final status from what was recorded."""
        if self.errors:
            if self.status not in (AppStatus.FAILED, AppStatus.REFUSED):
                self.status = AppStatus.FAILED
        elif self.pending:
            self.status = AppStatus.IN_REVIEW
        else:
            self.status = AppStatus.DONE

    def to_json(self) -> dict[str, Any]:
        return {
            "app": self.app,
            "app_id": self.app_id,
            "status": self.status.value,
            "steps": [step.to_json() for step in self.steps],
            "pending": list(self.pending),
            "errors": list(self.errors),
            "notes": list(self.notes),
        }


@dataclass
class ApplyResult:
    """The whole run: one AppResult per mini-program, and the exit code they add up to."""

    apps: list[AppResult] = field(default_factory=list)
    run_id: str | None = None
    warnings: list[str] = field(default_factory=list)
    plan: Plan | None = None  # what was planned under the locks (shown before any write)
    interrupted: bool = False  # Ctrl-C (SIGINT) or SIGTERM stopped the run

    @property
    def exit_code(self) -> int:
        """130 interrupted; 0 all done; 2 done but audits still in review; 1 any failure or refusal."""
        if self.interrupted:
            return 130
        if any(app.status in (AppStatus.FAILED, AppStatus.REFUSED) for app in self.apps):
            return 1
        if any(app.status is AppStatus.IN_REVIEW for app in self.apps):
            return 2
        return 0

    def summary(self) -> dict[str, int]:
        counts = {status.value: 0 for status in AppStatus}
        for app in self.apps:
            counts[app.status.value] += 1
        counts["apps"] = len(self.apps)
        counts["steps"] = sum(len(app.steps) for app in self.apps)
        return counts

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": RESULT_FORMAT_VERSION,
            "run_id": self.run_id,
            "exit_code": self.exit_code,
            "interrupted": self.interrupted,
            "apps": [app.to_json() for app in sorted(self.apps, key=lambda a: a.app)],
            "summary": self.summary(),
            "warnings": list(self.warnings),
            "plan": self.plan.to_json() if self.plan is not None else None,
        }
