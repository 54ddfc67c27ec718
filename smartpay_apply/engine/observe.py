"""What the remote and the state store say about a mini-program right now (read-only I/O).

`Observed` is plain data so that `decide` can stay a pure function and tests can build it by
hand. `observe_app` fills it with read calls only (account/auditstatus,
paymentservice/getbindservice, paymentservice/auditstatus) plus the state store's last
submissions and received audit events; `observe_all` does that for many mini-programs at once,
bounded by the project's `concurrency`, and turns a failing observation into an error for that
mini-program alone.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from smartpay_apply.engine.normalise import normalise_value
from smartpay_apply.jsontext import compact_sorted

if TYPE_CHECKING:
    from smartpay_apply.api.client import AppApi
    from smartpay_apply.spec.models import AppSpec
    from smartpay_apply.state.base import StateStore

#: Sections whose values Baidu never returns: the state store keeps their fingerprint.
WRITE_ONLY_SECTIONS = ("account", "developer_config")


@dataclass(frozen=True)
class Submission:
    """The last submission of a write-only section, as the state store recorded it."""

    fingerprint: str
    submitted_at: datetime | None = None
    outcome: str = "pending"  # pending | approved | rejected
    reason: str | None = None


@dataclass(frozen=True)
class AuditEvent:
    """An audit outcome Baidu pushed (and the receiver stored), reduced to what plan needs."""

    section: str  # account | developer_config | payment_service
    outcome: str  # approved | rejected
    event_time: datetime
    reason: str | None = None


@dataclass(frozen=True)
class Observed:
    """One mini-program as observed: remote state plus what the state store remembers.

    account_status None means Baidu has no payment account (nulls, or a "no account" errno);
    payment_service None means no payment service is bound (any of the "no service" answers,
    see AppApi.get_bind_service). payment_service holds getbindservice's data (remote-only
    outputs included; the diff skips them).
    """

    account_status: int | None = None
    account_verify_message: str | None = None
    payment_service: Mapping[str, Any] | None = None
    payment_audit_status: int | None = None
    payment_audit_reason: str | None = None
    submissions: Mapping[str, Submission] = field(default_factory=dict)
    events: tuple[AuditEvent, ...] = ()

    @property
    def open_status(self) -> int | None:
        """The payment service's audit state: getbindservice's open_status, else auditstatus."""
        if self.payment_service is not None and self.payment_service.get("open_status") is not None:
            return int(self.payment_service["open_status"])
        return self.payment_audit_status

    @property
    def fail_reason(self) -> str | None:
        """Baidu's reason for rejecting the payment service, from either endpoint."""
        if self.payment_service is not None and self.payment_service.get("fail_reason"):
            return str(self.payment_service["fail_reason"])
        return self.payment_audit_reason

    def events_for(self, section: str) -> tuple[AuditEvent, ...]:
        """This section's events, oldest first."""
        return tuple(
            sorted((e for e in self.events if e.section == section), key=lambda e: e.event_time)
        )


@dataclass(frozen=True)
class ObservedContext:
    """What apply needs to redo a decision for one mini-program: the observation or its error."""

    app: str
    app_id: int
    observed: Observed | None
    error: str | None = None
    checksum: str | None = None


def observed_checksum(observed: Observed, secret_digest: Callable[[str], str]) -> str:
    """A hash of everything observed, so a saved plan is refused once the world moved on.

    Values are normalised first (a reformatted answer is not a change). Sensitive values
    (bank_card, pm_app_key) go in through `secret_digest` — a keyed hash such as the state
    store's salted fingerprint — so the checksum cannot be brute-forced back to a card number.
    """
    service: dict[str, str | None] | None = None
    if observed.payment_service is not None:
        service = {}
        for key, value in sorted(observed.payment_service.items()):
            text = normalise_value(key, value)
            if isinstance(value, SecretStr) and text is not None:
                text = secret_digest(text)
            service[key] = text
    document = {
        "account": [observed.account_status, observed.account_verify_message],
        "payment_service": service,
        "payment_audit": [observed.payment_audit_status, observed.payment_audit_reason],
        "submissions": {
            section: [sub.fingerprint, _time(sub.submitted_at), sub.outcome, sub.reason]
            for section, sub in sorted(observed.submissions.items())
        },
        "events": sorted(
            [e.section, e.outcome, _time(e.event_time), e.reason] for e in observed.events
        ),
    }
    text = compact_sorted(document)  # json.dumps(sort_keys, ensure_ascii=False, ",", ":")
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


