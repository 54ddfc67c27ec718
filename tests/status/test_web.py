"""The status page over HTTP (its ASGI interface, in process): escaping, headers, links under
a mount prefix, the overview's query, the JSON API, authentication."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import sqlite3
from datetime import datetime
from html import unescape
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from smartpay_apply.engine.observation import observation
from smartpay_apply.engine.steps import Action, AppPlan, Change, Step
from smartpay_apply.state import open_store
from smartpay_apply.state.records import AuditEvent
from smartpay_apply.status.web import StatusAuth
from smartpay_apply.status.web.headers import CONTENT_SECURITY_POLICY
from smartpay_apply.timeutil import SHANGHAI
from tests.status.conftest import StatusProject
from tests.status.web import client, status_app
from tests.support.projects import write_config

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=SHANGHAI)
SCRIPT = "<script>document.title='owned'</script>"
IMG = '<img src=x onerror="alert(1)">'
DONE = {s: "synced · approved" for s in ("account", "developer_config", "payment_service")}


def fleet(root: Path, apps: int = 3) -> None:
    """A project whose store holds `apps` observed mini-programs; app 1 carries HTML values."""
    write_config(root, "sandbox")
    with open_store(".smartpay/state.db", base_dir=root) as store:
        plans = []
        for n in range(1, apps + 1):
            steps: tuple[Step, ...] = ()
            if n == 1:
                steps = (
                    Step(Action.BLOCKED, "payment_service", reason=f"退回 {IMG}"),
                    Step(
                        Action.UPDATE_PAYMENT_SERVICE,
                        "payment_service",
                        (
                            Change("app_name", "旧店", SCRIPT),
                            Change("bank_card", None, "****1234", True),
                        ),
                    ),
                )
            plan = AppPlan(app=f"app-{n:04d}", app_id=1000 + n, steps=steps, status=DONE)
            plans.append(
                observation(plan, source="plan", at=T0, app_name=SCRIPT if n == 1 else f"店{n}")
            )
        store.record_observations(plans)
        store.record_event(
            AuditEvent(1001, 10000, "APP_PAYMENT_CREATE_PAYMENT_FAIL", T0, f"驳回 {SCRIPT}")
        )


def get(app: Starlette, path: str, **kwargs: object) -> tuple[int, str, dict[str, str]]:
    """GET `path` from `app` (a sync test: the in-process CLI runs its own event loop)."""

    async def fetch() -> tuple[int, str, dict[str, str]]:
        async with client(app) as http:
            response = await http.get(path, **kwargs)  # type: ignore[arg-type]
        return response.status_code, response.text, dict(response.headers)

    return asyncio.run(fetch())


# ---------------------------------------------------------------- escaping and headers


@pytest.mark.parametrize("path", ["/", "/app/1001", "/events", "/runs"])
def test_values_are_escaped_and_every_page_has_the_policy(tmp_path: Path, path: str) -> None:
    fleet(tmp_path)
    status, html, headers = get(status_app(tmp_path), path)
    assert status == 200
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert (
        "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
        and "script-src 'self'" in CONTENT_SECURITY_POLICY
    )
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert "<script>document" not in html and "<img src=x" not in html
    # The only scripts are the package's own file; no inline handler anywhere.
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/refresh.js" defer>']
    assert not re.search(r"\son[a-z]+=", html.replace("onerror=&#34;", ""))


def test_html_values_are_shown_as_text(tmp_path: Path) -> None:
    fleet(tmp_path)
    _, overview, _ = get(status_app(tmp_path), "/")
    _, page, _ = get(status_app(tmp_path), "/app/1001")
    _, events, _ = get(status_app(tmp_path), "/events")
    assert SCRIPT in unescape(overview)  # the payment service's name, as text
    assert f"退回 {IMG}" in unescape(page) and f"驳回 {SCRIPT}" in unescape(page)
    assert f"驳回 {SCRIPT}" in unescape(events)
    # The stored plan, masked as plan output masks it.
    plan = unescape(page.split('<pre class="plan">')[1].split("</pre>")[0])
    assert '~ app_name: "旧店" -> "<script>document.title=\'owned\'</script>"' in plan
    assert "+ bank_card = ****1234" in plan


# ---------------------------------------------------------------- links under a prefix


async def test_every_link_works_under_a_mount_prefix(tmp_path: Path) -> None:
    fleet(tmp_path)
    outer = Starlette(routes=[Mount("/controller/ui", app=status_app(tmp_path))])
    seen: set[str] = set()
    queue = ["/controller/ui/"]
    async with client(outer) as http:
        while queue:
            path = queue.pop()
            if path in seen:
                continue
            seen.add(path)
            response = await http.get(path)
            assert response.status_code == 200, path
            if "text/html" in response.headers["content-type"]:
                for link in re.findall(r'(?:href|src|action)="([^"]+)"', response.text):
                    target = unescape(link)
                    assert target.startswith("/controller/ui/"), (path, target)
                    if "?" not in target or target.count("page=") == 0:
                        queue.append(target)
    assert {"/controller/ui/static/status.css", "/controller/ui/static/refresh.js"} <= seen
    assert "/controller/ui/app/1001" in seen and "/controller/ui/api/status" in seen


# ---------------------------------------------------------------- the overview's query


def names(html: str) -> list[str]:
    return re.findall(
        r'<tr data-app-id="\d+" class="state-[a-z-]+">\s*<td><a href="[^"]+">([^<]+)</a>', html
    )


def test_the_overview_pages_sorts_filters_and_searches(tmp_path: Path) -> None:
    fleet(tmp_path, apps=60)
    app = status_app(tmp_path)
    _, html, _ = get(app, "/?per=25&page=2&sort=app")
    assert names(html) == [f"app-{n:04d}" for n in range(26, 51)]
    assert "Showing 26–50 of 60" in html and "page 2 of 3" in html
    _, html, _ = get(app, "/?sort=app_id&order=desc&per=25")
    assert names(html)[:2] == ["app-0060", "app-0059"]
    _, html, _ = get(app, "/?state=blocked")
    assert names(html) == ["app-0001"]
    _, html, _ = get(app, "/?q=1042")
    assert names(html) == ["app-0042"]
    _, html, _ = get(app, "/?q=%E5%BA%977")  # 店7: the payment service's name
    assert names(html) == ["app-0007"]
    # Nonsense in the query string falls back to the defaults.
    status, html, _ = get(app, "/?page=-3&per=7&sort=%3Cx%3E&state=nope")
    assert status == 200 and len(names(html)) == 60


def test_an_unknown_mini_program_or_path_is_a_404_page(tmp_path: Path) -> None:
    fleet(tmp_path)
    status, html, headers = get(status_app(tmp_path), "/app/4242")
    assert status == 404 and "knows no mini-program 4242" in html
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    status, _, _ = get(status_app(tmp_path), "/nothing/here")
    assert status == 404


async def test_writes_are_refused(tmp_path: Path) -> None:
    fleet(tmp_path)
    async with client(status_app(tmp_path)) as http:
        assert (await http.post("/")).status_code == 405


def test_without_a_store_the_page_is_empty_and_creates_nothing(tmp_path: Path) -> None:
    write_config(tmp_path, "sandbox")
    status, html, _ = get(status_app(tmp_path), "/")
    assert status == 200 and "observed no mini-program yet" in html
    assert (get(status_app(tmp_path), "/events"))[0] == 200
    assert not (tmp_path / ".smartpay").exists()


# ---------------------------------------------------------------- /api/status


def test_api_status_is_the_json_of_status(project: StatusProject) -> None:
    project.ok("plan")
    cli = json.loads(project.ok("status", "--format", "json", "--filter", "not-started").stdout)
    status, text, headers = get(status_app(project.root), "/api/status?state=not-started")
    api = json.loads(text)
    assert status == 200 and headers["content-type"] == "application/json"
    assert {**api, "generated_at": None} == {**cli, "generated_at": None}
    status, text, _ = get(status_app(project.root), "/api/status?app=tea&app=20230001")
    assert sorted(a["app"] for a in json.loads(text)["apps"]) == ["shop-beijing", "tea"]
    status, text, _ = get(status_app(project.root), "/api/status?app=nope")
    assert status == 400
    assert json.loads(text)["error"].startswith("app nope: no such mini-program in the state store")


def test_the_page_shows_the_plan_as_plan_printed_it(project: StatusProject) -> None:
    printed = project.ok("plan", "--app", "shop-beijing").stdout
    _, page, _ = get(status_app(project.root), "/app/20230001")
    shown = unescape(page.split('<pre class="plan">')[1].split("</pre>")[0])
    assert shown == printed
    assert "bank_card = ****" in shown


# ---------------------------------------------------------------- authentication


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"authorization": f"Basic {token}"}


def test_credentials_are_required_when_configured(tmp_path: Path) -> None:
    fleet(tmp_path)
    auth = StatusAuth(token="t0ken-value", username="ops", password="密码-pw")
    app = status_app(tmp_path, auth)
    status, text, headers = get(app, "/")
    assert status == 401 and "app-0001" not in text
    assert headers["www-authenticate"].startswith('Basic realm="smartpay-apply status"')
    for path in ("/api/status", "/static/status.css", "/app/1001"):
        assert (get(app, path))[0] == 401
    assert (get(app, "/", headers={"authorization": "Bearer t0ken-value"}))[0] == 200
    assert (get(app, "/", headers={"authorization": "Bearer wrong"}))[0] == 401
    assert (get(app, "/", headers=basic("ops", "密码-pw")))[0] == 200
    assert (get(app, "/", headers=basic("ops", "nope")))[0] == 401
    assert (get(app, "/", headers={"authorization": "Basic !!notbase64"}))[0] == 401
    assert "t0ken" not in repr(auth) and "密码" not in repr(auth)


def test_a_token_alone_asks_for_a_bearer(tmp_path: Path) -> None:
    fleet(tmp_path)
    app = status_app(tmp_path, StatusAuth(token="abc"))
    status, _, headers = get(app, "/", headers=basic("ops", "abc"))
    assert status == 401 and headers["www-authenticate"].startswith("Bearer")


def test_an_unreadable_store_is_a_503_page_not_a_traceback(tmp_path: Path) -> None:
    fleet(tmp_path)
    with sqlite3.connect(tmp_path / ".smartpay" / "state.db") as db:
        db.execute("UPDATE smartpay_meta SET value = '99' WHERE key = 'schema_version'")
    status, html, headers = get(status_app(tmp_path), "/")
    assert status == 503
    assert "written by a newer smartpay-apply" in unescape(html)
    assert "Traceback" not in html
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
