"""The money guard: apply never redirects payouts by accident.

A change to any of `PAYOUT_FIELDS` (bank_card, bank_account, bank_name, bank_branch,
open_province, open_city) sends a business's money somewhere else. A typo in a spec, a bad
merge or a compromised pull request must not be enough for that, so apply asks for two things:

1. **Consent per mini-program.** Each payout change needs an explicit yes for that app:
   `--allow-payout-change APP` (name or app_id), or typing the app's name at the TTY prompt.
   Without it that mini-program is refused (its steps do not run) and the run exits 1.
2. **A threshold for the whole run** (octoDNS's "too many changes"): when more than
   `apply.payout_change_max_share` of the managed mini-programs would change payout fields in
   one run, the whole run is refused before any write, unless `--force`. Small projects are
   not punished for one legitimate change: the threshold only applies from
   `MIN_PAYOUT_CHANGES_CHECKED` changing mini-programs on (1 of 2 is never refused by it).

This module is pure: it judges a Plan; the CLI does the asking.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from smartpay_apply.engine.steps import AppPlan, Plan
from smartpay_apply.errors import SmartpayError

#: The threshold only counts from this many changing mini-programs on: with 1 or 2 changes a
#: per-app consent is enough, whatever the share (otherwise 1 of 2 apps would need --force).
MIN_PAYOUT_CHANGES_CHECKED = 3


class PayoutThresholdError(SmartpayError):
    """Too many mini-programs would change where their money goes in one run."""


@dataclass(frozen=True)
class PayoutChange:
    """One mini-program whose plan redirects payouts, and which fields do it."""

    app: str
    app_id: int
    fields: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.app} ({', '.join(self.fields)})"


@dataclass(frozen=True)
class GuardVerdict:
    """What the guard allows: the mini-programs refused (with why) and those consented."""

    refused: dict[str, str] = field(default_factory=dict)  # app name -> message
    consented: tuple[str, ...] = ()


def payout_changes(plan: Plan) -> list[PayoutChange]:
    """Every mini-program in `plan` with a step that changes a payout field."""
    found = []
    for app in plan.apps:
        fields = _payout_fields(app)
        if fields:
            found.append(PayoutChange(app.app, app.app_id, fields))
    return found


def _payout_fields(app: AppPlan) -> tuple[str, ...]:
    names: list[str] = []
    for step in app.steps:
        for change in step.changes:
            if change.payout and change.field not in names:
                names.append(change.field)
    return tuple(names)


def check_threshold(plan: Plan, *, managed: int, max_share: float, force: bool) -> str | None:
    """Refuse (raise) when too many mini-programs change payouts; with force, a warning instead.

    `managed` is the number of mini-programs the project manages (all specs, not only the ones
    selected with --app), so selecting a subset cannot dodge the threshold. Returns the warning
    text when `force` overrode a refusal, else None.
    """
    changes = payout_changes(plan)
    if not exceeds_threshold(len(changes), managed, max_share):
        return None
    share = len(changes) / managed if managed else 1.0
    listed = ", ".join(change.describe() for change in changes[:10])
    if len(changes) > 10:
        listed += f", and {len(changes) - 10} more"
    message = (
        f"{len(changes)} of {managed} managed mini-programs ({share:.0%}) would change where "
        f"payouts go, more than apply.payout_change_max_share ({max_share:.0%}): {listed}"
    )
    if force:
        return f"--force: applying although {message}"
    raise PayoutThresholdError(
        f"refusing to apply: {message}. Check the plan; if this is intended, run again with "
        "--force (and --allow-payout-change for each mini-program)."
    )


def exceeds_threshold(changing: int, managed: int, max_share: float) -> bool:
    """True when `changing` of `managed` mini-programs is too many for one run."""
    if changing < MIN_PAYOUT_CHANGES_CHECKED:
        return False
    total = max(managed, changing)
    return changing / total > max_share


def judge_consent(
    plan: Plan,
    allowed: Collection[str],
    ask: Callable[[PayoutChange], bool] | None = None,
) -> GuardVerdict:
    """Which payout changes have consent: named in `allowed` (app name or app_id), or `ask` says yes.

    `ask` is the TTY prompt (type the app's name); None in pipelines, where only
    --allow-payout-change counts.
    """
    names = {name.strip() for name in allowed}
    refused: dict[str, str] = {}
    consented: list[str] = []
    for change in payout_changes(plan):
        named = change.app in names or str(change.app_id) in names
        if named or (ask is not None and ask(change)):
            consented.append(change.app)
        else:
            refused[change.app] = (
                f"refused: this plan changes where payouts go ({', '.join(change.fields)}); "
                f"confirm with --allow-payout-change {change.app}"
            )
    return GuardVerdict(refused=refused, consented=tuple(consented))


def unknown_allowances(plan: Plan, allowed: Collection[str]) -> list[str]:
    """--allow-payout-change values that name no mini-program of the plan (likely typos)."""
    known = {app.app for app in plan.apps} | {str(app.app_id) for app in plan.apps}
    return sorted(name for name in allowed if name.strip() not in known)
