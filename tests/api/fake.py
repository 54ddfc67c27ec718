"""An in-process stand-in for Baidu's openapi speaking the documented wire format.

Tests queue answers per path; the fake records every request and enforces the wire rules the
real service does (access_token in the query, POST bodies form-encoded and never empty), so a
client that breaks them gets the errors Baidu would give.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import httpx

PAY = "/rest/2.0/smartapp/pay"

Answer = Any  # str (JSON text), dict, httpx.Response, Exception, or callable(request) -> any


class FakeBaidu:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.queued: dict[str, list[Answer]] = defaultdict(list)
        self.fixed: dict[str, Answer] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.delay = 0.0

    # -- set up ----------------------------------------------------------------------

    def queue(self, path: str, *answers: Answer) -> None:
        """Answer the next calls of `path` with `answers`, in order."""
        self.queued[path].extend(answers)

    def always(self, path: str, answer: Answer) -> None:
        """Answer every call of `path` (after the queued ones) with `answer`."""
        self.fixed[path] = answer

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # -- inspect ---------------------------------------------------------------------

    def calls(self, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path == path]

    @staticmethod
    def form(request: httpx.Request) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}

    # -- serve -----------------------------------------------------------------------

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            else:
                await asyncio.sleep(0)
            rejection = self._wire_check(request)
            if rejection is not None:
                return rejection
            answer = self._next(request.url.path)
            return self._respond(answer, request)
        finally:
            self.in_flight -= 1

    def _wire_check(self, request: httpx.Request) -> httpx.Response | None:
        if "access_token" not in request.url.params and "/tp/token" not in request.url.path:
            return httpx.Response(
                200,
                json={"error_code": 110, "error_msg": "Access token invalid or no longer valid"},
            )
        if request.method == "POST":
            if not request.content:
                return httpx.Response(200, json={"errno": 60020, "msg": "Request Body 不能为空"})
            kind = request.headers.get("content-type", "")
            if not (
                kind.startswith("application/x-www-form-urlencoded")
                or kind.startswith("multipart/form-data")
            ):
                return httpx.Response(200, json={"errno": 60000, "msg": "参数错误"})
        return None

    def _next(self, path: str) -> Answer:
        if self.queued.get(path):
            return self.queued[path].pop(0)
        if path in self.fixed:
            return self.fixed[path]
        return httpx.Response(404, text="no route")

    def _respond(self, answer: Answer, request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Callable) and not isinstance(answer, type):  # type: ignore[arg-type]
            answer = answer(request)
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        if isinstance(answer, str):
            return httpx.Response(
                200, content=answer.encode(), headers={"content-type": "application/json"}
            )
        return httpx.Response(
            200, content=json.dumps(answer).encode(), headers={"content-type": "application/json"}
        )


def ok(data: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"errno": 0, "msg": "success"}
    if data is not None:
        body["data"] = data
    return body


def make_api(fake: FakeBaidu, **options: Any) -> Any:
    from smartpay_apply.api.client import OpenApi

    options.setdefault("backoff_base", 0.0)
    return OpenApi("https://openapi.baidu.com", transport=fake.transport(), **options)


__all__ = ["PAY", "FakeBaidu", "make_api", "ok"]
