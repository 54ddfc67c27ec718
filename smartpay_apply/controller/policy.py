"""What the controller may do without a person.

Three rules, the same for every replica:
1. only the steps of `controller.actions` run on their own (default: the onboarding chain and
   the updates); a plan that needs another one is left to `smartpay-apply apply` and reported;
2. a payout change (the money guard's fields) runs only with a consent in the state store
   (`smartpay-apply approve APP --payout-change`) bound to the fingerprint of exactly this
   spec's payment-service section: a later, different change needs a new consent. A consent
   is used once: after its change was sent it is dropped;
3. `apply.payout_change_max_share` holds for the controller too, counted over a sliding
   window of one resync period (a "round"): past the share, further payout changes wait for
   a person (`apply --force`) or the next round.
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from enum import StrEnum
from typing import TYPE_CHECKING

from smartpay_apply.engine.money_guard import exceeds_threshold
from smartpay_apply.engine.steps import Action

if TYPE_CHECKING:
    from smartpay_apply.engine.money_guard import PayoutChange
    from smartpay_apply.engine.steps import AppPlan
    from smartpay_apply.spec.models import AppSpec
    from smartpay_apply.state.base import StateStore

#: The kind of consent `approve --payout-change` records.
PAYOUT_CONSENT = "payout_change"


class Denial(StrEnum):
    """Why the controller left a plan to a person."""

    ACTIONS = "actions"  # a step controller.actions does not include
    CONSENT = "consent"  # a payout change without a matching consent
    THRESHOLD = "threshold"  # too many payout changes in one round


class PayoutBudget:
    """The payout-change share threshold over a sliding window of one resync period."""

    def __init__(
        self, max_share: float, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_share = max_share
        self.window = window
        self.clock = clock
        self._granted: collections.deque[float] = collections.deque()

    def allow(self, managed: int) -> bool:
        """Count one more payout change now, unless that makes too many in the window."""
        now = self.clock()
        while self._granted and self._granted[0] <= now - self.window:
            self._granted.popleft()
        if exceeds_threshold(len(self._granted) + 1, managed, self.max_share):
            return False
        self._granted.append(now)
        return True


def payout_fingerprint(spec: AppSpec, store: StateStore) -> str | None:
    """The fingerprint a payout consent is bound to: the spec's payment-service section."""
    from smartpay_apply.engine.fingerprints import desired_fingerprints

    return desired_fingerprints(spec, store).get("payment_service")


class Judge:
    """The controller's say over one reconcile of one mini-program: `refuse` and `ask`, as
    engine.run.reconcile takes them. Remembers why it said no (`denied`) and whether a consent
    was used (`consent_used`: dropped once its change was sent).

    The consent is read from the store only when a payout change is planned (rare), inside
    `ask`: one short synchronous read.
    """

    def __init__(
        self,
        spec: AppSpec,
        store: StateStore,
        *,
        actions: frozenset[str],
        budget: PayoutBudget,
        managed: int,
    ) -> None:
        self.spec = spec
        self.store = store
        self.actions = actions
        self.budget = budget
        self.managed = managed
        self.denied: Denial | None = None
        self.consent_used = False
        self.payout_fields: tuple[str, ...] = ()

    def refuse(self, plan: AppPlan) -> str | None:
        """A step this reconcile would run that controller.actions does not allow, if any.

        Only the steps before the first wait or rejection count: the later ones are judged
        when their turn comes.
        """
        for step in plan.steps:
            if step.action in (Action.WAIT, Action.BLOCKED):
                return None
            if step.is_marker or step.action is Action.ADOPT:
                continue
            if step.action.value not in self.actions:
                self.denied = Denial.ACTIONS
                return (
                    f"{step.action.value}: not among controller.actions: run `smartpay-apply "
                    f"apply --app {self.spec.app}` (or add it to controller.actions)"
                )
        return None

    def ask(self, change: PayoutChange) -> bool:
        """A payout change runs with a consent for exactly this spec, within the threshold."""
        self.payout_fields = change.fields
        consent = self.store.get_consent(self.spec.app_id, PAYOUT_CONSENT)
        if consent is None or consent.fingerprint != payout_fingerprint(self.spec, self.store):
            self.denied = Denial.CONSENT
            return False
        if not self.budget.allow(self.managed):
            self.denied = Denial.THRESHOLD
            return False
        self.consent_used = True
        return True

    def explain(self) -> str | None:
        """What a person should do about the denial, in one line (None without one)."""
        fields = ", ".join(self.payout_fields) or "payout fields"
        if self.denied is Denial.CONSENT:
            return (
                f"payout change ({fields}) awaits consent: `smartpay-apply approve "
                f"{self.spec.app} --payout-change` (or `smartpay-apply apply "
                f"--allow-payout-change {self.spec.app}`)"
            )
        if self.denied is Denial.THRESHOLD:
            return (
                f"payout change ({fields}) held: more than apply.payout_change_max_share of "
                "the mini-programs changed payouts within one resync round; it goes on in the "
                f"next round, or now with `smartpay-apply apply --app {self.spec.app} --force "
                f"--allow-payout-change {self.spec.app}`"
            )
        return None
