"""How an apply run behaves: the options the CLI fills from flags and smartpay.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field

from smartpay_apply.engine.waiting import Backoff


@dataclass(frozen=True)
class ApplyOptions:
    """How a run behaves; the CLI fills it from flags and smartpay.yaml."""

    wait: bool = False
    wait_timeout: float = 1800.0
    lock_wait: float = 0.0
    #: Locks are renewed every ttl/3 while held; a run killed on another host frees them after ttl.
    lock_ttl: float = 120.0
    concurrency: int = 16
    backoff: Backoff = field(default_factory=Backoff)
    #: The event receiver is configured: a developer config's outcome can arrive, so --wait
    #: waits for it; without it, --wait tries the payment-service create again after pauses.
    events_configured: bool = False
