"""A refused connection is said as such, with the URL and never the token (issue 14, item 13).

httpx-aiohttp used to surface it as `ConnectTimeout: Cannot connect to host 127.0.0.1:1
ssl:default`, which sends people looking for a slow network. The wording of every transport
failure (DNS, TLS, dropped) is tested at the client, over real sockets (tests/api).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

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
    # Which of the concurrent reads fails first varies; each names the endpoint it tried.
    assert re.search(
        rf"(account/auditstatus|paymentservice/getbindservice): transport connection refused "
        rf"\(http://127\.0\.0\.1:{port}\): is the endpoint right\?\n",
        result.stdout,
    ), result.stdout
    assert "ConnectTimeout" not in result.stdout + result.stderr
    assert TOKEN not in result.stdout + result.stderr
