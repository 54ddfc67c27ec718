"""Sandbox fixtures for every test area (a pytest plugin registered in tests/conftest.py).

- `sandbox_factory`: `start(**config_overrides) -> SandboxHandle`. Runs a real uvicorn server on
  127.0.0.1 (a free port) with its world in `tmp_path/sandbox-N.json`; every server started is
  stopped at teardown. Overrides are `SandboxConfig` fields (audit_delay, audit_policy, webhook,
  plaintext_push, error_rate, latency_ms, orders_per_day, tokens, ...).
- `sandbox`: one default running sandbox (audit_delay=0.5 s, policy approve).

`SandboxHandle` fields: `base_url` ("http://127.0.0.1:PORT"), `config` (the SandboxConfig),
`state_file`; `TP_TOKEN` = "sandbox-tp", the TP's own token (image upload, oauth) accepted
without registration. Helpers (each one admin call over HTTP, see docs/sandbox.md):
`token(app_id)` -> "sandbox-<app_id>" (accepted without registration);
`tp_token()` -> a TP token issued like tp/token's; `upload(content, tp_token=TP_TOKEN)` -> URL;
`set_account_status(app_id, status, verify_message="")` (any documented status 0-5);
`put_payment_service(app_id, values)` (the console: an approved service with these values, or
an edit of the given fields of an existing one; the account must be approved);
`apps()` -> the app ids the sandbox has seen;
`approve(app_id, section)`, `reject(app_id, section, reason)` with section one of
account | developer_config | payment_service (-> the pushed event);
`set_policy(app_id, policy, section=None, reason=None)` (policy approve|reject|manual|None);
`app_state(app_id)` (account, developer_config, payment_service, bind_service, pending, events;
fails for an app the sandbox has never seen);
`calls(app_id=None, path=None)` -> [{method, path, app_id, time}];
`clear_calls()`; `register_token(token, app_id, ttl=None)`; `expire_token(token=None, app_id=None)`;
`set_faults(**faults)` / `clear_faults()`; `tp_ticket()`; `tp_authorize(app_id)` -> code;
`tp_unauthorize(app_id)`; `events()` (decisions + push deliveries); `settle()`; `reset()`;
`admin(method, path, json=None)` for anything else.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.sandbox.server import running_server


@dataclass
class SandboxHandle:
    """A running sandbox and small admin helpers (all over HTTP)."""

    base_url: str
    config: SandboxConfig
    state_file: Path | None
    _client: httpx.Client = field(repr=False)

    def admin(self, method: str, path: str, json: Any = None, params: Any = None) -> Any:
        response = self._client.request(
            method, f"/_sandbox/{path.lstrip('/')}", json=json, params=params
        )
        if response.status_code >= 400:
            raise AssertionError(
                f"sandbox admin {method} {path}: {response.status_code} {response.text}"
            )
        return response.json()

    #: The TP's own token: what image upload takes (a mini-program token there is 110).
    TP_TOKEN = "sandbox-tp"

    @staticmethod
    def token(app_id: int) -> str:
        return f"sandbox-{app_id}"

    def tp_token(self) -> str:
        """A TP token as tp/token issues them (valid tp_token_ttl)."""
        return self.admin("POST", "tp/token")["access_token"]  # type: ignore[no-any-return]

    def upload(self, content: bytes, tp_token: str = TP_TOKEN, image_type: str = "2") -> str:
        """Upload an image with a TP token; its URL (AssertionError on a refusal)."""
        response = self._client.post(
            "/file/2.0/smartapp/upload/image",
            params={"access_token": tp_token},
            files={"multipartFile": ("image.png", content, "application/octet-stream")},
            data={"type": image_type},
        )
        body = response.json()
        if body.get("errno") != 0:
            raise AssertionError(f"sandbox upload refused: {body}")
        return str(body["data"])

    def set_account_status(self, app_id: int, status: int, verify_message: str = "") -> Any:
        """Put the account at any documented status 0-5 (2 starts an audit)."""
        return self.admin(
            "PUT",
            f"apps/{app_id}/account/status",
            {"status": status, "verify_message": verify_message},
        )

    def put_payment_service(self, app_id: int, values: dict[str, Any]) -> dict[str, Any]:
        """Open (or edit) the payment service as by hand in Baidu's console: approved at once."""
        return self.admin("PUT", f"apps/{app_id}/payment_service", {"values": values})  # type: ignore[no-any-return]

    def apps(self) -> list[int]:
        return self.admin("GET", "apps")["apps"]  # type: ignore[no-any-return]

    def approve(self, app_id: int, section: str) -> dict[str, Any]:
        return self.admin("POST", f"apps/{app_id}/{section}/approve")["event"]  # type: ignore[no-any-return]

    def reject(self, app_id: int, section: str, reason: str = "资料不全") -> dict[str, Any]:
        return self.admin("POST", f"apps/{app_id}/{section}/reject", {"reason": reason})["event"]  # type: ignore[no-any-return]

    def set_policy(
        self, app_id: int, policy: str | None, section: str | None = None, reason: str | None = None
    ) -> Any:
        return self.admin(
            "PUT", f"apps/{app_id}/policy", {"policy": policy, "section": section, "reason": reason}
        )

    def app_state(self, app_id: int) -> dict[str, Any]:
        return self.admin("GET", f"apps/{app_id}")  # type: ignore[no-any-return]

    def calls(self, app_id: int | None = None, path: str | None = None) -> list[dict[str, Any]]:
        params = {k: v for k, v in {"app_id": app_id, "path": path}.items() if v is not None}
        return self.admin("GET", "calls", params=params)["calls"]  # type: ignore[no-any-return]

    def clear_calls(self) -> None:
        self.admin("DELETE", "calls")

    def register_token(self, token: str, app_id: int, ttl: float | None = None) -> Any:
        return self.admin("POST", "tokens", {"token": token, "app_id": app_id, "ttl": ttl})

    def expire_token(self, token: str | None = None, app_id: int | None = None) -> int:
        return self.admin("POST", "tokens/expire", {"token": token, "app_id": app_id})["expired"]  # type: ignore[no-any-return]

    def set_faults(self, **faults: float) -> Any:
        return self.admin("PUT", "faults", faults)

    def clear_faults(self) -> Any:
        return self.admin("DELETE", "faults")

    def tp_ticket(self) -> str:
        return self.admin("POST", "tp/ticket")["ticket"]  # type: ignore[no-any-return]

    def tp_authorize(self, app_id: int) -> str:
        return self.admin("POST", "tp/authorize", {"app_id": app_id})["authorization_code"]  # type: ignore[no-any-return]

    def tp_unauthorize(self, app_id: int) -> Any:
        return self.admin("POST", "tp/unauthorize", {"app_id": app_id})

    def events(self) -> dict[str, Any]:
        return self.admin("GET", "events")  # type: ignore[no-any-return]

    def settle(self) -> Any:
        return self.admin("POST", "settle")

    def reset(self) -> Any:
        return self.admin("POST", "reset")


SandboxFactory = Callable[..., SandboxHandle]


@pytest.fixture
def sandbox_factory(tmp_path: Path) -> Iterator[SandboxFactory]:
    """start(**config_overrides) -> SandboxHandle: a real server per call, stopped at teardown."""
    with contextlib.ExitStack() as stack:
        counter = itertools.count(1)

        def start(**overrides: Any) -> SandboxHandle:
            overrides.setdefault("state_file", tmp_path / f"sandbox-{next(counter)}.json")
            config = SandboxConfig().with_overrides(**overrides)
            base_url = stack.enter_context(running_server(config))
            client = stack.enter_context(httpx.Client(base_url=base_url, timeout=10))
            return SandboxHandle(base_url, config, config.state_file, client)

        yield start


@pytest.fixture
def sandbox(sandbox_factory: SandboxFactory) -> SandboxHandle:
    """A running sandbox with short audits (0.5 s, approve)."""
    return sandbox_factory(audit_delay=0.5)
