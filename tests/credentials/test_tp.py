"""The TP flow against the sandbox over real HTTP: rotation, races, crashes, expiry, secrecy."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smartpay_apply.api.client import OpenApi
from smartpay_apply.api.errors import OAuthError
from smartpay_apply.credentials import (
    ReauthorizeError,
    TpAppToken,
    TpPlatform,
    token_source_for,
    vault,
)
from smartpay_apply.spec.models import AppSpec
from tests.conftest import REPO_ROOT
from tests.credentials.conftest import CLIENT_ID, STATE_KEY, TpWorld

APP_ID = 3101


def source(api: OpenApi, world: TpWorld, app_id: int = APP_ID) -> TpAppToken:
    return TpAppToken(TpPlatform(api, world.store, CLIENT_ID), f"shop-{app_id}", app_id)


async def authorized(api: OpenApi, world: TpWorld, app_id: int = APP_ID) -> TpAppToken:
    tokens = source(api, world, app_id)
    await tokens.authorize(world.sandbox.tp_authorize(app_id))
    return tokens


async def works(api: OpenApi, tokens: TpAppToken) -> bool:
    """A real openapi call with the source's token is answered (a rejected token raises
    TokenError). A fresh mini-program's account status is null: the answer itself counts."""
    status = await api.app(tokens).get_account_audit_status()
    return status.status is None


async def test_token_source_for_builds_the_tp_flow_from_the_spec(tp_world: TpWorld) -> None:
    spec = AppSpec.model_validate(
        {"app": "shop", "app_id": APP_ID, "credentials": {"tp": {"client_id": CLIENT_ID}}}
    )
    async with OpenApi(tp_world.sandbox.base_url) as api:
        tokens = token_source_for(spec, store=tp_world.store, api=api)
        assert isinstance(tokens, TpAppToken)
        await tokens.authorize(tp_world.sandbox.tp_authorize(APP_ID))
        assert await works(api, tokens)


async def test_rotation_across_many_refreshes(tp_world: TpWorld) -> None:
    async with OpenApi(tp_world.sandbox.base_url) as api:
        tokens = await authorized(api, tp_world)
        seen_access, seen_refresh = set(), set()
        for _ in range(12):
            refresh_before = tp_world.store.get_secret(vault.refresh_token_key(APP_ID))
            fresh = await tokens.force_refresh()
            refresh_after = tp_world.store.get_secret(vault.refresh_token_key(APP_ID))
            assert refresh_after != refresh_before
            seen_access.add(fresh.value)
            seen_refresh.add(refresh_after)
            assert await works(api, tokens)
        assert len(seen_access) == 12 and len(seen_refresh) == 12
        # Every refresh token but the last is burnt on Baidu's side: rotation really happened.
        tp_token = await tokens.platform.token()
        with pytest.raises(OAuthError, match="invalid_grant"):
            await api.refresh_app_token(tp_token, refresh_before)
    # The TP token was obtained from the ticket once and reused.
    assert len(tp_world.sandbox.calls(path="/auth/tp/token")) == 1


async def test_a_new_process_reuses_the_stored_tokens(tp_world: TpWorld) -> None:
    async with OpenApi(tp_world.sandbox.base_url) as api:
        first = await authorized(api, tp_world)
        token = await first.token()
        tp_world.sandbox.clear_calls()
        second = source(api, tp_world)  # a fresh source reads the store, as a new process would
        assert await second.token() == token
    assert tp_world.oauth_calls() == []
    assert tp_world.sandbox.calls(path="/auth/tp/token") == []


async def test_an_expired_token_mid_run_is_refreshed_once_transparently(tp_world: TpWorld) -> None:
    async with OpenApi(tp_world.sandbox.base_url) as api:
        tokens = await authorized(api, tp_world)
        before = await tokens.token()
        assert await works(api, tokens)
        tp_world.sandbox.expire_token(token=before)
        tp_world.sandbox.clear_calls()
        assert await works(api, tokens)  # 111 -> refresh -> retried, no error surfaces
        assert await tokens.token() != before
    assert len(tp_world.oauth_calls()) == 1


