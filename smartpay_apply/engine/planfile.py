"""Saved plans (`plan --out FILE`, `apply FILE`): JSON with checksums, refused once stale.

The file is the Plan's JSON (display values only: no secret is ever in it) plus `created_at`
and a `checksum` of the whole document, so a hand-edited file is refused. Each app carries
`observed_checksum` (what was seen at Baidu and in the store) and `desired_checksum` (the
spec's section fingerprints): apply re-observes and compares both before it writes anything.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from smartpay_apply.engine.steps import FORMAT_VERSION, Plan
from smartpay_apply.errors import SmartpayError

#: Written into every plan file so a stray JSON file is recognised as "not a plan".
KIND = "smartpay-apply plan"


class PlanFileError(SmartpayError):
    """A saved plan cannot be used: unreadable, not a plan, modified, or from another version."""


@dataclass(frozen=True)
class SavedPlan:
    """A plan read back from a file, with when it was made."""

    plan: Plan
    created_at: datetime
    checksum: str


def document_checksum(document: dict[str, Any]) -> str:
    """SHA-256 over the canonical JSON of the document without its own `checksum` key."""
    body = {key: value for key, value in document.items() if key != "checksum"}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def save_plan(path: Path, plan: Plan, *, created_at: datetime) -> str:
    """Write the plan atomically (temp file + rename); returns the file's checksum."""
    if created_at.tzinfo is None:
        raise ValueError("created_at must carry its zone")
    document: dict[str, Any] = {
        "kind": KIND,
        **plan.to_json(),
        "created_at": created_at.isoformat(),
    }
    document["checksum"] = document_checksum(document)
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    except OSError as error:
        raise PlanFileError(
            f"{path}: cannot write the plan file there: {error.strerror or error} "
            f"({error.filename or path.parent})"
        ) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(document, out, ensure_ascii=False, indent=2)
            out.write("\n")
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return str(document["checksum"])


def load_plan(path: Path) -> SavedPlan:
    """Read and validate a saved plan; PlanFileError says what is wrong and what to do."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise PlanFileError(
            f"{path}: cannot read the plan file: {error.strerror or error}"
        ) from None
    try:
        document = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise PlanFileError(f"{path}: not a plan file (invalid JSON: {error})") from None
    if not isinstance(document, dict) or document.get("kind") != KIND:
        raise PlanFileError(
            f"{path}: not a plan file (write one with `smartpay-apply plan --out {path}`)"
        )
    version = document.get("format_version")
    if version != FORMAT_VERSION:
        raise PlanFileError(
            f"{path}: plan format_version {version!r} is not supported by this smartpay-apply "
            f"(it reads format_version {FORMAT_VERSION}): run plan again with this version"
        )
    if document.get("checksum") != document_checksum(document):
        raise PlanFileError(
            f"{path}: the plan file was modified after it was written (checksum mismatch): run plan again"
        )
    try:
        plan = Plan.from_json(document)
        created_at = datetime.fromisoformat(document["created_at"])
    except (KeyError, TypeError, ValueError) as error:
        raise PlanFileError(
            f"{path}: the plan file is incomplete ({type(error).__name__}: {error}): run plan again"
        ) from None
    return SavedPlan(plan=plan, created_at=created_at, checksum=document["checksum"])
