"""What the client's direct lane (api/lane.py) sends and gets back, encoded as httpx would.

The query and form encodings here are byte for byte httpx's (`urlencode`, spaces as +), so a
request looks the same on the wire whichever path sent it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass(frozen=True, slots=True)
class Answer:
    """What the client needs of an HTTP response (headers are case-insensitive)."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes


def query_string(params: Mapping[str, str]) -> str:
    """The query exactly as httpx encodes `params=` (urlencode, spaces as +)."""
    return urlencode(list(params.items()), doseq=True)


def form_body(form: Mapping[str, str]) -> bytes:
    """A form body exactly as httpx encodes `data=` (application/x-www-form-urlencoded)."""
    return urlencode(list(form.items()), doseq=True).encode("utf-8")
