"""Fingerprints of the spec's sections: how a write-only section is compared without its values.

The account and the developer config cannot be read back from Baidu, and a rejected payment
service's submission cannot be told from getbindservice: the state store keeps a salted
fingerprint (HMAC, never the values) of what was last sent. `fingerprint_values` is the one
definition of "the values of a section"; apply records `desired_fingerprints(spec, store)`'s
value for a section after sending it, so the next plan compares like with like.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smartpay_apply.engine import digests
from smartpay_apply.engine.normalise import section_values
from smartpay_apply.errors import SmartpayError
from smartpay_apply.spec.models import SECTIONS

if TYPE_CHECKING:
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
    """The SHA-256 of a file's content (the path is never shown: it may name a person).

    Hashed once per version of the file (engine/digests.py): plans repeat, images rarely change.
    """
    try:
        return digests.file_sha256(path)
    except OSError as error:
        raise ImageReadError(
            f"cannot read a local id-card image file: {error.strerror or error}"
        ) from None


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
