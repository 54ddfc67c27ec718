"""Two controllers, one PostgreSQL store, a load balancer in front (as a Kubernetes Deployment
with replicas: 2 has): every write sent once; an event received by either replica is acted on;
one replica killed with SIGKILL, the other finishes — nothing duplicated, nothing lost."""

from __future__ import annotations

import itertools
import signal
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from smartpay_apply.state import open_store
from tests.conftest import free_port
from tests.controller.conftest import ONBOARDING, accepted_writes, onboarded, refused_writes
from tests.events.conftest import serve_in_thread
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

APPS = 10


def round_robin(targets: list[str]) -> Starlette:
    """A load balancer: each request to the next replica in turn; a replica that refuses the
    connection (it died) is skipped for the next one, as nginx's `proxy_next_upstream error`
    or a Kubernetes Service once the pod is gone would do."""
    turn = itertools.cycle(targets)

    async def forward(request: Request) -> Response:
        body = await request.body()
        for _ in targets:
            target = next(turn)
            try:
                async with httpx.AsyncClient(timeout=10) as client:
                    answer = await client.request(
                        request.method,
                        target + request.url.path,
                        content=body,
                        headers={"content-type": request.headers.get("content-type", "")},
                    )
            except httpx.ConnectError:
                continue
            except httpx.HTTPError:
                break
            return Response(answer.content, status_code=answer.status_code)
        return Response("bad gateway", status_code=502)

    return Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "POST"])])


@pytest.fixture
def balancer() -> Iterator[tuple[str, list[int]]]:
    ports = [free_port(), free_port()]
    app = round_robin([f"http://127.0.0.1:{port}" for port in ports])
    with serve_in_thread(app) as url:
        yield url, ports


def test_two_replicas_on_postgres_send_every_write_once_and_survive_a_sigkill(
    controller_project: Any, start_controller: Any, postgres_url: str, balancer: Any
) -> None:
    url, (port_a, port_b) = balancer
    world = controller_project(apps=APPS, state=postgres_url, webhook=f"{url}/")
    sandbox = world.sandbox
    ids = list(world.apps.values())
    names = {app_id: app for app, app_id in world.apps.items()}
    for app_id in ids:  # the accounts are approved by hand, below
        sandbox.set_policy(app_id, "manual", section="account")
    a = start_controller(world, "--resync", "3s", port=port_a)
    b = start_controller(world, "--resync", "3s", port=port_b)

    # Both replicas start with a round over every mini-program: each account is created once.
    with open_store(postgres_url, base_dir=world.root) as store:
        assert wait_for(
            lambda: len([s for s in store.list_submissions() if s.section == "account"]) == APPS,
            60,
        )
    assert all(accepted_writes(sandbox, app_id) == ONBOARDING[:1] for app_id in ids)

    # Half the accounts approved: the pushes reach one replica or the other, in turn.
    first, second = ids[: APPS // 2], ids[APPS // 2 :]
    for app_id in first:
        sandbox.approve(app_id, "account")
    for app_id in first:
        assert wait_for(lambda app_id=app_id: onboarded(sandbox, app_id), 60), a.log() + b.log()
    # Each replica heard of every event: its own receiver's, and the other's through the store.
    for replica in (a, b):
        for app_id in first:
            assert f"{names[app_id]}: event APP_PAYMENT_CREATE_ACCOUNT_PASS" in replica.log()

    # One replica dies without a word; Baidu's pushes to it fail and are redelivered.
    a.stop(signal.SIGKILL)
    for app_id in second:
        sandbox.approve(app_id, "account")
    for app_id in ids:
        assert wait_for(lambda app_id=app_id: onboarded(sandbox, app_id), 90), b.log()
    for app_id in ids:
        assert accepted_writes(sandbox, app_id) == ONBOARDING, app_id
        assert refused_writes(sandbox, app_id) == [], app_id

    assert b.stop() == 0
    with open_store(postgres_url, base_dir=world.root) as store:
        assert not [lock for lock in store.list_locks() if lock.pid == b.process.pid]
