"""The client's base URL: normalised exactly as httpx.URL normalises it, however written.

`normal_base_url` returns the URLs one usually writes as they are (so that the default path
does not import httpx); these tests hold it to httpx's answer for those and for everything else.
"""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartpay_apply.api.client import normal_base_url


def httpx_answer(url: str) -> str:
    return str(httpx.URL(url.rstrip("/"))).rstrip("/")


def assert_normalised_as_httpx_does(url: str) -> None:
    """`normal_base_url` gives httpx's URL, or refuses what httpx refuses."""
    try:
        expected = httpx_answer(url)
    except httpx.InvalidURL:
        with pytest.raises(httpx.InvalidURL):
            normal_base_url(url)
        return
    assert normal_base_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "https://openapi.baidu.com",
        "https://openapi.baidu.com/",
        "http://127.0.0.1:8080//",
        "https://OpenAPI.Baidu.com",
        "HTTPS://openapi.baidu.com",
        "https://openapi.baidu.com:443",
        "http://openapi.baidu.com:80/x",
        "http://openapi.baidu.com:0080",
        "https://百度.com/api",
        "https://user:pw@openapi.baidu.com",
        "https://openapi.baidu.com/a b",
        "https://openapi.baidu.com/a/../b",
        "https://openapi.baidu.com/./b",
        "https://openapi.baidu.com/%7Eme",
        "https://openapi.baidu.com/v1.0/",
        "http://[::1]:8080",
        "http://localhost:65535/proxy/baidu",
        "http://127.0.0.1:8080",
        "http://0.0.0.00",  # not an IPv4 address: httpx refuses it
        "http://256.1.1.1",
    ],
)
def test_written_urls_are_normalised_as_httpx_does(url: str) -> None:
    assert_normalised_as_httpx_does(url)


LABEL = st.one_of(
    st.from_regex(r"[a-zA-Z0-9-]{1,12}", fullmatch=True),
    st.from_regex(r"[0-9]{1,4}", fullmatch=True),  # hosts that look like IPv4 addresses
)
SEGMENT = st.from_regex(r"[A-Za-z0-9._~%-]{0,8}", fullmatch=True)


@given(
    scheme=st.sampled_from(["http", "https", "HTTP"]),
    labels=st.lists(LABEL, min_size=1, max_size=4),
    port=st.one_of(
        st.none(), st.integers(0, 200_000), st.sampled_from(["80", "443", "0443", "00"])
    ),
    segments=st.lists(SEGMENT, max_size=4),
    slashes=st.sampled_from(["", "/", "//"]),
)
def test_any_url_is_normalised_as_httpx_does(
    scheme: str, labels: list[str], port: int | str | None, segments: list[str], slashes: str
) -> None:
    url = f"{scheme}://{'.'.join(labels)}"
    url += "" if port is None else f":{port}"
    url += "".join(f"/{segment}" for segment in segments) + slashes
    assert_normalised_as_httpx_does(url)
