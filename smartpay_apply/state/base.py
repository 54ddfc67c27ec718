"""The state store's interface and records, shared by plan, apply, events and credentials.

Two things cannot be read back from Baidu — what was submitted for the account and for the
developer config — and several pipelines may run at once. The store remembers, per mini-program:
salted fingerprints of the last submissions and their audit outcome, the audit events Baidu
pushed, uploaded image URLs, a run history, locks, and encrypted credentials.

Every method is synchronous and thread-safe; async callers use `await store.call(method, ...)`
(off the event loop; SQLite groups the calls of a moment into one transaction). Anything a
user can cause (unreachable, corrupt, newer store, missing SMARTPAY_STATE_KEY) is a StateError.
Nothing secret is stored in clear: sections only as fingerprints, credentials and id-card URLs
encrypted (see crypto.py).
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar

from smartpay_apply.state.fingerprint import section_fingerprint
from smartpay_apply.state.locks import HeldLock, LockInfo, LockKey, LockOwner
from smartpay_apply.state.records import (
    EVENT_OUTCOMES,
    OUTCOMES,
    SECTIONS,
    AuditEvent,
    Consent,
    Forgotten,
    Observation,
    RunRecord,
    RunStep,
    Submission,
    Suspension,
    event_outcome,
)

__all__ = [
    "EVENT_OUTCOMES",
    "OUTCOMES",
    "SECTIONS",
    "AuditEvent",
    "Consent",
    "Forgotten",
    "Observation",
    "RunRecord",
    "RunStep",
    "StateStore",
    "Submission",
    "Suspension",
    "event_outcome",
]

T = TypeVar("T")


class StateStore(abc.ABC):
    """The store plan, apply, the event receiver and credentials share (SQLite or PostgreSQL)."""

    #: Where the store is, for messages (a path, or a URL with the password masked).
    name: str = "state store"

    # -- lifecycle ---------------------------------------------------------------------

    @abc.abstractmethod
    def close(self) -> None:
        """Close the connection. The store is unusable afterwards; closing twice is harmless."""

    def __enter__(self) -> StateStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    async def call(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` — a method of this store, or a function of several — off the
        event loop, as `asyncio.to_thread` would; a store may run the calls of a moment in one
        transaction (state/group_commit.py), each still committed when its await returns.

        `fn` should change nothing but the store before that await returns: a batch that fails
        to commit runs its calls again, one by one.
        """
        return await asyncio.to_thread(fn, *args, **kwargs)

    # -- fingerprints and submissions --------------------------------------------------

    @abc.abstractmethod
    def salt(self) -> bytes:
        """The store's random fingerprint salt (created with the schema, never changes)."""

    def fingerprint(self, section: str, values: Mapping[str, Any]) -> str:
        """HMAC-SHA256 over the canonical JSON of the whole section, keyed by the store's salt.

        Stable for equal values (Decimal normalised, SecretStr unwrapped for hashing only),
        different per store, and never reversible to the values (see fingerprint.py).
        """
        return section_fingerprint(self.salt(), section, values)

    @abc.abstractmethod
    def get_submission(self, app_id: int, section: str) -> Submission | None:
        """The last submission of `section` for `app_id`, or None if never submitted."""

    @abc.abstractmethod
    def record_submission(
        self, app_id: int, section: str, fingerprint: str, *, app: str, at: datetime
    ) -> None:
        """Remember that `section` was submitted at `at`: replaces the last one, outcome pending."""

    @abc.abstractmethod
    def record_outcome(
        self, app_id: int, section: str, outcome: str, *, reason: str | None, at: datetime
    ) -> None:
        """Set the audit outcome of the last submission, as observed at `at`.

        Ignored when there is no submission, when `at` is older than the submission (it is the
        outcome of an earlier one; compared at whole seconds, Baidu's precision), or when a
        newer outcome is already recorded.
        """

    @abc.abstractmethod
    def list_submissions(self, app_id: int | None = None) -> list[Submission]:
        """Every recorded submission (of one mini-program), by app_id then section."""

    @abc.abstractmethod
    def recorded_apps(self) -> dict[int, str | None]:
        """Every mini-program the store holds anything about, app_id -> the app name it recorded.

        From submissions, run steps, events, locks and stored credentials; the name is the one
        of the last submission, else of the latest run step, else None (events, locks and
        credentials carry no name). For resolving APP arguments (selection.py).
        """

    @abc.abstractmethod
    def forget(
        self,
        app_id: int,
        sections: Sequence[str],
        *,
        app: str | None,
        image_digests: Sequence[str] = (),
        command: str,
        user: str,
        host: str,
    ) -> Forgotten:
        """`state forget` (Terraform's `state rm`): drop what was recorded, touch nothing at Baidu.

        Removes the submissions (fingerprint and outcome) of `sections` for `app_id`, and the
        uploaded-image URLs with the given SHA-256s. In the same transaction, when anything was
        removed, records a finished run (`command`, `user`, `host`) with one step per removed
        record, so the run history says who forgot what. Audit events, the run history and
        credentials stay: they are history, not a claim about what Baidu holds.
        """

    # -- audit events ------------------------------------------------------------------

    @abc.abstractmethod
    def record_event(self, event: AuditEvent) -> bool:
        """Store a pushed event; False if it is a redelivery (same app_id, event, event_time).

        Atomic and safe under concurrent deliveries: exactly one of several identical inserts
        returns True. A PASS/FAIL event also sets the matching submission's outcome, by the rule
        of `record_outcome` with `at = event_time` (an event older than the submission belongs
        to an earlier submission and leaves the current one pending).
        """

    @abc.abstractmethod
    def list_events(
        self, app_id: int | None = None, *, since: datetime | None = None
    ) -> list[AuditEvent]:
        """Stored events (of one mini-program, with event_time >= since), oldest first."""

    @abc.abstractmethod
    def list_events_received(self, since: datetime, *, limit: int = 1000) -> list[AuditEvent]:
        """Events *received* at or after `since`, in the order they were received (at most
        `limit`): how a controller learns of an event another replica's receiver stored — the
        store is the bus. `received_at` is the receiving machine's clock: readers allow for
        skew by asking from a little earlier and ignoring what they have seen.
        """

    # -- uploaded images ---------------------------------------------------------------

    @abc.abstractmethod
    def get_image_url(self, sha256: str) -> str | None:
        """The upload service's URL for an image with this SHA-256, if one was recorded."""

    @abc.abstractmethod
    def has_image(self, sha256: str) -> bool:
        """Whether an upload URL is recorded for this SHA-256 (readable without the key)."""

    @abc.abstractmethod
    def record_image(self, sha256: str, url: str) -> None:
        """Remember an uploaded image's URL, encrypted (it grants access to an id card).

        Without SMARTPAY_STATE_KEY nothing is stored (never a URL in clear): the image is
        simply uploaded again next time.
        """

    # -- run history -------------------------------------------------------------------

    @abc.abstractmethod
    def start_run(self, *, command: str, user: str, host: str, plan_checksum: str | None) -> str:
        """Record the start of a run; returns its id ("r-<UTC time>-<random>")."""

    @abc.abstractmethod
    def record_step(
        self,
        run_id: str,
        *,
        app_id: int,
        app: str,
        action: str,
        section: str,
        result: str,
        detail: str | None = None,
    ) -> None:
        """Append a step's result to a run (secrets in `detail` are masked as query strings)."""

    @abc.abstractmethod
    def finish_run(self, run_id: str, status: str) -> None:
        """Mark a run finished with `status` (e.g. "succeeded", "failed", "pending")."""

    @abc.abstractmethod
    def list_runs(
        self, app_id: int | None = None, limit: int = 50, offset: int = 0
    ) -> list[RunRecord]:
        """The latest runs, newest first, with their steps (only that app's steps if given);
        `offset` skips that many of the newest (a page of the run history)."""

    # -- locks ---------------------------------------------------------------------------

    @abc.abstractmethod
    def acquire_lock(self, app_id: LockKey, owner: LockOwner, ttl: float) -> bool:
        """Take the lock if it is free or expired; True if `owner` now holds it for `ttl` s.

        Not re-entrant: a lock held (unexpired) by anyone, `owner` included, is refused.
        """

    @abc.abstractmethod
    def renew_lock(self, app_id: LockKey, owner: LockOwner, ttl: float) -> bool:
        """Extend `owner`'s lock to now + ttl; False if `owner` no longer holds it."""

    @abc.abstractmethod
    def release_lock(self, app_id: LockKey, owner: LockOwner) -> None:
        """Release the lock if `owner` holds it (someone else's lock is left alone)."""

    @abc.abstractmethod
    def list_locks(self) -> list[LockInfo]:
        """Every lock row, expired ones included (flagged), by name."""

    @abc.abstractmethod
    def force_unlock(self, app_id: LockKey) -> bool:
        """Remove a lock whoever holds it (`smartpay-apply unlock`); False if there was none."""

    def lock(
        self, app_id: LockKey, owner: LockOwner, *, ttl: float = 300, wait: float = 0
    ) -> HeldLock:
        """`with store.lock(app_id, owner):` — hold the lock for the block, renewed every ttl/3.

        Waits up to `wait` seconds for a held lock, then raises LockHeldError naming the holder.
        `app_id` may also be a free-form name (e.g. "credentials/123").
        """
        return HeldLock(self, app_id, owner, ttl, wait)

    # -- the fleet: observations, consents, suspensions ---------------------------------

    @abc.abstractmethod
    def record_observations(self, observations: Sequence[Observation]) -> None:
        """Keep the latest observation of each mini-program (one transaction for all)."""

    @abc.abstractmethod
    def list_observations(self, app_ids: Sequence[int] | None = None) -> list[Observation]:
        """The latest observation of every (or of the given) mini-program, by app_id."""

    @abc.abstractmethod
    def latest_events(
        self, events: Collection[str] | None = None, *, app_ids: Collection[int] | None = None
    ) -> dict[int, AuditEvent]:
        """Per mini-program (of `app_ids`, when given), its newest stored event (by
        event_time), of the named `events` only when given. One query for the whole fleet:
        `status` shows each mini-program's last event and last rejection without reading
        every event."""

    @abc.abstractmethod
    def open_submissions(self) -> list[Submission]:
        """The submissions whose audit is not approved (pending or rejected), by app_id then
        section: what `status` needs of the fleet's submissions besides `submitted_apps`."""

    @abc.abstractmethod
    def submitted_apps(self) -> dict[int, str | None]:
        """The mini-programs with at least one recorded submission, app_id -> the app name of
        the latest one (None when it recorded none)."""

    @abc.abstractmethod
    def event_app_ids(self) -> set[int]:
        """The mini-programs with at least one stored event."""

    @abc.abstractmethod
    def recent_events(
        self, limit: int, offset: int = 0, *, app_id: int | None = None
    ) -> list[AuditEvent]:
        """A page of the stored events (of one mini-program), NEWEST first (the events feed)."""

    @abc.abstractmethod
    def latest_runs(self) -> dict[int, RunRecord]:
        """Per mini-program, the newest run that recorded a step for it, holding only that
        mini-program's steps (what `status` shows as its last run). One query for the fleet."""

    @abc.abstractmethod
    def grant_consent(self, consent: Consent) -> None:
        """Record a consent (replacing an earlier one of the same kind for that app)."""

    @abc.abstractmethod
    def get_consent(self, app_id: int, kind: str) -> Consent | None:
        """The consent of `kind` recorded for `app_id`, if any."""

    @abc.abstractmethod
    def revoke_consent(self, app_id: int, kind: str) -> bool:
        """Drop a consent; False if there was none."""

    @abc.abstractmethod
    def suspend(self, suspension: Suspension) -> None:
        """Mark a mini-program suspended (replacing an earlier mark)."""

    @abc.abstractmethod
    def resume(self, app_id: int) -> bool:
        """Lift a suspension; False if the mini-program was not suspended."""

    @abc.abstractmethod
    def list_suspensions(self) -> list[Suspension]:
        """Every suspended mini-program, by app_id."""

    # -- encrypted secrets ---------------------------------------------------------------

    @abc.abstractmethod
    def put_secret(self, key: str, value: str) -> None:
        """Store `value` under `key`, encrypted with SMARTPAY_STATE_KEY (StateError without it)."""

    @abc.abstractmethod
    def get_secret(self, key: str) -> str | None:
        """The decrypted value under `key`, or None. StateError if it exists but the key is missing or wrong."""

    @abc.abstractmethod
    def delete_secret(self, key: str) -> None:
        """Forget `key` (no error if absent)."""

    @abc.abstractmethod
    def list_secret_keys(self, prefix: str = "") -> list[str]:
        """The names of stored secrets starting with `prefix`, sorted (names are not secret)."""

    @abc.abstractmethod
    def replace_secret(self, key: str, expected_old: str | None, new: str) -> bool:
        """Compare-and-swap: store `new` only if the current value is `expected_old`.

        `expected_old=None` means "only if absent". Returns False (and changes nothing) when
        another writer got there first — how refresh-token rotation stays safe.
        """
