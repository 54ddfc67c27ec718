"""`/metrics`: the controller in Prometheus' text format, with the official prometheus-client.

Two kinds of figures:
- this replica's own, kept in memory: reconciles by outcome, their duration, the time from an
  audit event's arrival to the next write, API errors by endpoint and errno, when its last resync
  round completed with every mini-program observed;
- the fleet's, read from the state store at scrape time (so every replica shows the same, and
  a mini-program another replica reconciled is counted right): mini-programs by section and
  state, those awaiting a payout consent, those suspended, the age of the oldest audit in review.
  A store that cannot be read leaves these out of that scrape (the rest is still served).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from smartpay_apply.controller.outcome import SECTIONS, Outcome, states_of_summary
from smartpay_apply.state.base import StateStore
from smartpay_apply.timeutil import now

log = logging.getLogger(__name__)

#: Section states (controller/outcome.section_states).
STATES = ("in_sync", "in_review", "pending", "blocked", "failing")
#: Seconds a fleet reading is reused by further scrapes.
FLEET_CACHE = 2.0
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)


@dataclass
class Fleet:
    """What the store says of the managed mini-programs, counted."""

    states: dict[tuple[str, str], int] = field(default_factory=dict)
    awaiting_consent: int = 0
    suspended: int = 0
    oldest_review: float | None = None


def read_fleet(store: StateStore, managed: set[int]) -> Fleet:
    """Count the latest observations, suspensions and pending submissions of `managed`."""
    fleet = Fleet(states={(s, state): 0 for s in SECTIONS for state in STATES})
    in_review: set[tuple[int, str]] = set()
    for seen in store.list_observations():
        if seen.app_id not in managed:
            continue
        block = seen.summary.get("controller")
        if isinstance(block, dict) and block.get("outcome") == Outcome.AWAITING_CONSENT:
            fleet.awaiting_consent += 1
        for section, state in states_of_summary(seen.summary).items():
            if (section, state) in fleet.states:
                fleet.states[(section, state)] += 1
            if state == "in_review":
                in_review.add((seen.app_id, section))
    fleet.suspended = sum(1 for s in store.list_suspensions() if s.app_id in managed)
    moment = now()
    ages = [
        (moment - submission.submitted_at).total_seconds()
        for submission in store.list_submissions()
        if submission.outcome == "pending" and (submission.app_id, submission.section) in in_review
    ]
    fleet.oldest_review = max(ages) if ages else None
    return fleet


class FleetCollector(Collector):
    """The fleet's gauges, read from the store at scrape time (cached for FLEET_CACHE s)."""

    def __init__(
        self,
        store: StateStore,
        managed: Callable[[], set[int]],
        suspended_by_spec: Callable[[], int],
    ) -> None:
        self.store = store
        self.managed = managed
        self.suspended_by_spec = suspended_by_spec
        self._cached: tuple[float, Fleet] | None = None

    def _fleet(self) -> Fleet | None:
        if self._cached is not None and time.monotonic() - self._cached[0] < FLEET_CACHE:
            return self._cached[1]
        try:
            fleet = read_fleet(self.store, self.managed())
        except Exception as error:  # the store is down: serve the rest of /metrics
            log.warning("metrics: cannot read the fleet from the state store: %s", error)
            return None
        self._cached = (time.monotonic(), fleet)
        return fleet

    def collect(self) -> Iterator[Metric]:
        fleet = self._fleet()
        if fleet is None:
            return
        apps = GaugeMetricFamily(
            "smartpay_apps",
            "Managed mini-programs by section and state (from the latest observations)",
            labels=["section", "state"],
        )
        for (section, state), count in sorted(fleet.states.items()):
            apps.add_metric([section, state], count)
        yield apps
        yield GaugeMetricFamily(
            "smartpay_apps_awaiting_consent",
            "Mini-programs whose payout change waits for `approve APP --payout-change`",
            value=fleet.awaiting_consent,
        )
        yield GaugeMetricFamily(
            "smartpay_apps_suspended",
            "Mini-programs the controller leaves alone (suspend: true or `suspend APP`)",
            value=fleet.suspended + self.suspended_by_spec(),
        )
        oldest = GaugeMetricFamily(
            "smartpay_oldest_audit_in_review_seconds",
            "Age of the oldest audit still in review (0 when none is)",
        )
        oldest.add_metric([], fleet.oldest_review or 0.0)
        yield oldest


class Metrics:
    """The registry /metrics serves, and the instruments the controller updates."""

    def __init__(self) -> None:
        disable_created_metrics()  # no `_created` series: they double the output, nobody reads them
        self.registry = CollectorRegistry()
        self.reconciles = Counter(
            "smartpay_controller_reconciles",
            "Reconciles by outcome",
            ["outcome"],
            registry=self.registry,
        )
        for outcome in Outcome:
            self.reconciles.labels(outcome.value)
        self.duration = Histogram(
            "smartpay_controller_reconcile_duration_seconds",
            "Time of one reconcile (lock, plan, writes)",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.event_to_write = Histogram(
            "smartpay_controller_event_to_write_seconds",
            "From an audit event's arrival to the end of the write it led to",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.api_errors = Counter(
            "smartpay_api_errors",
            "Failed attempts of openapi calls by endpoint and errno (or error_code; "
            "'transport' for no answer)",
            ["endpoint", "errno"],
            registry=self.registry,
        )
        self.last_resync = Gauge(
            "smartpay_controller_last_resync_success_timestamp_seconds",
            "When this replica last completed a resync round in which every mini-program "
            "was observed (Unix time; 0 before the first)",
            registry=self.registry,
        )
        self.queued = Gauge(
            "smartpay_controller_queued_apps",
            "Mini-programs due or waiting for their time",
            registry=self.registry,
        )
        self.running = Gauge(
            "smartpay_controller_running_reconciles",
            "Reconciles under way",
            registry=self.registry,
        )

    def watch_fleet(self, collector: FleetCollector) -> None:
        self.registry.register(collector)

    def api_error(self, endpoint: str, code: object) -> None:
        self.api_errors.labels(endpoint or "-", "transport" if code is None else str(code)).inc()

    def render(self) -> bytes:
        """The text exposition (reads the store: call it off the event loop)."""
        return generate_latest(self.registry)
