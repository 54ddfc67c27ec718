"""`${env:NAME}`, `${env:NAME:-default}` and `${file:relative/path}` references in YAML strings.

Secrets do not belong in git: a spec says where a value comes from and the loader fetches it.
A reference may fill a whole value or part of one (`Bearer ${env:TOKEN}`); `$${` writes a
literal `${`. A `${file:...}` path is relative to the YAML file that uses it. A missing
variable or file is a `RefError` whose message names the reference but never a value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from pydantic import SecretStr

MAX_REFERENCED_FILE_BYTES = 1024 * 1024

_REFERENCE = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
ALLOWED = "${env:NAME}, ${env:NAME:-default}, ${file:path}"


class RefError(ValueError):
    """A reference that cannot be resolved; the message is safe to show (no values)."""


class MissingValueError(RefError):
    """The reference is well-formed, but its variable is unset or its file does not exist:
    something the environment provides, which some commands never need (a secret only
    `events serve` or `apply` uses)."""


class UnresolvedSecret(SecretStr):
    """A secret of smartpay.yaml whose reference could not be resolved at load.

    Why: a PR check or a pre-commit hook runs `validate` without the secrets that only
    `events serve` or `apply` needs; loading the config must not fail for them. The command
    that does need the value gets a ConfigError naming the file, line, column, key and the
    missing variable when it asks for it (`get_secret_value`). It prints like any secret.
    """

    def __init__(self, reference: str, where: str, error: RefError) -> None:
        super().__init__(reference)
        self.where = where
        self.error = error

    def get_secret_value(self) -> str:
        from smartpay_apply.errors import ConfigError

        raise ConfigError(f"{self.where}: {self.error}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, UnresolvedSecret) and (self.where, str(self.error)) == (
            other.where,
            str(other.error),
        )

    def __hash__(self) -> int:
        return hash((self.where, str(self.error)))


def has_reference(text: str) -> bool:
    """True when `text` may contain a reference (cheap pre-check for the common case)."""
    return "${" in text


def resolve(
    text: str,
    base_dir: Path,
    environ: Mapping[str, str],
    file_cache: MutableMapping[str, str] | None = None,
) -> str:
    """`text` with every reference replaced; raises RefError on the first one that fails.

    `file_cache` (path -> content) lets one run read a file shared by many specs only once.
    """

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        return _resolve_one(match.group(1), base_dir, environ, file_cache)

    if "${" in _REFERENCE.sub("", text):
        raise RefError(f"unclosed reference '${{' (allowed: {ALLOWED})")
    return _REFERENCE.sub(replace, text)


def _resolve_one(
    body: str,
    base_dir: Path,
    environ: Mapping[str, str],
    file_cache: MutableMapping[str, str] | None,
) -> str:
    kind, _, rest = body.partition(":")
    if kind == "env":
        return _env(rest, environ)
    if kind == "file":
        if file_cache is None:
            return _file(rest, base_dir)
        key = os.path.join(str(base_dir), rest.strip())
        if key not in file_cache:
            file_cache[key] = _file(rest, base_dir)
        return file_cache[key]
    raise RefError(f"unknown reference '${{{body}}}' (allowed: {ALLOWED})")


def _env(rest: str, environ: Mapping[str, str]) -> str:
    name, has_default, default = rest.partition(":-")
    if not _ENV_NAME.match(name):
        raise RefError(f"'${{env:{name}}}' is not a valid variable name (letters, digits, _)")
    value = environ.get(name)
    if value is not None and value != "":
        return value
    if has_default:
        return default
    raise MissingValueError(
        f"environment variable {name} is not set (used as ${{env:{name}}}; "
        f"set it or give a default: ${{env:{name}:-value}})"
    )


def _file(rest: str, base_dir: Path) -> str:
    if not rest.strip():
        raise RefError("'${file:}' needs a path (relative to this YAML file)")
    path = Path(os.path.abspath(base_dir / rest.strip()))
    try:
        if path.is_dir():
            raise RefError(f"${{file:{rest}}}: {path} is a directory, not a file")
        if path.exists() and not path.is_file():  # a device or pipe could block or never end
            raise RefError(f"${{file:{rest}}}: {path} is not a regular file")
        with path.open("rb") as handle:
            data = handle.read(MAX_REFERENCED_FILE_BYTES + 1)
        if len(data) > MAX_REFERENCED_FILE_BYTES:
            raise RefError(f"${{file:{rest}}}: {path} is larger than 1 MiB")
    except FileNotFoundError:
        raise MissingValueError(f"${{file:{rest}}}: no such file ({path})") from None
    except OSError as error:
        raise RefError(f"${{file:{rest}}}: cannot read {path}: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RefError(f"${{file:{rest}}}: {path} is not UTF-8 text") from None
    return text.strip()
