"""What a run writes to the state store, behind one narrow interface.

Actions and the executor need five things from the store: record a submission (the salted
fingerprint of what was sent), record an audit outcome, read the last submission, record a
run-history step, and the image-URL cache. `Recorder` is that interface; `StoreRecorder`
implements it over a `StateStore` (each call off the event loop through `StateStore.call`,
which groups the calls of a moment into one transaction). Keeping
it narrow is what lets the actions be tested directly and the controller reuse them.

One step, one store call (issue 16): within `one_step(spec)` — the executor opens it around
each step — a submission or outcome the action records is held and goes to the store together
with the step's own history line (or with the read the action makes next), in one call: the
writes of a step are still recorded before the next step starts, and a write that fails is
undone alone (each is its own transaction, state/group_commit.py), the others kept.

Fewer store round trips while a mini-program holds a concurrency slot (issue 16): an audit's
outcome is recorded and the store read for the re-plan that follows in one call (`decided`),
and a best-effort write (a re-plan's kept observation) waits for the mini-program's next store
call (`later`; `flush` when its work ends) instead of costing an await of its own; and a
created payment service approves a pending developer config in the store with the step's line
(`approve_pending`), not after a read of its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from smartpay_apply.engine.observe import Recorded, Submission, read_store
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

    async def approve_pending(self, spec: AppSpec, section: str) -> None:
        """`outcome(spec, section, "approved", None)` if the last submission of `section` is
        pending (none recorded, or already decided: nothing), decided in the store."""
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

    def one_step(self, spec: AppSpec) -> contextlib.AbstractAsyncContextManager[None]:
        """Around one step of `spec`: its writes may go to the store with its history line
        (all of them by the time the block is left)."""
        ...

    async def decided(
        self, spec: AppSpec, section: str, outcome: str, reason: str | None
    ) -> Recorded | None:
        """`outcome` for an awaited audit, then what the store holds of `spec`'s mini-program
        (what the re-plan after the wait reads), in one call; None when only that read failed
        (the re-plan then reads the store itself)."""
        ...

    def later(self, spec: AppSpec, write: Callable[..., Any], *args: Any) -> None:
        """A best-effort write (it reports its own failures) that goes to the store with the
        next store call for `spec`, or with `flush`."""
        ...

    async def flush(self, spec: AppSpec) -> None:
        """The writes `later` held for `spec`, now (its work is over)."""
        ...


#: A store write held for later: (method, args, kwargs).
_Write = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]


def _write_all(writes: list[_Write]) -> None:
    """Every held write, each its own transaction; the first error is raised after all were
    tried (one failing write must not lose the others)."""
    failed: Exception | None = None
    for method, args, kwargs in writes:
        try:
            method(*args, **kwargs)
        except Exception as error:
            failed = failed or error
    if failed is not None:
        raise failed


def _write_all_then(writes: list[_Write], read: Callable[..., Any], *args: Any) -> Any:
    """The held writes, then a read that sees them (one store call)."""
    _write_all(writes)
    return read(*args)


def _write_all_then_try(
    writes: list[_Write], read: Callable[..., Any], *args: Any
) -> tuple[bool, Any]:
    """The writes (their error raised, as `_write_all`), then a read whose failure is returned
    as (False, None), not raised: the caller of the writes is not the read's."""
    _write_all(writes)
    try:
        return True, read(*args)
    except Exception:
        return False, None


def _approve_pending(store: StateStore, app_id: int, section: str, *, at: datetime) -> None:
    """The last submission of `section` approved (as of `at`), if its outcome is pending."""
    record = store.get_submission(app_id, section)
    if record is not None and record.outcome == "pending":
        store.record_outcome(app_id, section, "approved", reason=None, at=at)


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
        #: Per mini-program: the writes held for its next store call (its step's history line).
        self._held: dict[int, list[_Write]] = {}
        #: The mini-programs within `one_step`: their writes are held.
        self._stepping: set[int] = set()

    @contextlib.asynccontextmanager
    async def one_step(self, spec: AppSpec) -> AsyncIterator[None]:
        self._stepping.add(spec.app_id)
        try:
            yield
        finally:
            self._stepping.discard(spec.app_id)
            held = self._take_held(spec)
            if held:
                await self.store.call(_write_all, held)

    async def _write(self, spec: AppSpec, write: _Write) -> None:
        """Now (with what is held), or with the step's line when a step of `spec` is under way."""
        if spec.app_id in self._stepping:
            self._held.setdefault(spec.app_id, []).append(write)
            return
        await self.store.call(_write_all, [*self._take_held(spec), write])

    def _take_held(self, spec: AppSpec) -> list[_Write]:
        return self._held.pop(spec.app_id, [])

    def later(self, spec: AppSpec, write: Callable[..., Any], *args: Any) -> None:
        self._held.setdefault(spec.app_id, []).append((write, args, {}))

    async def flush(self, spec: AppSpec) -> None:
        held = self._take_held(spec)
        if held:
            await self.store.call(_write_all, held)

    async def submitted(self, spec: AppSpec, section: str, *, at: datetime | None = None) -> None:
        fingerprint = self.fingerprints(spec)[section]
        args = (spec.app_id, section, fingerprint)
        await self._write(
            spec, (self.store.record_submission, args, {"app": spec.app, "at": at or now()})
        )

    async def outcome(self, spec: AppSpec, section: str, outcome: str, reason: str | None) -> None:
        args = (spec.app_id, section, outcome)
        await self._write(spec, (self.store.record_outcome, args, {"reason": reason, "at": now()}))

    async def decided(
        self, spec: AppSpec, section: str, outcome: str, reason: str | None
    ) -> Recorded | None:
        args = (spec.app_id, section, outcome)
        write = (self.store.record_outcome, args, {"reason": reason, "at": now()})
        ok, recorded = await self.store.call(
            _write_all_then_try,
            [*self._take_held(spec), write],
            read_store,
            self.store,
            spec.app_id,
        )
        return recorded if ok else None

    async def approve_pending(self, spec: AppSpec, section: str) -> None:
        args = (self.store, spec.app_id, section)
        await self._write(spec, (_approve_pending, args, {"at": now()}))

    async def last_submission(self, spec: AppSpec, section: str) -> Submission | None:
        record = await self.store.call(
            _write_all_then, self._take_held(spec), self.store.get_submission, spec.app_id, section
        )
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
        line = {
            "app_id": spec.app_id,
            "app": spec.app,
            "action": action,
            "section": section,
            "result": result,
            "detail": detail,
        }
        writes = [*self._take_held(spec), (self.store.record_step, (self.run_id,), line)]
        await self.store.call(_write_all, writes)

    async def image_url(self, sha256: str) -> str | None:
        return await self.store.call(self.store.get_image_url, sha256)

    async def remember_image(self, sha256: str, url: str) -> None:
        await self.store.call(self.store.record_image, sha256, url)
