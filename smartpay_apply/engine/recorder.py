"""What a run writes to the state store, behind one narrow interface.

Actions and the executor need five things from the store: record a submission (the salted
fingerprint of what was sent), record an audit outcome, read the last submission, record a
run-history step, and the image-URL cache. `Recorder` is that interface; `StoreRecorder`
implements it over a `StateStore` (each call off the event loop through `StateStore.call`,
which groups the calls of a moment into one transaction). Keeping
it narrow is what lets the actions be tested directly and the controller reuse them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol

from smartpay_apply.engine.observe import Submission
from smartpay_apply.timeutil import now

if TYPE_CHECKING:
    from datetime import datetime

    from smartpay_apply.spec.models import AppSpec
    from smartpay_apply.state.base import StateStore


class Recorder(Protocol):
    """The state-store writes and reads of a run."""

    async def submitted(self, spec: AppSpec, section: str, *, at: datetime | None = None) -> None:
        """`section` was sent to Baidu (`at`, default now): remember its fingerprint (outcome
        pending)."""
        ...

    async def outcome(self, spec: AppSpec, section: str, outcome: str, reason: str | None) -> None:
        """The audit of `section`'s last submission ended (approved / rejected)."""
        ...

    async def last_submission(self, spec: AppSpec, section: str) -> Submission | None:
        """The last recorded submission of `section` (None: never submitted)."""
        ...

    async def step(
        self, spec: AppSpec, action: str, section: str, result: str, detail: str | None
    ) -> None:
        """One line of the run history."""
        ...

    async def image_url(self, sha256: str) -> str | None:
        """The URL an earlier upload of this image content got (None: upload it)."""
        ...

    async def remember_image(self, sha256: str, url: str) -> None:
        """Keep an uploaded image's URL (encrypted) for later runs."""
        ...


class StoreRecorder:
    """`Recorder` over a StateStore, for one run (`run_id`)."""

    def __init__(
        self,
        store: StateStore,
        fingerprints: Callable[[AppSpec], Mapping[str, str]],
        run_id: str,
    ) -> None:
        self.store = store
        self.fingerprints = fingerprints
        self.run_id = run_id

    async def submitted(self, spec: AppSpec, section: str, *, at: datetime | None = None) -> None:
        fingerprint = self.fingerprints(spec)[section]
        await self.store.call(
            self.store.record_submission,
            spec.app_id,
            section,
            fingerprint,
            app=spec.app,
            at=at or now(),
        )

    async def outcome(self, spec: AppSpec, section: str, outcome: str, reason: str | None) -> None:
        await self.store.call(
            self.store.record_outcome, spec.app_id, section, outcome, reason=reason, at=now()
        )

    async def last_submission(self, spec: AppSpec, section: str) -> Submission | None:
        record = await self.store.call(self.store.get_submission, spec.app_id, section)
        if record is None:
            return None
        return Submission(
            fingerprint=record.fingerprint,
            submitted_at=record.submitted_at,
            outcome=record.outcome,
            reason=record.reason,
        )

    async def step(
        self, spec: AppSpec, action: str, section: str, result: str, detail: str | None
    ) -> None:
        await self.store.call(
            self.store.record_step,
            self.run_id,
            app_id=spec.app_id,
            app=spec.app,
            action=action,
            section=section,
            result=result,
            detail=detail,
        )

    async def image_url(self, sha256: str) -> str | None:
        return await self.store.call(self.store.get_image_url, sha256)

    async def remember_image(self, sha256: str, url: str) -> None:
        await self.store.call(self.store.record_image, sha256, url)
