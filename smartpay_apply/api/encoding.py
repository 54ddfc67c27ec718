"""How a call becomes bytes: the query, the form body, the multipart upload — in one place.

Every transport sends what this module produced, so a request is the same on the wire
whichever transport carries it, and a retried attempt repeats the first one's bytes exactly
(the body is encoded once per call, not once per attempt). The encodings are httpx's: the
query and form are `urlencode` with spaces as `+` (what httpx does for `params=` and `data=`);
the multipart body is written by httpx's own encoder, used only for image uploads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

FORM_TYPE = "application/x-www-form-urlencoded"

#: An upload: field name -> (file name, content, content type).
Files = Mapping[str, tuple[str, bytes, str]]


@dataclass(frozen=True, slots=True)
class Body:
    """A request body and the Content-Type that describes it."""

    content_type: str
    content: bytes


def query_string(params: Mapping[str, str]) -> str:
    """The query exactly as httpx encodes `params=` (urlencode, spaces as +)."""
    return urlencode(list(params.items()), doseq=True)


def form_body(form: Mapping[str, str]) -> bytes:
    """A form body exactly as httpx encodes `data=` (application/x-www-form-urlencoded)."""
    return urlencode(list(form.items()), doseq=True).encode("utf-8")


def multipart_body(form: Mapping[str, str] | None, files: Files) -> Body:
    """A multipart/form-data body (form fields first, then files), by httpx's encoder.

    Multipart has rules worth not re-deriving (boundaries, quoting of file names), and httpx
    already writes them the way Baidu accepted; its public Request API is the way in.
    """
    import httpx  # only uploads need it (~0.1 s to import)

    request = httpx.Request("POST", "http://encode.invalid/", data=form, files=files)
    return Body(request.headers["content-type"], request.read())


def encode_body(form: Mapping[str, str] | None, files: Files | None) -> Body | None:
    """The body of a call: multipart when it uploads files, a form when it has fields, else
    none (a GET)."""
    if files:
        return multipart_body(form, files)
    if form:
        return Body(FORM_TYPE, form_body(form))
    return None


def url_with_query(base: str, path: str, query: Mapping[str, str]) -> str:
    """`base` + `path` + the encoded query: a finished URL no transport quotes again."""
    url = base + path
    return f"{url}?{query_string(query)}" if query else url
