"""One `import --update`: read Baidu for the specs named, decide per field, edit per file.

Reading is plan's own observation (read calls only, at most `concurrency` mini-programs at
once, one that fails reported alone); deciding is `update.accept`; editing is `inplace`.
Nothing is written here: the command shows the diffs, asks, then writes `FileUpdate.text`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from smartpay_apply.errors import SmartpayError
from smartpay_apply.importing.inplace import InPlaceError, SpecFile
from smartpay_apply.importing.update import Accepted, accept

if TYPE_CHECKING:
    from smartpay_apply.engine.observe import Observed
    from smartpay_apply.runtime import Runtime
    from smartpay_apply.spec.models import AppSpec


@dataclass
class FileUpdate:
    """One spec file: what --update found for its mini-programs, and its new text if any."""

    path: Path
    results: list[Accepted] = field(default_factory=list)
    file: SpecFile | None = None
    text: str | None = None
    error: str | None = None


@dataclass
class Refresh:
    """Every file touched, and the mini-programs that could not be read."""

    files: list[FileUpdate]
    unread: list[str]


async def observe_specs(runtime: Runtime, specs: Sequence[AppSpec]) -> dict[int, Observed | str]:
    """What Baidu reports for each spec; an error is kept as its message, for that one alone."""
    from smartpay_apply.engine.observe import observe_app

    found: dict[int, Observed | str] = {}
    limit = asyncio.Semaphore(runtime.config.concurrency)

    async def one(spec: AppSpec) -> None:
        async with limit:
            try:
                api = runtime.app_api(spec)
                found[spec.app_id] = await observe_app(api, spec, None, recorded=({}, ()))
            except SmartpayError as error:
                found[spec.app_id] = str(error)

    await asyncio.gather(*(one(spec) for spec in specs))
    return found


def refresh(specs: Sequence[AppSpec], observed: dict[int, Observed | str]) -> Refresh:
    """Compare each spec with Baidu and edit its file's text in memory (nothing written)."""
    files: dict[Path, FileUpdate] = {}
    unread: list[str] = []
    for spec in specs:
        seen = observed[spec.app_id]
        if isinstance(seen, str):
            unread.append(f"{spec.app} ({spec.app_id}): cannot read it from Baidu: {seen}")
            continue
        path = spec_path(spec)
        update = files.get(path)
        if update is None:
            update = files[path] = FileUpdate(path)
            try:
                update.file = SpecFile(path)
            except InPlaceError as error:
                update.error = str(error)
        if update.file is not None:
            update.results.append(accept(spec, seen, update.file.section(spec.app_id)))
    for update in files.values():
        changes = {r.app_id: r.writes for r in update.results if r.writes}
        if update.file is None or not changes:
            continue
        try:
            update.text = update.file.edited(changes)
        except InPlaceError as error:
            update.error = str(error)
    return Refresh(list(files.values()), unread)


def spec_path(spec: AppSpec) -> Path:
    """The file a loaded spec came from, absolute."""
    assert spec.source is not None, "specs from the loader know their file"
    path = spec.source.document.path
    return (path if path.is_absolute() else Path.cwd() / path).resolve()
