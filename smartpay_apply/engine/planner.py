"""Orchestration of a plan: credentials, concurrent observation, decision, checksums.

`build_plan` is what `plan` runs and what `apply` reuses: apply calls `plan_app` again for each
mini-program under its lock and compares the checksums with a saved plan's before writing.

The fingerprint of a section is computed here, not in decide (it is salted by the state store,
and local image files are hashed): `fingerprint_values` is the one definition of "the values
of a section", and apply records `desired_fingerprints(spec, store)[section]` after a
successful submission so the next plan compares like with like.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smartpay_apply.engine.decide import DecideOptions, decide
from smartpay_apply.engine.normalise import section_values
from smartpay_apply.engine.observe import (
    ObservedContext,
    Recorded,
    bounded_gather,
    observe_app,
    observed_checksum,
    read_store_all,
)
from smartpay_apply.engine.outcomes import record_seen_outcomes
from smartpay_apply.engine.steps import AppPlan, Plan
from smartpay_apply.errors import SmartpayError
from smartpay_apply.spec.models import SECTIONS
from smartpay_apply.timeutil import now

if TYPE_CHECKING:
    from smartpay_apply.api.client import OpenApi
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.spec.models import AppSpec
    from smartpay_apply.state.base import StateStore


class ImageReadError(SmartpayError):
    """A local id-card image named by a spec cannot be read (to fingerprint it)."""


def fingerprint_values(spec: AppSpec, section: str) -> dict[str, Any]:
    """The values of `section` as fingerprinted: local image files by their content's SHA-256.

    Why the content: replacing id_front.png with a new photo is a change of the account, a
    renamed file with the same photo is not.
    """
    values = section_values(getattr(spec, section))
    for name, value in values.items():
        if isinstance(value, Path):
            values[name] = "sha256:" + file_sha256(value)
    return values


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's content (the path is never shown: it may name a person)."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 16), b""):
                digest.update(block)
    except OSError as error:
        raise ImageReadError(
            f"cannot read a local id-card image file: {error.strerror or error}"
        ) from None
    return digest.hexdigest()


def desired_fingerprints(spec: AppSpec, store: StateStore) -> dict[str, str]:
    """Section -> salted fingerprint of the spec's values, for every section the spec manages."""
    return {
        section: store.fingerprint(section, fingerprint_values(spec, section))
        for section in SECTIONS
        if getattr(spec, section) is not None
    }


