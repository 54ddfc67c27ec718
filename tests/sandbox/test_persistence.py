"""One world in one file: separate app instances and separate processes share it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from smartpay_apply.sandbox.embedded import EMBEDDED_BASE_URL, embedded_transport
from tests.sandbox.helpers import DEVELOPER, Clock, account_form, call, client


async def test_two_app_instances_on_one_state_file(tmp_path: Path) -> None:
    state = tmp_path / "world.json"
    clock = Clock()
    async with client(clock, state_file=state, audit_delay=5) as first:
        await call(first, "POST", "account/create", 31, await account_form(first, 31))
        assert (await call(first, "GET", "account/auditstatus", 31))["data"]["status"] == 2
    clock.advance(5)
    # A new instance decides the audit lazily, by the clock, on its first request.
    async with client(clock, state_file=state, audit_delay=5) as second:
        assert (await call(second, "GET", "account/auditstatus", 31))["data"]["status"] == 4
        assert (await call(second, "POST", "developconfig/submit", 31, DEVELOPER))["errno"] == 0
        calls = (await second.get("/_sandbox/calls", params={"app_id": 31})).json()["calls"]
    assert [c["path"].rsplit("/", 2)[-2:] for c in calls][-2:] == [
        ["account", "auditstatus"],
        ["developconfig", "submit"],
    ]
    saved = json.loads(state.read_text())
    assert saved["apps"]["31"]["account"]["status"] == 4
    # Secrets are not kept in clear: no legal_id, no id-card URL, no token.
    text = state.read_text()
    assert "11010519491231002X" not in text and "sandbox-31" not in text and "bdstatic" not in text


async def test_embedded_transport_persists_under_its_directory(tmp_path: Path) -> None:
    for expected in (None, 2):
        transport = embedded_transport(tmp_path / ".smartpay", audit_policy="manual")
        async with httpx.AsyncClient(transport=transport, base_url=EMBEDDED_BASE_URL) as http:
            status = (await call(http, "GET", "account/auditstatus", 32))["data"]["status"]
            assert status == expected
            if expected is None:
                await call(http, "POST", "account/create", 32, await account_form(http, 32))
    assert (tmp_path / ".smartpay" / "sandbox.json").exists()


WRITER = """
import asyncio, sys
import httpx
import pytest
from smartpay_apply.sandbox.embedded import EMBEDDED_BASE_URL, embedded_transport

async def main(directory, first):
    transport = embedded_transport(directory, audit_policy="manual")
    async with httpx.AsyncClient(transport=transport, base_url=EMBEDDED_BASE_URL) as http:
        for app_id in range(first, first + 25):
            r = await http.get("/rest/2.0/smartapp/pay/account/auditstatus", params={"access_token": f"sandbox-{app_id}"})
            assert r.json()["errno"] == 0

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


@pytest.mark.slow
def test_concurrent_processes_do_not_lose_each_others_writes(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(first)])
        for first in (1000, 2000)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    saved = json.loads((tmp_path / "sandbox.json").read_text())
    assert len(saved["apps"]) == 50
    calls = (tmp_path / "sandbox.json.calls.jsonl").read_text().splitlines()
    assert len(calls) == 50


def test_embedded_settings_are_checked_like_user_input(tmp_path: Path) -> None:
    import pytest

    from smartpay_apply.errors import ConfigError

    with pytest.raises(
        ConfigError, match=r"sandbox\.audit_policy: must be one of approve, reject, manual"
    ):
        embedded_transport(tmp_path, audit_policy="sometimes")
    with pytest.raises(ConfigError, match=r"sandbox\.audit_dealy: unknown setting"):
        embedded_transport(tmp_path, audit_dealy=1)
    with pytest.raises(ConfigError, match=r"sandbox\.audit_delay: expected float"):
        embedded_transport(tmp_path, audit_delay="soon")


async def test_embedded_pushes_are_delivered_before_the_client_closes(tmp_path: Path) -> None:
    from tests.sandbox.test_push import Receiver

    receiver = Receiver()
    try:
        transport = embedded_transport(
            tmp_path, audit_delay=0, webhook=receiver.url, plaintext_push=True
        )
        async with httpx.AsyncClient(transport=transport, base_url=EMBEDDED_BASE_URL) as http:
            await call(http, "POST", "account/create", 33, await account_form(http, 33))
            await call(http, "GET", "account/auditstatus", 33)
        # Closed: the push went out before close returned, no waiting needed.
        assert [json.loads(b)["event"] for b in receiver.bodies] == [
            "APP_PAYMENT_CREATE_ACCOUNT_PASS"
        ]
    finally:
        receiver.close()


async def test_event_time_is_when_the_audit_was_due(tmp_path: Path) -> None:
    clock = Clock(start=1_700_000_000.0)  # 2023-11-15 06:13:20 Beijing
    async with client(clock, audit_delay=60) as http:
        await call(http, "POST", "account/create", 34, await account_form(http, 34))
        clock.advance(3600)
        await call(http, "GET", "account/auditstatus", 34)
        (event,) = (await http.get("/_sandbox/apps/34")).json()["events"]
    assert event["eventTime"] == "2023-11-15 06:14:20"


async def test_an_unreadable_world_file_is_a_clear_error_and_reset_recovers(tmp_path: Path) -> None:
    import pytest

    from smartpay_apply.errors import SmartpayError

    (tmp_path / "sandbox.json").write_text("{not json", encoding="utf-8")
    transport = embedded_transport(tmp_path)
    async with httpx.AsyncClient(transport=transport, base_url=EMBEDDED_BASE_URL) as http:
        with pytest.raises(SmartpayError, match=r"not a sandbox world file.*sandbox reset"):
            await call(http, "GET", "account/auditstatus", 1)
        assert (await http.post("/_sandbox/reset")).json() == {"reset": True}
        assert (await call(http, "GET", "account/auditstatus", 1))["data"]["status"] is None


async def test_embedded_pushes_an_outcome_when_the_audit_is_decided(tmp_path: Path) -> None:
    """While the transport is open, a due audit is decided and pushed with no further request
    (issue 14 item 9: `apply --wait` waits for a pushed developer-config outcome)."""
    import asyncio

    from tests.sandbox.test_push import Receiver

    receiver = Receiver()
    try:
        transport = embedded_transport(
            tmp_path, audit_delay=0.3, webhook=receiver.url, plaintext_push=True
        )
        async with httpx.AsyncClient(transport=transport, base_url=EMBEDDED_BASE_URL) as http:
            await call(http, "POST", "account/create", 35, await account_form(http, 35))
            calls_before = len((await http.get("/_sandbox/calls")).json()["calls"])
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 15
            while not receiver.bodies:  # no API request meanwhile: only the ticker can decide
                assert loop.time() < deadline, "the audit was never pushed"
                await asyncio.sleep(0.05)
            assert len((await http.get("/_sandbox/calls")).json()["calls"]) == calls_before
        assert [json.loads(b)["event"] for b in receiver.bodies] == [
            "APP_PAYMENT_CREATE_ACCOUNT_PASS"
        ]
    finally:
        receiver.close()