# ---------------------------------------------------------------- I/O


#: What the state store remembers about one mini-program: last submissions and audit events.
Recorded = tuple[dict[str, Submission], tuple[AuditEvent, ...]]


class RecordedLater:
    """One mini-program's share of a bulk store read still under way (`read_store_all` in a
    thread): `plan` sends each mini-program's first requests at once and takes its share of
    the store only when Baidu has answered (issue 16: the bulk read of 1,000 mini-programs,
    50-80 ms, no longer holds back the first request)."""

    def __init__(self, bulk: asyncio.Future[defaultdict[int, Recorded]], app_id: int) -> None:
        self.bulk = bulk
        self.app_id = app_id

    async def get(self) -> Recorded:
        return (await asyncio.shield(self.bulk))[self.app_id]


async def _stored(
    store: StateStore | None, app_id: int, recorded: Recorded | RecordedLater | None
) -> Recorded:
    """What the store remembers of `app_id`: as read in bulk, or read now."""
    if isinstance(recorded, RecordedLater):
        return await recorded.get()
    if recorded is None:
        return await _read_store(store, app_id)
    return recorded


#: The parts of an observation read from Baidu: `Observed.account_*`, and `payment_*`.
REMOTE_PARTS = frozenset({"account", "payment_service"})


async def observe_app(
    app_api: AppApi,
    spec: AppSpec,
    store: StateStore | None,
    *,
    recorded: Recorded | RecordedLater | None = None,
    known: Observed | None = None,
    stale: frozenset[str] = REMOTE_PARTS,
    account: tuple[int | None, str | None] | None = None,
) -> Observed:
    """Observe one mini-program: account/auditstatus and getbindservice at once, then the store.

    paymentservice/auditstatus is read only when getbindservice answered without open_status:
    both report the same audit state, and a third call per mini-program costs time and quota.
    `recorded` is the store's data when the caller read it in bulk (`read_store_all`), or its
    share of a bulk read under way (`RecordedLater`).
    "No account" and "no service" are observations, not errors (the client maps every shape of
    them to None); anything else the API raises
    (expired token, network, an unexpected errno) propagates for the caller to report.

    `known`, `stale`, `account`: apply's observation again after its own steps (issue 16:
    every request counts). The parts of `known` not in `stale` (nothing this run did can have
    changed them) are taken as they are, and `account` is the (status, verify_message) an
    audit poll has just read; only what is left is read from Baidu.
    """
    if known is not None:
        return await _observe_again(app_api, spec, store, known, stale, account, recorded)

    (account_status, verify_message), service = await asyncio.gather(
        _read_account(app_api), _read_service(app_api)
    )
    stored = await _stored(store, spec.app_id, recorded)
    return _observed((account_status, verify_message), service, stored)


#: getbindservice's data (None: no service), and paymentservice/auditstatus's status and
#: reason when getbindservice had no open_status.
ServiceSeen = tuple[dict[str, Any] | None, int | None, str | None]


async def _read_account(app_api: AppApi) -> tuple[int | None, str | None]:
    status = await app_api.get_account_audit_status()  # status None: no account yet
    return status.status, status.verify_message


async def _read_service(app_api: AppApi) -> ServiceSeen:
    found = await app_api.get_bind_service()  # None for every "no service" answer
    bound = None if found is None else dict(found)  # documented fields and later additions
    if bound is None or bound.get("open_status") is not None:
        return bound, None, None
    status = await app_api.get_payment_service_audit_status()
    return bound, status.status, status.fail_reason


def _observed(
    account: tuple[int | None, str | None], service: ServiceSeen, recorded: Recorded
) -> Observed:
    bound, audit_status, audit_reason = service
    submissions, events = recorded
    return Observed(
        account_status=account[0],
        account_verify_message=account[1],
        payment_service=bound,
        payment_audit_status=audit_status,
        payment_audit_reason=audit_reason,
        submissions=submissions,
        events=events,
    )


