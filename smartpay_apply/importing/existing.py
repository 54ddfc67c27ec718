"""Which mini-programs already have a spec, read without resolving anything.

Why not the spec loader: it resolves `${env:}` references, and an imported spec refers to a
bank-card variable. Running `import` again in a shell without those variables must still see
that the mini-programs have specs (importing twice changes nothing), so only each document's
`app` and `app_id` are read here; whether the specs are otherwise valid is validate's business.
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass
from pathlib import Path

from smartpay_apply.config import ProjectConfig
from smartpay_apply.spec.identity import identity_of
from smartpay_apply.yamldoc.read import read_file
from smartpay_apply.yamldoc.tree import MapNode


@dataclass(frozen=True)
class ExistingSpec:
    """One spec document: its names (as written; None when missing) and its file."""

    app: str | None
    app_id: int | None
    path: Path


@dataclass
class Existing:
    """The specs of a project, and files that could not be read (reported, not fatal)."""

    specs: list[ExistingSpec]
    unreadable: list[str]

    def by_app_id(self, app_id: int) -> ExistingSpec | None:
        return next((spec for spec in self.specs if spec.app_id == app_id), None)

    def by_name(self, name: str) -> ExistingSpec | None:
        return next((spec for spec in self.specs if spec.app == name), None)


def spec_files(config: ProjectConfig) -> list[Path]:
    """The files `specs:` of smartpay.yaml matches (as plan finds them)."""
    found: dict[Path, None] = {}
    for pattern in config.specs:
        for name in sorted(glob.glob(pattern, root_dir=config.root, recursive=True)):
            path = config.root / name
            if path.is_file():
                found[path] = None
    return list(found)


def existing_specs(config: ProjectConfig) -> Existing:
    """Every spec document of the project, by its raw `app` and `app_id`."""
    found = Existing([], [])
    for path in spec_files(config):
        result = read_file(path)
        if result.problems:
            found.unreadable.append(str(result.problems[0]))
            continue
        for document in result.documents:
            if isinstance(document, MapNode):
                identity = identity_of(document)
                found.specs.append(
                    ExistingSpec(_text(identity.app), _whole(identity.app_id), path.resolve())
                )
    return found


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _whole(value: object) -> int | None:
    text = None if value is None else str(value).strip()
    return int(text) if text and text.isascii() and text.isdigit() else None


def seen_by_plan(config: ProjectConfig, path: Path) -> bool:
    """Whether `path` (a spec file to write) is matched by smartpay.yaml's `specs:` patterns:
    a file plan does not see would be imported for nothing."""
    try:
        relative = path.resolve().relative_to(config.root.resolve()).as_posix()
    except ValueError:
        return False
    return any(_glob_regex(pattern).fullmatch(relative) for pattern in config.specs)


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """glob.glob's reading of `pattern` (recursive `**`) as a regular expression."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out.append("(?:[^/]*/)*")
            index += 3
            continue
        if pattern.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        char = pattern[index]
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and "]" in pattern[index + 2 :]:
            end = pattern.index("]", index + 2)
            body = pattern[index + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            index = end
        else:
            out.append(re.escape(char))
        index += 1
    return re.compile("".join(out))
