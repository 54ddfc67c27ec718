"""`import --secrets-file FILE`: the sensitive values, kept out of the spec files and of git.

The file is a shell environment file (`NAME=value` lines, values quoted for the shell), so
`set -a; . FILE; set +a` or a CI secret store can take it. It is created with mode 0600 and
written atomically. It is refused when it would sit in the git work tree without being
ignored (`git check-ignore`): a bank card one `git add -A` away from the repository is the
accident this guards against. Without git installed, a file below a directory holding `.git`
is refused too (whether it is ignored cannot be checked).
"""

from __future__ import annotations

import re
import shlex
import stat
import subprocess
from collections.abc import Mapping
from pathlib import Path

from smartpay_apply.atomic import replace_text
from smartpay_apply.errors import UsageError

MODE = 0o600
_ASSIGNMENT = re.compile(r"(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=")
HEADER = (
    "# Sensitive values of mini-programs imported by `smartpay-apply import`.\n"
    "# Never commit this file. Load it with:  set -a; . {name}; set +a\n"
)


def check_location(path: Path) -> None:
    """UsageError unless `path` may hold secrets: outside any git work tree, or git-ignored;
    an existing file must be a regular file that only its owner can read."""
    path = path.absolute()
    if path.exists():
        if not path.is_file():
            raise UsageError(f"--secrets-file {path}: not a regular file")
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise UsageError(
                f"--secrets-file {path}: readable by others (mode {mode:04o}); "
                f"run `chmod 600 {path}` first"
            )
    _check_git(path)


def _check_git(path: Path) -> None:
    directory = _existing_parent(path)
    try:
        inside = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        repository = _git_directory_above(directory)
        if repository is not None:
            raise UsageError(
                f"--secrets-file {path}: git is not installed, so whether the file is ignored "
                f"in the repository at {repository} cannot be checked; choose a file outside it"
            ) from None
        return
    if inside.returncode != 0:
        return  # not in a work tree
    top = inside.stdout.strip()
    ignored = subprocess.run(
        ["git", "-C", str(directory), "check-ignore", "-q", "--", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if ignored.returncode == 0:
        return
    if ignored.returncode == 1:
        raise UsageError(
            f"--secrets-file {path} is inside the git work tree {top} and not ignored: "
            "add it to .gitignore, or choose a file outside the repository"
        )
    raise UsageError(
        f"--secrets-file {path}: git check-ignore failed: {ignored.stderr.strip() or 'no reason'}"
    )


def _existing_parent(path: Path) -> Path:
    for candidate in path.parents:
        if candidate.is_dir():
            return candidate
    return Path("/")


def _git_directory_above(directory: Path) -> Path | None:
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def write_secrets(path: Path, values: Mapping[str, str]) -> None:
    """Set `values` (variable -> value) in the file: existing lines of other variables stay,
    a variable already there gets its new value. Mode 0600, replaced atomically."""
    path = path.absolute()
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    if not lines:
        lines = HEADER.format(name=shlex.quote(str(path))).splitlines()
    pending = dict(values)
    for index, line in enumerate(lines):
        match = _ASSIGNMENT.match(line.strip())
        if match and match.group(1) in pending:
            name = match.group(1)
            lines[index] = _assignment(name, pending.pop(name))
    lines.extend(_assignment(name, value) for name, value in pending.items())
    _replace(path, "\n".join(lines) + "\n")


def _assignment(name: str, value: str) -> str:
    return f"{name}={shlex.quote(value)}"


def _replace(path: Path, text: str) -> None:
    """Write `text` to a new 0600 file beside `path`, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_text(path, text, mode=MODE)
