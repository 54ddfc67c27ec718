"""How the executor waits for an audit to end, in one of three ways.

- account and payment service: poll their audit-status endpoints (engine/waiting.wait_for);
- developer config with the event receiver configured: poll the events the receiver stored;
- developer config without one: its outcome cannot be read, so pause and let the executor try
  the payment-service create again (a refused create changes nothing: waiting.ProbeWait).
Waiting is no work: the mini-program gives its concurrency slot up meanwhile (`idle`). One
deadline (`--wait-timeout`) bounds all the waiting of a run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import TYPE_CHECKING

from smartpay_apply.engine.actions import SECTION_LABELS
from smartpay_apply.engine.options import ApplyOptions
from smartpay_apply.engine.results import AppResult
from smartpay_apply.engine.steps import Action
from smartpay_apply.engine.waiting import (
    AccountPoll,
    AuditOutcome,
    Poll,
    ProbeWait,
    ProgressSink,
    account_poll,
    developer_config_poll,
    payment_service_poll,
    wait_for,
)

if TYPE_CHECKING:
    from smartpay_apply.api.app import AppApi
    from smartpay_apply.engine.executor import Wiring
    from smartpay_apply.spec.models import AppSpec


class AuditWaits:
    """The audit waits of one run (see the module docstring)."""

    def __init__(
        self,
        wiring: Wiring,
        options: ApplyOptions,
        progress: ProgressSink,
        idle: Callable[[], AbstractAsyncContextManager[None]],
    ) -> None:
        self.wiring = wiring
        self.options = options
        self.progress = progress
        self._idle = idle
        self.deadline = time.monotonic() + options.wait_timeout
        self._probes: dict[int, ProbeWait] = {}

    def start(self) -> None:
        """The run's waiting starts now: --wait-timeout counts from here."""
        self.deadline = time.monotonic() + self.options.wait_timeout

    async def wait(
        self, spec: AppSpec, api: AppApi, section: str, result: AppResult
    ) -> AuditOutcome | None:
        """Poll one audit to its end; None when the deadline passed (the result says so)."""
        label = SECTION_LABELS[section]
        if section == "developer_config" and not self.options.events_configured:
            return await self._probe(spec, result)
        poll = await self._poll_for(spec, api, section)
        async with self._idle():
            try:
                outcome = await wait_for(
                    f"{spec.app_id}:{section}",
                    spec.app,
                    section,
                    poll,
                    deadline=self.deadline,
                    backoff=self.options.backoff,
                    progress=self.progress,
                )
            except asyncio.CancelledError:
                result.wait_on(section, f"{label} in review (waiting was interrupted)")
                raise
            if outcome.state != "in_review":  # recorded before the slot is taken back
                outcome = await self._decided(spec, poll, outcome)
        if outcome.state == "in_review":
            result.wait_on(section, f"{label} still in review when --wait-timeout ran out")
            return None
        return outcome

    async def _decided(self, spec: AppSpec, poll: Poll, outcome: AuditOutcome) -> AuditOutcome:
        """The audit's outcome recorded, with what the re-plan after it needs: the account's
        status the poll read, the store's records read in the same call (issue 16).

        Still part of the wait (no request to Baidu): made before the mini-program takes a
        concurrency slot again, so that the slot's holders are those sending requests.
        """
        if isinstance(poll, AccountPoll):
            outcome = replace(outcome, account=poll.last)
        decided = "approved" if outcome.state == "approved" else "rejected"
        recorded = await self.wiring.recorder.decided(
            spec, outcome.section, decided, outcome.reason
        )
        return replace(outcome, recorded=recorded)

    async def _probe(self, spec: AppSpec, result: AppResult) -> AuditOutcome | None:
        """A pause before trying the payment-service create again (see ProbeWait)."""
        probe = self._probes.get(spec.app_id)
        if probe is None:
            probe = ProbeWait(
                f"{spec.app_id}:developer_config",
                f"{spec.app}: developer config: in review (no event receiver: "
                "create_payment_service is tried again after each pause)",
                self.options.backoff,
                self.progress,
            )
            self._probes[spec.app_id] = probe
        async with self._idle():
            paused = await probe.pause(self.deadline)
        if not paused:
            result.wait_on(
                "developer_config", "developer config still in review when --wait-timeout ran out"
            )
            return None
        return AuditOutcome("developer_config", "probed")

    def end(self, spec: AppSpec, result: AppResult) -> None:
        """The mini-program's rounds are over: close its probe's progress line, if any."""
        probe = self._probes.pop(spec.app_id, None)
        if probe is None:
            return
        created = any(
            step.action == Action.CREATE_PAYMENT_SERVICE.value
            and step.result in ("submitted", "already_exists")
            for step in result.steps
        )
        state = "approved (the payment service was created)" if created else "stopped waiting"
        probe.end(f"{spec.app}: developer config: {state}")

    async def _poll_for(self, spec: AppSpec, api: AppApi, section: str) -> Poll:
        if section == "account":
            return account_poll(api)
        if section == "payment_service":
            return payment_service_poll(api)
        record = await self.wiring.recorder.last_submission(spec, section)
        return developer_config_poll(
            self.wiring.store, spec.app_id, record.submitted_at if record else None
        )
