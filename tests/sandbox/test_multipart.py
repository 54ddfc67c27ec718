"""Upload bodies: the fast reading of plain multipart bodies gives what the email parser gives,
and anything unusual is read by the email parser."""

from __future__ import annotations

import aiohttp
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smartpay_apply.sandbox.multipart import parse, parse_email, parse_plain

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4 + b"\r\n\r\n--\r\n\n\r"


def httpx_body(
    fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]
) -> tuple[str, bytes]:
    request = httpx.Request("POST", "http://sandbox/upload", data=fields, files=files)
    return request.headers["content-type"], request.read()


@given(
    content=st.binary(max_size=3000),
    filename=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
)
@settings(max_examples=300, deadline=None)
@pytest.mark.slow
def test_httpx_uploads_read_as_the_email_parser_reads_them(content: bytes, filename: str) -> None:
    content_type, body = httpx_body(
        {"type": "2"}, {"multipartFile": (filename, content, "image/png")}
    )
    assert parse(content_type, body) == parse_email(content_type, body)
    if not ({'"', "\\", "%"} & set(filename)) and filename == filename.strip():
        assert parse_plain(content_type, body) == parse_email(content_type, body)


async def test_aiohttp_uploads_take_the_fast_reading_too() -> None:
    form = aiohttp.FormData()
    form.add_field("type", "2")
    form.add_field("multipartFile", PNG, filename="front.png", content_type="image/png")
    writer = form()

    class Sink:
        def __init__(self) -> None:
            self.data = b""

        async def write(self, chunk: bytes) -> None:
            self.data += chunk

    sink = Sink()
    await writer.write(sink)  # type: ignore[arg-type]
    content_type = writer.headers["Content-Type"]
    plain = parse_plain(content_type, sink.data)
    assert plain is not None
    assert plain == parse_email(content_type, sink.data)
    assert plain[1]["multipartFile"] == ("front.png", "image/png", PNG)


def crafted(*parts: bytes, boundary: str = "b0undary", tail: bytes = b"\r\n") -> tuple[str, bytes]:
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts)
    return (
        f"multipart/form-data; boundary={boundary}",
        body + b"--" + boundary.encode() + b"--" + tail,
    )


UNUSUAL = [
    crafted(
        b'Content-Disposition: form-data; name="f"; filename="a%22b.png"\r\nContent-Type: image/png\r\n\r\nxx'
    ),
    crafted(b"Content-Disposition: form-data; name*=utf-8''%E5%9B%BE\r\n\r\nvalue"),
    crafted(
        b'Content-Disposition: form-data; name="f"; filename="a.png"\r\n'
        b"Content-Transfer-Encoding: base64\r\nContent-Type: image/png\r\n\r\naGVsbG8="
    ),
    crafted(
        b'Content-Disposition: form-data; name="f"\r\nContent-Type: text/plain; format=flowed\r\n\r\n\xe5\x9b\xbe'
    ),
    crafted(b'Content-Disposition: form-data; name="f"; filename=" padded.png "\r\n\r\nv'),
    crafted(b'Content-Disposition: form-data; name="\xe5\x9b\xbe"\r\n\r\nv'),
    crafted(b'Content-Disposition: form-data;\r\n name="folded"\r\n\r\nv'),
    crafted(b'Content-Disposition: form-data; name="f"\r\nX-Extra: 1\r\n\r\nv'),
    (
        'multipart/form-data; boundary="quoted"',
        b'--quoted\r\nContent-Disposition: form-data; name="a"\r\n\r\nv\r\n--quoted--\r\n',
    ),
    crafted(b'Content-Disposition: form-data; name="a"\r\n\r\nv', tail=b"\r\nepilogue"),
]
PLAIN = [
    crafted(
        b'Content-Disposition: form-data; name="a"\r\n\r\n1',
        b'content-disposition: form-data; name="a"\r\n\r\n2',
    ),
    crafted(b'Content-Disposition: form-data; name="f"; filename=""\r\n\r\n'),
    crafted(
        b'CONTENT-TYPE: Image/PNG\r\nContent-Disposition:form-data; name="f"; filename="x.png"\r\n\r\n'
        + PNG,
        tail=b"",
    ),
    crafted(b'Content-Disposition: form-data; name="t"\r\n\r\n\xe5\x9b\xbe\xff'),
    crafted(
        b'Content-Disposition: form-data; name="t"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\xe5\x9b\xbe'
    ),
    crafted(b'Content-Disposition: form-data; name="f"; filename="id card (front).png"\r\n\r\nv'),
]


@pytest.mark.parametrize(("content_type", "body"), UNUSUAL)
def test_unusual_bodies_go_to_the_email_parser(content_type: str, body: bytes) -> None:
    assert parse_plain(content_type, body) is None
    assert parse(content_type, body) == parse_email(content_type, body)


@pytest.mark.parametrize(("content_type", "body"), PLAIN)
def test_plain_bodies_read_alike(content_type: str, body: bytes) -> None:
    assert parse_plain(content_type, body) == parse_email(content_type, body)