async def test_crash_between_refresh_and_store_is_recovered(tp_world: TpWorld) -> None:
    async with OpenApi(tp_world.sandbox.base_url) as api:
        tokens = await authorized(api, tp_world)
        # A process refreshed (Baidu burnt the stored refresh token) and died before storing.
        burnt = tp_world.store.get_secret(vault.refresh_token_key(APP_ID))
        await api.refresh_app_token(await tokens.platform.token(), burnt)
        tp_world.store.delete_secret(vault.access_token_key(APP_ID))
        tp_world.sandbox.clear_calls()
        survivor = source(api, tp_world)
        assert await works(api, survivor)
        assert tp_world.store.get_secret(vault.refresh_token_key(APP_ID)) != burnt
    assert len(tp_world.retrieve_calls()) == 1  # recovered through retrieve/authorizationcode


async def test_an_unauthorized_mini_program_is_told_to_reauthorize(tp_world: TpWorld) -> None:
    async with OpenApi(tp_world.sandbox.base_url) as api:
        tokens = await authorized(api, tp_world)
        tp_world.sandbox.tp_unauthorize(APP_ID)
        with pytest.raises(ReauthorizeError) as caught:
            await tokens.force_refresh()
    message = caught.value.user_message()
    assert message.startswith(
        f"re-authorize the mini-program shop-{APP_ID} (refresh token no longer valid"
    )
    assert "auth add" in message


async def test_no_refresh_token_and_not_authorized(tp_world: TpWorld) -> None:
    async with OpenApi(tp_world.sandbox.base_url) as api:
        with pytest.raises(ReauthorizeError, match="has not authorized the TP"):
            await source(api, tp_world, 9999).token()


async def test_missing_ticket_is_a_clear_error(tp_world: TpWorld) -> None:
    tp_world.store.delete_secret(vault.TICKET_KEY)
    async with OpenApi(tp_world.sandbox.base_url) as api:
        with pytest.raises(Exception, match="no TP ticket received yet"):
            await source(api, tp_world).token()


async def test_a_refused_ticket_is_a_clear_error(tp_world: TpWorld) -> None:
    vault.write(tp_world.store, vault.TICKET_KEY, vault.Expiring("ticket.stale", None))
    async with OpenApi(tp_world.sandbox.base_url) as api:
        with pytest.raises(Exception, match="the latest pushed TP ticket was refused") as caught:
            await source(api, tp_world).token()
    assert "ticket.stale" not in str(caught.value)


async def test_a_pushed_authorization_code_is_used_before_retrieving_one(tp_world: TpWorld) -> None:
    code = tp_world.sandbox.tp_authorize(APP_ID)
    vault.write(
        tp_world.store, vault.authorization_code_key(APP_ID), vault.Expiring.lasting(code, 600)
    )
    tp_world.sandbox.clear_calls()
    async with OpenApi(tp_world.sandbox.base_url) as api:
        assert await works(api, source(api, tp_world))
    assert tp_world.retrieve_calls() == []
    assert tp_world.store.get_secret(vault.authorization_code_key(APP_ID)) is None  # used up


WORKER = """
import asyncio, hashlib, sys, time, pathlib
from smartpay_apply.api.client import OpenApi
from smartpay_apply.credentials import TpAppToken, TpPlatform
from smartpay_apply.state import open_store

base_url, db, app_id, rejected, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], pathlib.Path(sys.argv[5])

async def main():
    store = open_store(db, base_dir=pathlib.Path(db).parent)
    async with OpenApi(base_url) as api:
        tokens = TpAppToken(TpPlatform(api, store, sys.argv[6]), "shop", app_id)
        while not go.exists():
            time.sleep(0.005)
        token = await tokens.refresh(rejected)
        status = await api.app(tokens).get_account_audit_status()
        print(hashlib.sha256(token.encode()).hexdigest(), status.status)
    store.close()

asyncio.run(main())
"""


