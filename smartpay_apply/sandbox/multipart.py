"""multipart/form-data bodies (image uploads): a fast reading of the plain shape, else `email`.

The standard library's email parser reads any multipart body correctly but costs ~2 ms of CPU
per upload, which the client shares 2 cores with (apply uploads two id-card images per
mini-program). Clients (httpx, aiohttp, curl) write one plain shape: each part has a
`Content-Disposition: form-data; name="..."` (and `filename="..."`) header and maybe a
`Content-Type`, nothing encoded. `parse_plain` reads exactly that shape, giving what the email
parser gives for it, and answers None for anything else (quoted escapes, RFC 2231 names,
transfer encodings, other headers, non-ASCII headers, a preamble...), which `parse` then hands
to the email parser, so every body is read as before.
"""

from __future__ import annotations

import re
from email.parser import BytesParser
from email.policy import HTTP

#: (fields, files): text fields by name; files by name as (filename, content type, bytes).
Form = tuple[dict[str, str], dict[str, tuple[str, str, bytes]]]

_CONTENT_TYPE = re.compile(r"multipart/form-data; ?boundary=([0-9A-Za-z'()+_,\-./:=?]{1,70})")
_DISPOSITION = re.compile(rb'form-data; name="([^"\\%\r\n]*)"(?:; filename="([^"\\%\r\n]*)")?')
_PART_TYPE = re.compile(
    rb"([A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+)(?:; ?charset=[A-Za-z0-9_.:-]+)?"
)


def parse(content_type: str, body: bytes) -> Form:
    """The fields and files of a multipart/form-data body (`content_type` is its header)."""
    plain = parse_plain(content_type, body)
    return plain if plain is not None else parse_email(content_type, body)


def parse_email(content_type: str, body: bytes) -> Form:
    """Any multipart body, read by the standard library's email parser."""
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, str, bytes]] = {}
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            files[name] = (filename, part.get_content_type(), data)
        else:
            fields[name] = data.decode("utf-8", "replace")
    return fields, files


def parse_plain(content_type: str, body: bytes) -> Form | None:
    """The plain shape only (see the module docstring); None for anything else."""
    match = _CONTENT_TYPE.fullmatch(content_type)
    if match is None:
        return None
    boundary = match.group(1).encode("ascii")
    opening, closing = b"--" + boundary + b"\r\n", b"--" + boundary + b"--"
    end = len(body.rstrip(b"\r\n")) - len(closing)
    if not body.startswith(opening) or body[end : end + len(closing)] != closing:
        return None
    chunks = body[len(opening) : end].split(b"\r\n--" + boundary + b"\r\n")
    if not chunks[-1].endswith(b"\r\n"):
        return None
    chunks[-1] = chunks[-1][:-2]
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, str, bytes]] = {}
    for chunk in chunks:
        part = _plain_part(chunk)
        if part is None:
            return None
        name, filename, kind, data = part
        if filename is not None:
            files[name] = (filename, kind, data)
        else:
            fields[name] = data.decode("utf-8", "replace")
    return fields, files


def _plain_part(chunk: bytes) -> tuple[str, str | None, str, bytes] | None:
    """(name, filename, content type, content) of one plain part, else None."""
    head, separator, data = chunk.partition(b"\r\n\r\n")
    if not separator or not head.isascii():
        return None
    disposition = kind = None
    for line in head.split(b"\r\n"):
        key, colon, value = line.partition(b":")
        key, value = key.lower(), value.strip(b" \t")
        if not colon or key != key.strip():
            return None
        if key == b"content-disposition" and disposition is None:
            disposition = _DISPOSITION.fullmatch(value)
            if disposition is None:
                return None
        elif key == b"content-type" and kind is None:
            typed = _PART_TYPE.fullmatch(value)
            if typed is None:
                return None
            kind = typed.group(1).decode("ascii").lower()
        else:
            return None
    if disposition is None:
        return None
    name, filename = disposition.group(1), disposition.group(2)
    if name != name.strip(b" \t") or (filename is not None and filename != filename.strip(b" \t")):
        return None  # the email parser drops the surrounding blanks of a parameter
    return (
        name.decode("ascii"),
        None if filename is None else filename.decode("ascii"),
        kind or "text/plain",
        data,
    )
