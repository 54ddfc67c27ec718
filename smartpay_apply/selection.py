"""One rule for naming mini-programs on the command line: by app name or by app_id.

Every command that takes a mini-program (`plan --app`, `apply --app`, `output APP`,
`data … APP`, `state show APP`, `state history APP`, `state forget APP`, `unlock APP`,
`events list --app`, `auth add|refresh APP`, `import --update APP`) resolves it here, the same way:

1. the text equal to a known app name picks that mini-program — a name wins, so an all-digit
   app name that equals another mini-program's app_id picks the named one;
2. otherwise an all-digit text picks the mini-program with that app_id;
3. otherwise it is an error, `APP x: no such mini-program in the specs (known: a, b, …)`.

What is "known" depends on the command: the specs, for commands that act on a spec (plan,
apply, output, data); the specs plus what the state store recorded, for commands that read or
change the store (state, lock, events, auth), where the specs' names win over recorded ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from smartpay_apply.errors import UsageError

if TYPE_CHECKING:
    from smartpay_apply.spec.models import AppSpec

SPECS = "the specs"
SPECS_AND_STORE = "the specs or the state store"
#: `status` and its page know the mini-programs the state store knows (they load no spec).
STORE = "the state store"
#: At most this many names are listed in an "unknown mini-program" error.
LISTED = 20

S = TypeVar("S", bound="AppSpec")


@dataclass(frozen=True)
class KnownApp:
    """A mini-program the command knows of: its app_id and, when known, its app name."""

    app_id: int
    name: str | None = None

    @property
    def label(self) -> str:
        """`shop (123)`, or just `123` when the name is unknown."""
        return f"{self.name} ({self.app_id})" if self.name else str(self.app_id)


def _app_id(text: str) -> int | None:
    """The app_id an all-digit text (ASCII digits only) stands for."""
    return int(text) if text.isascii() and text.isdigit() else None


def resolve(
    text: str, known: Iterable[KnownApp], *, option: str = "APP", where: str = SPECS
) -> KnownApp:
    """The mini-program `text` names, by the module's rule; UsageError if none (or several).

    `option` is how the user gave it and `where` what `known` came from, for the message.
    """
    candidates = list(known)
    wanted = text.strip()
    by_name = [app for app in candidates if app.name is not None and app.name == wanted]
    distinct = {app.app_id for app in by_name}
    if len(distinct) == 1:
        return by_name[0]
    if len(distinct) > 1:  # only possible with names the store recorded (specs' are unique)
        ids = ", ".join(str(app_id) for app_id in sorted(distinct))
        raise UsageError(f"{option} {wanted}: names several mini-programs ({ids}): give the app_id")
    app_id = _app_id(wanted)
    if app_id is not None:
        for app in candidates:
            if app.app_id == app_id:
                return app
    raise UsageError(_unknown(option, [wanted], candidates, where))


def select_specs(specs: Sequence[S], names: Sequence[str], *, option: str = "--app") -> list[S]:
    """The specs named (by the module's rule), in spec order; all of them when none is named.

    Every unknown name is reported at once.
    """
    if not names:
        return list(specs)
    known = [KnownApp(spec.app_id, spec.app) for spec in specs]
    chosen: set[int] = set()
    unknown: list[str] = []
    for name in names:
        try:
            chosen.add(resolve(name, known, option=option).app_id)
        except UsageError:
            unknown.append(name.strip())
    if unknown:
        raise UsageError(_unknown(option, sorted(set(unknown)), known, SPECS))
    return [spec for spec in specs if spec.app_id in chosen]


def select_known(
    known: Sequence[KnownApp], names: Sequence[str], *, option: str = "--app", where: str = SPECS
) -> list[KnownApp]:
    """The mini-programs among `known` that `names` name (by the module's rule), in the order
    of `known`; every unknown name is reported at once (`where` says what `known` came from)."""
    chosen: set[int] = set()
    unknown: list[str] = []
    for name in names:
        try:
            chosen.add(resolve(name, known, option=option, where=where).app_id)
        except UsageError:
            unknown.append(name.strip())
    if unknown:
        raise UsageError(_unknown(option, sorted(set(unknown)), known, where))
    return [app for app in known if app.app_id in chosen]


def select_spec(specs: Sequence[S], name: str, *, option: str = "APP") -> S:
    """The one spec `name` picks (a command that takes exactly one mini-program)."""
    (spec,) = select_specs(specs, [name], option=option)
    return spec


def _unknown(option: str, names: Sequence[str], known: Sequence[KnownApp], where: str) -> str:
    listed = sorted({app.name or str(app.app_id) for app in known})
    shown = ", ".join(listed[:LISTED]) + (", ..." if len(listed) > LISTED else "")
    return (
        f"{option} {', '.join(names)}: no such mini-program in {where} (known: {shown or 'none'})"
    )


def spec_apps(specs: Iterable[AppSpec]) -> list[KnownApp]:
    """The mini-programs of the specs, as `resolve` takes them."""
    return [KnownApp(spec.app_id, spec.app) for spec in specs]


def merged_apps(specs: Iterable[AppSpec], recorded: Mapping[int, str | None]) -> list[KnownApp]:
    """The specs' mini-programs, then those only the state store knows (`recorded`: app_id ->
    the name it recorded, if any). A spec's name wins over a recorded one for the same app_id."""
    apps = {spec.app_id: KnownApp(spec.app_id, spec.app) for spec in specs}
    for app_id, name in recorded.items():
        apps.setdefault(app_id, KnownApp(app_id, name))
    return sorted(apps.values(), key=lambda app: app.app_id)
