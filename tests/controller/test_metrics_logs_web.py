"""/metrics, /readyz and the log, read as their users read them."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import httpx
import pytest

from smartpay_apply.config import load_project_config
from smartpay_apply.controller.logs import JsonFormatter, configure
from smartpay_apply.controller.metrics import FleetCollector, Metrics
from smartpay_apply.controller.outcome import Outcome
from smartpay_apply.controller.web import create_controller_app, status_page, status_page_open
from smartpay_apply.errors import ConfigError
from smartpay_apply.events import crypto
from smartpay_apply.events.app import ReceiverSettings
from smartpay_apply.state import StateStore, open_store
from smartpay_apply.state.base import Observation, Suspension
from smartpay_apply.timeutil import now
from tests.events.conftest import AES_KEY_TEXT, CLIENT_ID, TOKEN


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return open_store("state.db", base_dir=tmp_path)


def samples(text: str) -> dict[str, float]:
    """`name{labels}` -> value, from the Prometheus text format."""
    found = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            found[name] = float(value)
    return found


def observe(store: StateStore, app_id: int, summary: dict[str, Any]) -> None:
    store.record_observations([Observation(app_id, f"app-{app_id}", now(), "controller", summary)])


def test_the_fleet_is_counted_from_the_store(store: StateStore) -> None:
    store.record_submission(1, "account", "fp", app="app-1", at=now())
    observe(
        store,
        1,
        {"controller": {"sections": {"account": "in_review", "payment_service": "pending"}}},
    )
    observe(
        store,
        2,
        {
            "controller": {
                "outcome": Outcome.AWAITING_CONSENT.value,
                "sections": {"account": "in_sync", "payment_service": "pending"},
            }
        },
    )
    observe(store, 3, {"controller": {"sections": {"account": "failing"}}})  # not managed
    store.suspend(Suspension(2, "app-2", "ann", now()))
    metrics = Metrics()
    metrics.watch_fleet(FleetCollector(store, lambda: {1, 2}, lambda: 1))
    metrics.reconciles.labels("in_sync").inc()
    metrics.api_error("paymentservice/create", 60014)
    metrics.api_error("account/auditstatus", None)
    seen = samples(metrics.render().decode())
    assert seen['smartpay_apps{section="account",state="in_review"}'] == 1
    assert seen['smartpay_apps{section="account",state="in_sync"}'] == 1
    assert seen['smartpay_apps{section="account",state="failing"}'] == 0
    assert seen['smartpay_apps{section="payment_service",state="pending"}'] == 2
    assert seen["smartpay_apps_awaiting_consent"] == 1
    assert seen["smartpay_apps_suspended"] == 2  # one in the store, one by its spec
    assert seen["smartpay_oldest_audit_in_review_seconds"] >= 0
    assert seen['smartpay_controller_reconciles_total{outcome="in_sync"}'] == 1
    assert seen['smartpay_controller_reconciles_total{outcome="failed"}'] == 0
    assert seen['smartpay_api_errors_total{endpoint="paymentservice/create",errno="60014"}'] == 1
    assert seen['smartpay_api_errors_total{endpoint="account/auditstatus",errno="transport"}'] == 1
    assert not any(name.endswith("_created") for name in seen)


def test_metrics_are_served_without_the_fleet_when_the_store_is_down(store: StateStore) -> None:
    metrics = Metrics()
    metrics.watch_fleet(FleetCollector(store, lambda: {1}, lambda: 0))
    store.close()
    seen = samples(metrics.render().decode())
    assert "smartpay_apps_awaiting_consent" not in seen
    assert "smartpay_controller_last_resync_success_timestamp_seconds" in seen


async def test_readiness_metrics_and_the_receivers_routes(store: StateStore) -> None:
    why: list[str | None] = ["starting"]
    events: list[dict[str, Any]] = []

    async def on_event(data: dict[str, Any]) -> None:
        events.append(data)

    settings = ReceiverSettings(TOKEN, crypto.aes_key(AES_KEY_TEXT), CLIENT_ID)
    app = create_controller_app(
        settings, store, on_event=on_event, readiness=lambda: why[0], metrics=Metrics()
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://controller.test") as http:
        assert (await http.get("/readyz")).status_code == 503
        assert (await http.get("/readyz")).text == "not ready: starting"
        why[0] = None
        assert (await http.get("/readyz")).text == "ready"
        why[0] = "stopping"
        assert (await http.get("/readyz")).status_code == 503
        scraped = await http.get("/metrics")
        assert scraped.headers["content-type"].startswith("text/plain; version=")
        assert "smartpay_controller_reconciles_total" in scraped.text
        assert (await http.get("/healthz")).text == "ok"
        message = json.dumps(
            {
                "appId": 5,
                "event": "APP_PAYMENT_CREATE_ACCOUNT_PASS",
                "eventTime": "2026-12-02 10:00:00",
            }
        ).encode()
        encrypted = crypto.encrypt(settings.key or b"", message, CLIENT_ID)
        envelope = {
            "Nonce": "n",
            "TimeStamp": "1",
            "Encrypt": encrypted,
            "MsgSignature": crypto.signature(TOKEN, "1", "n", encrypted),
        }
        pushed = await http.post("/", json=envelope)
        assert pushed.text == "success"
        assert (await http.post("/", json={**envelope, "MsgSignature": "x"})).status_code == 403
        ui = await http.get("/ui/")
        assert ui.status_code == 403 and "status page is not served here" in ui.text
    # The hook runs in the background after Baidu got its `success`.
    for _ in range(100):
        if events:
            break
        await asyncio.sleep(0.01)
    assert [e["app_id"] for e in events] == [5]
    assert [e.app_id for e in store.list_events()] == [5]


@pytest.fixture
def restore_logging() -> Any:
    """configure() sets up the process-wide loggers: put them back afterwards."""
    names = ("smartpay_apply", "uvicorn", "uvicorn.error")
    saved = {
        name: (
            list(logging.getLogger(name).handlers),
            logging.getLogger(name).level,
            logging.getLogger(name).propagate,
        )
        for name in names
    }
    yield
    for name, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


@pytest.mark.usefixtures("restore_logging")
def test_json_log_lines_carry_the_fields_and_no_token(capsys: pytest.CaptureFixture[str]) -> None:
    configure("json")
    log = logging.getLogger("smartpay_apply.controller.loop")
    log.warning(
        "shop: failed: GET /x?access_token=sandbox-1234-secret -> 500",
        extra={"app": "shop", "app_id": 7, "outcome": "failed", "trigger": "resync"},
    )
    line = capsys.readouterr().err.strip().splitlines()[-1]
    data = json.loads(line)
    assert (data["level"], data["app"], data["app_id"], data["outcome"], data["trigger"]) == (
        "warning",
        "shop",
        7,
        "failed",
        "resync",
    )
    assert "sandbox-1234-secret" not in line and "access_token=****" in data["message"]
    assert data["time"].endswith("+00:00")
    record = logging.LogRecord("x", logging.ERROR, "f", 1, "boom", None, None)
    assert json.loads(JsonFormatter().format(record))["message"] == "boom"
    configure("text")
    log.info("plain %s", "line")
    assert (
        capsys.readouterr().err.rstrip().endswith("INFO smartpay_apply.controller.loop: plain line")
    )


def page_for(tmp_path: Path, store: StateStore, host: str, status: str = "") -> httpx.AsyncClient:
    """The controller's app listening on `host`, its status page from a smartpay.yaml with
    `status` (YAML lines under `status:`)."""
    (tmp_path / "smartpay.yaml").write_text(
        "version: 1\n" + (f"status:\n{status}" if status else ""), encoding="utf-8"
    )
    config = load_project_config(tmp_path, None)
    settings = ReceiverSettings(TOKEN, crypto.aes_key(AES_KEY_TEXT), CLIENT_ID)

    async def on_event(data: dict[str, Any]) -> None:
        return None

    app = create_controller_app(
        settings,
        store,
        on_event=on_event,
        readiness=lambda: None,
        metrics=Metrics(),
        status_app=status_page(config, store, host),
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://c.test")


async def test_the_status_page_is_served_under_ui_by_the_rules_of_status_serve(
    tmp_path: Path, store: StateStore, caplog: pytest.LogCaptureFixture
) -> None:
    summary = {"version": 1, "steps": [], "sections": {}, "controller": {"outcome": "in_sync"}}
    observe(store, 7, summary)
    async with page_for(tmp_path, store, "127.0.0.1") as http:
        assert (await http.get("/ui")).headers["location"].endswith("/ui/")
        overview = await http.get("/ui/")
        assert overview.status_code == 200 and "app-7" in overview.text
        api = (await http.get("/ui/api/status")).json()
        assert [(a["app_id"], a["controller"]["outcome"]) for a in api["apps"]] == [(7, "in_sync")]
        assert (await http.get("/healthz")).text == "ok"  # the receiver's routes stay

    # Reachable from other machines without credentials: the page is off, said in the log.
    with caplog.at_level(logging.WARNING, logger="smartpay_apply.controller"):
        async with page_for(tmp_path, store, "0.0.0.0") as http:
            off = await http.get("/ui/")
            assert off.status_code == 403 and "status.token" in off.text
            assert "app-7" not in off.text
            assert (await http.get("/readyz")).text == "ready"
    assert "the status page (/ui/) is off" in caplog.text

    async with page_for(tmp_path, store, "0.0.0.0", "  token: page-token\n") as http:
        assert (await http.get("/ui/")).status_code == 401
        bearer = {"Authorization": "Bearer page-token"}
        assert (await http.get("/ui/", headers=bearer)).status_code == 200
        assert (await http.get("/metrics")).status_code == 200  # the page's auth only


def test_unset_status_credentials_stop_the_controller_before_it_binds(tmp_path: Path) -> None:
    (tmp_path / "smartpay.yaml").write_text(
        "version: 1\nstatus:\n  token: ${env:SMARTPAY_TEST_UNSET_PAGE_TOKEN}\n", encoding="utf-8"
    )
    config = load_project_config(tmp_path, None)  # loads: only a command needing it resolves
    with pytest.raises(ConfigError, match="SMARTPAY_TEST_UNSET_PAGE_TOKEN"):
        status_page_open(config, "127.0.0.1")
    (tmp_path / "smartpay.yaml").write_text("version: 1\n", encoding="utf-8")
    plain = load_project_config(tmp_path, None)
    assert (status_page_open(plain, "localhost"), status_page_open(plain, "0.0.0.0")) == (
        True,
        False,
    )