async def _observe_again(
    app_api: AppApi,
    spec: AppSpec,
    store: StateStore | None,
    known: Observed,
    stale: frozenset[str],
    account: tuple[int | None, str | None] | None,
    recorded: Recorded | RecordedLater | None,
) -> Observed:
    """`observe_app` that reads from Baidu only the stale parts of `known` (see there)."""

    async def account_part() -> tuple[int | None, str | None]:
        if account is not None:
            return account
        if "account" in stale:
            return await _read_account(app_api)
        return known.account_status, known.account_verify_message

    async def service_part() -> ServiceSeen:
        if "payment_service" in stale:
            return await _read_service(app_api)
        bound = None if known.payment_service is None else dict(known.payment_service)
        return bound, known.payment_audit_status, known.payment_audit_reason

    # The store is read while Baidu answers (issue 16: the re-plan after a write holds a
    # concurrency slot; its store read no longer waits for the answer). Baidu's error, if
    # any, is the one raised, as when the store was read afterwards.
    seen_account, service, stored = await asyncio.gather(
        account_part(),
        service_part(),
        _stored(store, spec.app_id, recorded),
        return_exceptions=True,
    )
    for part in (seen_account, service, stored):
        if isinstance(part, BaseException):
            raise part
    return _observed(seen_account, service, stored)  # type: ignore[arg-type]


async def _read_store(store: StateStore | None, app_id: int) -> Recorded:
    """`read_store` off the event loop (no store: nothing to read)."""
    if store is None:
        return {}, ()
    return await store.call(read_store, store, app_id)


def read_store(store: StateStore | None, app_id: int) -> Recorded:
    """The last submissions of one mini-program's sections and the audit events received.

    An absent store (None) reads as empty: plan works before anything was ever applied.
    """
    if store is None:
        return {}, ()
    submissions: dict[str, Submission] = {}
    for section in (*WRITE_ONLY_SECTIONS, "payment_service"):
        record = store.get_submission(app_id, section)
        if record is not None:
            submissions[section] = _submission(record)
    return submissions, tuple(_events(store.list_events(app_id)))


#: Up to this many mini-programs, `read_store_all` asks the store per mini-program.
FEW_APPS = 16


def read_store_all(
    store: StateStore | None, app_ids: Sequence[int] | None
) -> defaultdict[int, Recorded]:
    """`read_store` for many mini-programs in two queries (not four per mini-program); with
    `app_ids` None, for every mini-program (one the store knows nothing of reads as empty).

    For a few mini-programs (a controller's reconcile plans one), two queries *per
    mini-program* instead: reading the whole fleet's submissions and events to plan one app
    made each reconcile cost O(fleet) — 40 ms of CPU per reconcile at 1,000 apps.
    """
    wanted = None if app_ids is None else set(app_ids)
    found: defaultdict[int, Recorded] = defaultdict(lambda: ({}, ()))
    for app_id in wanted or ():
        found[app_id] = ({}, ())
    if store is None:
        return found
    few = wanted is not None and len(wanted) <= FEW_APPS
    submissions = (
        [record for app_id in sorted(wanted or ()) for record in store.list_submissions(app_id)]
        if few
        else store.list_submissions()
    )
    for record in submissions:
        if wanted is None or record.app_id in wanted:
            if record.app_id not in found:
                found[record.app_id] = ({}, ())
            found[record.app_id][0][record.section] = _submission(record)
    stored = (
        [event for app_id in sorted(wanted or ()) for event in store.list_events(app_id)]
        if few
        else store.list_events()
    )
    by_app: dict[int, list[Any]] = {}
    for event in stored:
        if wanted is None or event.app_id in wanted:
            by_app.setdefault(event.app_id, []).append(event)
    for app_id, events in by_app.items():
        found[app_id] = (found[app_id][0], tuple(_events(events)))
    return found


def _submission(record: Any) -> Submission:
    return Submission(
        fingerprint=record.fingerprint,
        submitted_at=record.submitted_at,
        outcome=record.outcome,
        reason=record.reason,
    )


def _events(stored: Sequence[Any]) -> list[AuditEvent]:
    """The store's events that are payment audit outcomes, reduced to (section, outcome)."""
    from smartpay_apply.state import event_outcome

    events: list[AuditEvent] = []
    for event in stored:
        outcome = event_outcome(event)
        if outcome is None:
            continue
        section, result = outcome
        events.append(
            AuditEvent(
                section=section, outcome=result, event_time=event.event_time, reason=event.reason
            )
        )
    return events