def desired_checksum(fingerprints: Mapping[str, str]) -> str:
    """One hash over the section fingerprints: a saved plan is stale once the spec changes."""
    text = json.dumps(dict(sorted(fingerprints.items())), separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def secret_digest(store: StateStore) -> Callable[[str], str]:
    """A keyed hash for sensitive observed values (salted like fingerprints: not reversible)."""
    return lambda text: store.fingerprint("observed-secret", {"value": text})


def decide_options(config: ProjectConfig) -> DecideOptions:
    """How decide learns outcomes in this project: is the event receiver configured, and when."""
    return DecideOptions(receiver=receiver_configured(config), now=now())


def receiver_configured(config: ProjectConfig) -> bool:
    """Whether pushed events can be verified: token + EncodingAESKey (smartpay.yaml or the
    environment, as `events serve` reads them), or plaintext explicitly allowed."""
    import os

    from smartpay_apply.events.settings import AES_KEY_ENV, TOKEN_ENV

    events = config.events
    if events.allow_plaintext:
        return True
    token = os.environ.get(TOKEN_ENV) or events.token
    key = os.environ.get(AES_KEY_ENV) or events.encoding_aes_key
    return bool(token and key)


async def plan_app(
    config: ProjectConfig,
    spec: AppSpec,
    api: OpenApi,
    store: StateStore,
    *,
    recorded: Recorded | None = None,
    options: DecideOptions | None = None,
) -> tuple[AppPlan, ObservedContext]:
    """Observe and decide one mini-program. A SmartpayError (token, network, API) becomes the
    AppPlan's `error`; a bug propagates. `recorded`: the store's data, if read in bulk.

    The audit outcomes the observation saw are recorded in the store on the way (engine/
    outcomes.py): plan is read-only towards Baidu, not towards what the store knows of it.
    """
    from smartpay_apply.credentials import token_source_for

    try:
        tokens = token_source_for(spec, config, store, api)
        observed = await observe_app(api.app(tokens), spec, store, recorded=recorded)
        observed = await asyncio.to_thread(
            record_seen_outcomes, store, spec.app_id, observed, now()
        )
        fingerprints = desired_fingerprints(spec, store)
    except SmartpayError as error:
        message = error.user_message()
        return (
            AppPlan(app=spec.app, app_id=spec.app_id, error=message),
            ObservedContext(app=spec.app, app_id=spec.app_id, observed=None, error=message),
        )
    checksum = observed_checksum(observed, secret_digest(store))
    app_plan = replace(
        decide(spec, observed, fingerprints, options or decide_options(config)),
        observed_checksum=checksum,
        desired_checksum=desired_checksum(fingerprints),
    )
    missing = await asyncio.to_thread(_upload_token_missing, config, spec, app_plan, store)
    if missing:
        app_plan = replace(app_plan, notes=(*app_plan.notes, missing))
    return app_plan, ObservedContext(
        app=spec.app, app_id=spec.app_id, observed=observed, checksum=checksum
    )


def _upload_token_missing(
    config: ProjectConfig, spec: AppSpec, app_plan: AppPlan, store: StateStore
) -> str | None:
    """A note when create_account would upload local images and no TP token is configured."""
    from smartpay_apply.credentials import tp_token_source
    from smartpay_apply.engine.images import NO_TP_TOKEN, pending_uploads
    from smartpay_apply.engine.steps import Action

    if not any(step.action is Action.CREATE_ACCOUNT for step in app_plan.steps):
        return None
    fields = pending_uploads(spec, store)
    if not fields or tp_token_source(spec, config, store, None) is not None:
        return None
    return f"account: {', '.join(fields)}: {NO_TP_TOKEN}; apply refuses create_account until then"


async def build_plan(
    config: ProjectConfig,
    specs: Sequence[AppSpec],
    api: OpenApi,
    store: StateStore,
    *,
    concurrency: int | None = None,
) -> tuple[Plan, dict[str, ObservedContext]]:
    """Plan every spec, at most `concurrency` (default: the config's) mini-programs at once.

    Returns the Plan and, per app name, what was observed (for apply's re-checks).
    """
    recorded = await asyncio.to_thread(read_store_all, store, [spec.app_id for spec in specs])
    options = decide_options(config)
    jobs = [
        lambda spec=spec: plan_app(
            config, spec, api, store, recorded=recorded[spec.app_id], options=options
        )
        for spec in specs
    ]
    results = await bounded_gather(jobs, concurrency or config.concurrency)
    apps: list[AppPlan] = []
    contexts: dict[str, ObservedContext] = {}
    for result in results:
        if isinstance(result, BaseException):
            raise result  # plan_app turns every user-facing error into an AppPlan: this is a bug
        app_plan, context = result
        apps.append(app_plan)
        contexts[app_plan.app] = context
    return Plan(apps=tuple(apps)), contexts


def select_apps(
    specs: Sequence[AppSpec], names: Sequence[str], *, option: str = "--app"
) -> list[AppSpec]:
    """The specs named by `--app` (name or app_id); all of them when none is named.

    `option` is how the user gave the names, for the error (`--app`, or an argument `APP`).
    """
    if not names:
        return list(specs)
    wanted = {name.strip() for name in names}
    by_name = {spec.app for spec in specs}
    # An app name wins over an app_id: an all-digit name may equal another spec's app_id.
    chosen = [
        spec
        for spec in specs
        if spec.app in wanted or (str(spec.app_id) in wanted and str(spec.app_id) not in by_name)
    ]
    known = by_name | {str(spec.app_id) for spec in specs}
    unknown = sorted(wanted - known)
    if unknown:
        from smartpay_apply.errors import UsageError

        listing = ", ".join(spec.app for spec in specs[:20]) + (", ..." if len(specs) > 20 else "")
        raise UsageError(
            f"{option} {', '.join(unknown)}: no such mini-program in the specs "
            f"(known: {listing or 'none'})"
        )
    return chosen
