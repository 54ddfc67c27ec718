"""What a controller was told: smartpay.yaml's `controller:` section and the command's flags."""

from __future__ import annotations

from dataclasses import dataclass, field

from smartpay_apply.config import RESYNC_RANGE, ProjectConfig
from smartpay_apply.controller.backoff import Backoff
from smartpay_apply.durations import check_duration

#: How often the events table is polled for events other replicas received (seconds).
POLL_INTERVAL = 1.0
#: How often spec files are checked for changes (their modification times), in seconds.
WATCH_INTERVAL = 2.0
#: A resync round starts every `resync` x (1 +- RESYNC_JITTER).
RESYNC_JITTER = 0.1
#: A reconcile skipped because another replica held the lock is tried again after this many
#: seconds when an event or a spec change asked for it (that replica may have planned before).
LOCK_RETRY = 2.0


@dataclass(frozen=True)
class Settings:
    """How one controller behaves (resync and intervals in seconds)."""

    resync: float = 600.0
    actions: frozenset[str] = frozenset()
    concurrency: int = 16
    poll_interval: float = POLL_INTERVAL
    watch_interval: float = WATCH_INTERVAL
    jitter: float = RESYNC_JITTER
    lock_retry: float = LOCK_RETRY
    backoff: Backoff = field(default_factory=Backoff)

    @classmethod
    def from_config(cls, config: ProjectConfig, resync: str | None = None) -> Settings:
        """The settings of `config`; `resync` (the --resync flag) wins over controller.resync.

        A bad --resync is a UsageError naming the allowed range (1 s to 24 h).
        """
        text = resync if resync is not None else config.controller.resync
        seconds = check_duration(text, *RESYNC_RANGE)
        return cls(
            resync=seconds,
            actions=frozenset(config.controller.actions),
            concurrency=config.concurrency,
            backoff=Backoff(cap=min(Backoff.cap, max(Backoff.base, seconds))),
        )
