"""What `import` is asked to import: APP arguments and the lines of `--from-file`.

An APP is an app_id (all digits) or the name of a mini-program that already has a spec (it is
then skipped: importing twice changes nothing). `--from-file FILE` holds one mini-program per
line, `APP_ID` or `APP_ID NAME` (a space or a comma between them; NAME is the spec's `app`,
instead of `--name-template`'s); blank lines and `#` comments are ignored. A TP's own list of
its mini-programs (a spreadsheet export) becomes such a file with one column cut.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from smartpay_apply.errors import UsageError

_SEPARATOR = re.compile(r"[\s,]+")


@dataclass(frozen=True)
class Wanted:
    """One mini-program asked for: as written, its app_id when all digits, and a given name."""

    text: str
    origin: str  # "argument" or "FILE:LINE"
    name: str | None = None

    @property
    def app_id(self) -> int | None:
        text = self.text
        return int(text) if text.isascii() and text.isdigit() and int(text) > 0 else None


def from_arguments(texts: tuple[str, ...]) -> list[Wanted]:
    return [Wanted(text.strip(), "argument") for text in texts if text.strip()]


def from_file(path: Path) -> list[Wanted]:
    """The mini-programs listed in `path`; UsageError at FILE:LINE for a line it cannot read."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"--from-file {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"--from-file {path}: cannot read it ({error})") from None
    wanted: list[Wanted] = []
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        parts = [part for part in _SEPARATOR.split(content) if part]
        if len(parts) > 2:
            raise UsageError(
                f"{path}:{number}: expected `APP_ID` or `APP_ID NAME`, got {len(parts)} values"
            )
        item = Wanted(parts[0], f"{path}:{number}", parts[1] if len(parts) == 2 else None)
        if item.name is not None and item.app_id is None:
            raise UsageError(f"{path}:{number}: {parts[0]!r} is not an app_id (digits)")
        wanted.append(item)
    return wanted
