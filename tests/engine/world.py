"""An in-process world for the engine's unit tests: the strict sandbox behind a transport that can
lose answers on purpose, a real SQLite store, and the run's real Recorder.

Why a transport that loses answers: the recovery branches of the writes (an answer lost after
Baidu acted, "already exists" after a retry, a 60018/60019 race) must each be reached on
purpose, not by random faults. `LosingTransport` forwards the request — the sandbox acts on it —
and then raises the error a dropped connection gives, for the next N requests to a path.
Nothing of the engine is mocked.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from smartpay_apply.api.client import OpenApi
from smartpay_apply.engine.fingerprints import desired_fingerprints
from smartpay_apply.engine.recorder import StoreRecorder
from smartpay_apply.sandbox.app import create_app
from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.spec.models import AppSpec
from smartpay_apply.state import StateStore, open_store
from tests.engine.factory import make_spec
from tests.support.files import PNG

BASE = "http://sandbox.test"
PAY = "/rest/2.0/smartapp/pay"
TP_TOKEN = "sandbox-tp"


class LosingTransport(httpx.AsyncBaseTransport):
    """The sandbox in-process; `lose(path_suffix, times)` drops the answers of the next requests."""

    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self._lose: dict[str, int] = {}
        self._held: dict[str, asyncio.Event] = {}
        self.reached: dict[str, asyncio.Event] = {}

    def lose(self, suffix: str, times: int = 1) -> None:
        self._lose[suffix] = times

    def hold(self, suffix: str) -> asyncio.Event:
        """The next answer to `suffix` waits (after the sandbox acted) until the event is set;
        `reached[suffix]` is set when the sandbox has acted."""
        self.reached[suffix] = asyncio.Event()
        self._held[suffix] = release = asyncio.Event()
        return release

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        for suffix in list(self._held):
            if request.url.path.endswith(suffix):
                release = self._held.pop(suffix)
                self.reached[suffix].set()
                await release.wait()
        for suffix, left in self._lose.items():
            if left and request.url.path.endswith(suffix):
                self._lose[suffix] = left - 1
                await response.aread()
                raise httpx.RemoteProtocolError("the answer was lost", request=request)
        return response


@dataclass
class World:
    """One sandbox, the client over it, a store, and admin calls."""

    transport: LosingTransport
    api: OpenApi
    raw: httpx.AsyncClient
    store: StateStore
    recorder: StoreRecorder

    async def admin(self, method: str, path: str, json: Any = None) -> Any:
        answer = await self.raw.request(method, f"/_sandbox/{path}", json=json)
        assert answer.status_code < 400, answer.text
        return answer.json()

    async def approve(self, app_id: int, section: str) -> None:
        await self.admin("POST", f"apps/{app_id}/{section}/approve")

    async def reject(self, app_id: int, section: str, reason: str) -> None:
        await self.admin("POST", f"apps/{app_id}/{section}/reject", {"reason": reason})

    async def state(self, app_id: int) -> dict[str, Any]:
        return dict(await self.admin("GET", f"apps/{app_id}"))

    async def calls(self, suffix: str) -> list[dict[str, Any]]:
        calls = (await self.admin("GET", "calls"))["calls"]
        return [call for call in calls if call["path"].endswith(suffix)]


async def open_world(
    tmp_path: Path, *, retries: int = 0, policy: str = "manual"
) -> AsyncIterator[World]:
    """A world whose audits are decided only by the test (policy manual), or by `policy`
    at once ("approve")."""
    app = create_app(SandboxConfig(audit_policy=policy, audit_delay=0))
    transport = LosingTransport(app)
    store = open_store(str(tmp_path / "state.db"), base_dir=tmp_path)
    run_id = store.start_run(command="test", user="t", host="h", plan_checksum=None)
    recorder = StoreRecorder(store, lambda spec: desired_fingerprints(spec, store), run_id)
    async with (
        OpenApi(BASE, transport=transport, retries=retries, backoff_base=0) as api,
        httpx.AsyncClient(base_url=BASE, transport=httpx.ASGITransport(app=app)) as raw,
    ):
        yield World(transport, api, raw, store, recorder)
    store.close()


def spec_with_images(tmp_path: Path, app_id: int, **sections: Any) -> AppSpec:
    """make_spec with the id cards as local images (apply uploads them with the TP token)."""
    front, back = tmp_path / f"front-{app_id}.png", tmp_path / f"back-{app_id}.png"
    front.write_bytes(PNG + b"front%d" % app_id)
    back.write_bytes(PNG + b"back%d" % app_id)
    images = {
        "id_card_front": front,
        "id_card_back": back,
        "id_card_front_url": None,
        "id_card_back_url": None,
    }
    return make_spec(app_id=app_id, token=f"sandbox-{app_id}", account=images, **sections)