@pytest.mark.slow
async def test_two_processes_refreshing_at_once_spend_one_refresh_token(
    tp_world: TpWorld, tmp_path: Path
) -> None:
    async with OpenApi(tp_world.sandbox.base_url) as api:
        tokens = await authorized(api, tp_world)
        rejected = await tokens.token()
    tp_world.sandbox.expire_token(token=rejected)
    tp_world.sandbox.clear_calls()
    go = tmp_path / "go"
    env = {**os.environ, "SMARTPAY_STATE_KEY": STATE_KEY, "PYTHONPATH": str(REPO_ROOT)}
    argv = [
        sys.executable,
        "-c",
        WORKER,
        tp_world.sandbox.base_url,
        str(tp_world.db_path),
        str(APP_ID),
        rejected,
        str(go),
        CLIENT_ID,
    ]
    workers = [
        subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    time.sleep(0.5)  # both are started and waiting for the signal
    go.touch()
    results = [worker.communicate(timeout=60) for worker in workers]
    for worker, (_, err) in zip(workers, results, strict=True):
        assert worker.returncode == 0, err
    digests = {out.split()[0] for out, _ in results}
    assert len(digests) == 1, results  # both ended with the same, valid token
    assert hashlib.sha256(rejected.encode()).hexdigest() not in digests
    assert len(tp_world.oauth_calls()) == 1, (
        tp_world.oauth_calls(),
        results,
    )  # one refresh, not two


async def test_no_token_reaches_the_store_or_the_log_in_clear(
    tp_world: TpWorld, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="smartpay_apply")
    secrets: list[str] = []
    async with OpenApi(tp_world.sandbox.base_url) as api:
        code = tp_world.sandbox.tp_authorize(APP_ID)
        secrets.append(code)
        tokens = source(api, tp_world)
        await tokens.authorize(code)
        for _ in range(3):
            secrets.append(tp_world.store.get_secret(vault.refresh_token_key(APP_ID)))
            secrets.append((await tokens.force_refresh()).value)
        secrets.append(await tokens.platform.token())
        secrets.append(vault.read(tp_world.store, vault.TICKET_KEY).value)
        # A rejected token (111) and a burnt refresh token (recovery) log their way through too.
        tp_world.sandbox.expire_token(token=await tokens.token())
        assert await works(api, tokens)
        burnt = tp_world.store.get_secret(vault.refresh_token_key(APP_ID))
        await api.refresh_app_token(await tokens.platform.token(), burnt)
        secrets.append(burnt)
        assert (await tokens.force_refresh()).value
    assert "refresh token of shop-3101 refused" in caplog.text  # the recovery was logged...
    tp_world.store.close()
    raw = tp_world.stored_bytes()
    assert len(raw) > 0
    for secret in secrets:
        assert secret and secret.encode() not in raw
        assert base64.b64encode(secret.encode()) not in raw  # nor merely encoded
        assert secret not in caplog.text  # ...without any secret


async def test_a_refresh_cancelled_while_waiting_for_the_lock_leaves_no_lock_behind(
    tp_world: TpWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from smartpay_apply.state.locks import LockOwner

    name = vault.credentials_lock_name(APP_ID)
    refused, taken_late = threading.Event(), threading.Event()
    real_acquire = tp_world.store.acquire_lock

    def observed_acquire(key: object, owner: LockOwner, ttl: float) -> bool:
        taken = real_acquire(key, owner, ttl)  # the real store call; we only watch it
        if key == name and owner.run_id != "other-run":
            (taken_late if taken else refused).set()
        return taken

    monkeypatch.setattr(tp_world.store, "acquire_lock", observed_acquire)
    async with OpenApi(tp_world.sandbox.base_url) as api:
        await authorized(api, tp_world)
        tp_world.store.delete_secret(
            vault.access_token_key(APP_ID)
        )  # the next token() must refresh
        other = tp_world.store.lock(name, LockOwner("elsewhere", 1, "other-run"), ttl=60)
        other.__enter__()
        waiting = asyncio.ensure_future(source(api, tp_world).token())
        assert await asyncio.to_thread(refused.wait, 30)  # it is now waiting for the lock
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        other.__exit__(None, None, None)
        # The abandoned attempt still gets the lock once it is free...
        assert await asyncio.to_thread(taken_late.wait, 30)

        def held() -> bool:
            return any(
                info.name == name and not info.expired for info in tp_world.store.list_locks()
            )

        deadline = time.monotonic() + 10
        while held() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert not held()  # ...and gives it straight back
        assert await works(api, source(api, tp_world))


async def test_many_mini_programs_at_once_fetch_one_tp_token(tp_world: TpWorld) -> None:
    apps = [APP_ID + i for i in range(5)]
    async with OpenApi(tp_world.sandbox.base_url) as api:
        for app_id in apps:
            await authorized(api, tp_world, app_id)
            tp_world.store.delete_secret(vault.access_token_key(app_id))
        tp_world.store.delete_secret(vault.TP_TOKEN_KEY)
        tp_world.sandbox.clear_calls()
        # Each source with its own platform, as separate processes would have.
        sources = [source(api, tp_world, app_id) for app_id in apps]
        tokens = await asyncio.gather(*(s.token() for s in sources))
        assert len(set(tokens)) == 5
        assert all([await works(api, s) for s in sources])
    assert len(tp_world.sandbox.calls(path="/auth/tp/token")) == 1
    assert len(tp_world.oauth_calls()) == 5


KILLED_WORKER = """
import asyncio, sys, pathlib
from smartpay_apply.api.client import OpenApi
from smartpay_apply.credentials import TpAppToken, TpPlatform
from smartpay_apply.state import open_store

base_url, db, app_id, client_id = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]

async def main():
    store = open_store(db, base_dir=pathlib.Path(db).parent)
    async with OpenApi(base_url, timeout=60) as api:
        tokens = TpAppToken(TpPlatform(api, store, client_id), "shop", app_id, lock_ttl=2)
        print("refreshing", flush=True)
        await tokens.force_refresh()
        print("stored", flush=True)

asyncio.run(main())
"""


@pytest.mark.slow
async def test_a_process_killed_between_refresh_and_store_is_recovered(tp_world: TpWorld) -> None:
    async with OpenApi(tp_world.sandbox.base_url) as api:
        await authorized(api, tp_world)
    burnt = tp_world.store.get_secret(vault.refresh_token_key(APP_ID))
    # Baidu handles the refresh at once but takes 6 s to send the answer back: time to kill.
    tp_world.sandbox.set_faults(slow_body_ms=6000)
    tp_world.sandbox.clear_calls()
    env = {**os.environ, "SMARTPAY_STATE_KEY": STATE_KEY, "PYTHONPATH": str(REPO_ROOT)}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            KILLED_WORKER,
            tp_world.sandbox.base_url,
            str(tp_world.db_path),
            str(APP_ID),
            CLIENT_ID,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not tp_world.oauth_calls():  # the refresh reached Baidu: the old token is burnt
            assert worker.poll() is None and time.monotonic() < deadline, (
                worker.stderr.read() if worker.stderr else ""
            )
            await asyncio.sleep(0.05)
    finally:
        worker.kill()  # SIGKILL: no cleanup, the lock is left to expire
        out, _ = worker.communicate()
    assert "stored" not in out
    tp_world.sandbox.clear_faults()
    assert tp_world.store.get_secret(vault.refresh_token_key(APP_ID)) == burnt  # never stored
    tp_world.store.delete_secret(vault.access_token_key(APP_ID))
    tp_world.sandbox.clear_calls()
    async with OpenApi(tp_world.sandbox.base_url) as api:
        survivor = source(api, tp_world)
        assert await works(api, survivor)  # waits out the dead run's lock, then recovers
    assert tp_world.store.get_secret(vault.refresh_token_key(APP_ID)) != burnt
    assert len(tp_world.retrieve_calls()) == 1
