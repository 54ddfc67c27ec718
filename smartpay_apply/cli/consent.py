"""`approve APP --payout-change`, `suspend APP`, `resume APP`: what people tell the controller.

Recorded in the state store, so every replica sees them (docs/controller.md):
- a payout consent is bound to the fingerprint of the spec's payment-service section as it is
  now: the controller applies exactly that change (once), and a later, different one needs a
  new consent. `--revoke` drops a consent not used yet;
- a suspension makes the controller leave the mini-program alone until `resume` (like
  `suspend: true` in its spec). plan and apply are not affected.
"""

from __future__ import annotations

import getpass
import socket

import click

from smartpay_apply.cli.context import CliContext, pass_cli
from smartpay_apply.errors import UsageError
from smartpay_apply.timeutil import now, text_time


def _who() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no user name in some containers
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


@click.command()
@click.argument("app")
@click.option(
    "--payout-change",
    is_flag=True,
    help="Consent to the payout change of APP's spec as it is now (bank_card, bank_account, "
    "bank_name, bank_branch, open_province, open_city).",
)
@click.option("--revoke", is_flag=True, help="Drop APP's payout consent instead.")
@pass_cli
def approve(cli: CliContext, app: str, payout_change: bool, revoke: bool) -> None:
    """Consent, for the controller, to a change of APP that needs a person.

    \b
    The consent is bound to APP's payment-service section as the spec has it now: the
    controller applies that change at its next reconcile, once; a different change needs a
    new consent. (By hand: `smartpay-apply apply --allow-payout-change APP`.)
    """
    from smartpay_apply.controller.policy import PAYOUT_CONSENT, payout_fingerprint
    from smartpay_apply.project import load_specs
    from smartpay_apply.runtime import open_state
    from smartpay_apply.selection import select_spec
    from smartpay_apply.state.base import Consent

    if not payout_change:
        raise UsageError("approve: say what is approved: --payout-change (the only kind so far)")
    config = cli.project()
    spec = select_spec(load_specs(config), app)
    if spec.payment_service is None:
        raise UsageError(
            f"APP {spec.app}: its spec manages no payment_service: no payout to approve"
        )
    with open_state(config) as store:
        if revoke:
            dropped = store.revoke_consent(spec.app_id, PAYOUT_CONSENT)
            click.echo(
                f"Payout consent of {spec.app} dropped."
                if dropped
                else f"{spec.app} has no payout consent: nothing to drop."
            )
            return
        fingerprint = payout_fingerprint(spec, store)
        assert fingerprint is not None
        consent = Consent(spec.app_id, PAYOUT_CONSENT, fingerprint, _who(), now())
        store.grant_consent(consent)
    click.echo(
        f"Payout change of {spec.app} (app_id {spec.app_id}) approved by {consent.granted_by} at "
        f"{text_time(consent.granted_at)}, for its payment_service as the spec has it now; the "
        "controller applies it at its next reconcile (a later, different change needs a new "
        "consent)."
    )


@click.command()
@click.argument("app")
@click.option("--reason", default=None, help="Why (shown with the suspension).")
@pass_cli
def suspend(cli: CliContext, app: str, reason: str | None) -> None:
    """Make the controller leave APP alone until `resume APP` (plan and apply still work)."""
    from smartpay_apply.cli.stores import resolve_app
    from smartpay_apply.runtime import open_state
    from smartpay_apply.state.base import Suspension

    config = cli.project()
    with open_state(config) as store:
        target, _ = resolve_app(app, config, store)
        store.suspend(Suspension(target.app_id, target.name, _who(), now(), reason))
    click.echo(f"Suspended {target.label}: the controller leaves it alone until `resume`.")


@click.command()
@click.argument("app")
@pass_cli
def resume(cli: CliContext, app: str) -> None:
    """Let the controller reconcile APP again (after `suspend APP`)."""
    from smartpay_apply.cli.stores import reading_store, resolve_app

    with reading_store(cli) as (config, store):
        target, _ = resolve_app(app, config, store)
        lifted = store.resume(target.app_id) if store is not None else False
    if not lifted:
        click.echo(f"{target.label} is not suspended: nothing to resume.")
        return
    click.echo(f"Resumed {target.label}: the controller reconciles it again.")
