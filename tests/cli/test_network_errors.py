"""A refused connection is said as such, with the URL and never the token (issue 14, item 13).

httpx-aiohttp used to surface it as `ConnectTimeout: Cannot connect to host 127.0.0.1:1
ssl:default`, which sends people looking for a slow network.
"""

from __future__ import annotations

import socket

import httpx

from smartpay_apply.api.client import describe_transport_error


def test_an_unknown_host_is_said_as_such() -> None:
    error = httpx.ConnectError("Cannot connect to host nowhere.invalid:443")
    error.__cause__ = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    assert describe_transport_error(error, "https://nowhere.invalid/x") == (
        "cannot resolve the host of https://nowhere.invalid/x (Name or service not known)"
    )


def test_other_failures_keep_their_kind_and_name_the_url() -> None:
    error = httpx.ReadTimeout("timed out")
    assert describe_transport_error(error, "https://openapi.baidu.com/x") == (
        "ReadTimeout: timed out (https://openapi.baidu.com/x)"
    )
