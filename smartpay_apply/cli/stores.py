"""The state store as the store commands (state, lock, unlock, events, auth) open it.

`reading_store` gives the store if one was ever created, else None: read-only commands then
answer as for an empty store, and `unlock` / `state forget` have nothing to remove — none of them
creates a file, a directory or a schema. APP arguments resolve through selection.py with the
specs and what the store recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from smartpay_apply.selection import SPECS_AND_STORE, KnownApp, merged_apps, resolve

if TYPE_CHECKING:
    from smartpay_apply.cli.context import CliContext
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.spec.models import AppSpec
    from smartpay_apply.state.base import StateStore


@contextmanager
def reading_store(obj: CliContext) -> Iterator[tuple[ProjectConfig, StateStore | None]]:
    """The project config and its store, or None when there is no store yet (closed after)."""
    config = obj.project()
    with existing_store(config) as store:
        yield config, store


@contextmanager
def existing_store(config: ProjectConfig) -> Iterator[StateStore | None]:
    """The project's store if it exists, else None; never creates it (closed afterwards)."""
    from smartpay_apply.state import open_existing_store

    store = open_existing_store(config.state, base_dir=config.root)
    try:
        yield store
    finally:
        if store is not None:
            store.close()


def valid_specs(config: ProjectConfig) -> list[AppSpec]:
    """The specs that load; a broken spec is validate's business, not a reason to fail here."""
    from smartpay_apply.errors import SmartpayError
    from smartpay_apply.project import load_report

    try:
        return list(load_report(config).specs)
    except SmartpayError:
        return []


def known_apps(config: ProjectConfig, store: StateStore | None) -> list[KnownApp]:
    """Every mini-program of the specs and of the store (the specs' names win)."""
    recorded = store.recorded_apps() if store is not None else {}
    return merged_apps(valid_specs(config), recorded)


def resolve_app(
    text: str, config: ProjectConfig, store: StateStore | None, *, option: str = "APP"
) -> tuple[KnownApp, list[KnownApp]]:
    """The mini-program `text` names among the specs and the store, and all the known ones."""
    known = known_apps(config, store)
    return resolve(text, known, option=option, where=SPECS_AND_STORE), known


def names_of(known: list[KnownApp]) -> dict[int, str]:
    """app_id -> name, for the known mini-programs that have one."""
    return {app.app_id: app.name for app in known if app.name}


def label(app_id: int, names: dict[int, str]) -> str:
    """`shop (123)`, or just `123` when the name is unknown."""
    return KnownApp(app_id, names.get(app_id)).label
