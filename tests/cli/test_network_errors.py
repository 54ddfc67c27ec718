"""A refused connection is said as such, with the URL and never the token (issue 14, item 13).

httpx-aiohttp used to surface it as `ConnectTimeout: Cannot connect to host 127.0.0.1:1
ssl:default`, which sends people looking for a slow network.
"""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import httpx

from smartpay_apply.api.client import describe_transport_error
from tests.conftest import free_port
from tests.support.cli import invoke
from tests.support.projects import spec_document, write_config

TOKEN = "secret-token-20230001"


def test_plan_against_a_closed_port_says_connection_refused(tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "specs").mkdir()
    write_config(tmp_path, f"http://127.0.0.1:{port}")
    (tmp_path / "specs" / "shop.yaml").write_text(
        json.dumps(spec_document("shop", 101, token=TOKEN))
    )
    result = invoke("plan", cwd=tmp_path)
    assert result.returncode == 1
    # Which of the concurrent reads fails first varies; each names its own URL.
    assert re.search(
        rf"(\S+): connection refused by http://127\.0\.0\.1:{port}/rest/2\.0/smartapp/pay/\1\n",
        result.stdout,
    ), result.stdout
    assert "ConnectTimeout" not in result.stdout + result.stderr
    assert TOKEN not in result.stdout + result.stderr


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
