"""The status page in a real browser (Playwright + Debian's Chromium), on a fleet onboarded in
the sandbox through the real CLI, with the event receiver storing the sandbox's pushes.

Screenshots go under the test's tmp directory; with SMARTPAY_STATUS_SCREENSHOTS=DIR they are
also copied there (how docs/images/status-overview.png was made).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.apply.project import Project, spec_document
from tests.conftest import CliRunner, free_port
from tests.fixtures_sandbox import SandboxFactory, SandboxHandle
from tests.status.browser import Console, browser, start_cli
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow


@dataclass
class Site:
    """A project at a sandbox that pushes to a running receiver, and its status page."""

    project: Project
    sandbox: SandboxHandle
    tmp: Path
    processes: list[subprocess.Popen[str]]
    status_url: str = ""

    @property
    def root(self) -> Path:
        return self.project.root

    def serve_status(self) -> str:
        port = free_port()
        self.processes.append(start_cli(self.root, "status", "serve", "--port", str(port)))
        self.status_url = f"http://127.0.0.1:{port}"
        assert wait_for(lambda: _up(self.status_url + "/")), "status serve did not start"
        return self.status_url

    def shot(self, page: Any, name: str) -> Path:
        path = self.tmp / "screenshots" / f"{name}.png"
        path.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        target = os.environ.get("SMARTPAY_STATUS_SCREENSHOTS")
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(target) / path.name)
        return path


def _up(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code < 500
    except httpx.TransportError:
        return False


@pytest.fixture
def site(tmp_path: Path, sandbox_factory: SandboxFactory) -> Iterator[Site]:
    events_port = free_port()
    sandbox = sandbox_factory(
        audit_delay=0.3, webhook=f"http://127.0.0.1:{events_port}/", plaintext_push=True
    )
    project = Project(tmp_path / "project", sandbox.base_url)
    processes = [
        start_cli(project.root, "events", "serve", "--allow-plaintext", "--port", str(events_port))
    ]
    made = Site(project, sandbox, tmp_path, processes)
    try:
        assert wait_for(lambda: _up(f"http://127.0.0.1:{events_port}/healthz"))
        yield made
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def test_the_team_finds_the_rejected_mini_program_and_why(site: Site, run_cli: CliRunner) -> None:
    site.project.add("shop-beijing", 20231001, app_name="北京百货小店")
    site.project.add("tea-hangzhou", 20231002, app_name="龙井茶舍")
    rejected = spec_document("rejected-shop", 20231003, app_name="拒收小店")
    rejected["account"]["business_detail_address"] = "拒绝路1号"
    site.project.write_spec(rejected)
    applied = run_cli("apply", "--auto-approve", "--wait", "--wait-timeout", "2m", cwd=site.root)
    assert applied.returncode == 1, applied.stdout + applied.stderr  # the rejected one
    assert wait_for(lambda: _event_stored(run_cli, site.root, 20231003))
    assert run_cli("status", "--refresh", cwd=site.root).returncode == 0
    base = site.serve_status()

    with browser(site.tmp / "profile") as context:
        console = Console()
        page = console.watch(context.new_page())
        page.goto(base + "/")
        assert page.locator('a.count[data-state="blocked"] strong').inner_text() == "1"
        assert page.locator('a.count[data-state="in-sync"] strong').inner_text() == "2"
        assert page.locator("#auto-refresh").is_visible()  # the optional script ran
        site.shot(page, "status-overview")

        page.select_option('form.filter select[name="state"]', "blocked")
        page.click('form.filter button[type="submit"]')
        page.wait_for_url("**state=blocked**")
        rows = page.locator("#apps tbody tr")
        assert rows.count() == 1
        assert "rejected-shop" in rows.first.inner_text()
        assert "含有“拒绝”" in rows.first.locator("td.reason").inner_text()
        site.shot(page, "status-blocked")

        rows.first.locator("td a").first.click()
        page.wait_for_url("**/app/20231003")
        reasons = page.locator("ul.rejections").inner_text()
        assert "business_detail_address 含有“拒绝”" in reasons
        timeline = page.locator("ol.timeline").inner_text()
        assert (
            "payment account rejected" in timeline and "APP_PAYMENT_CREATE_ACCOUNT_FAIL" in timeline
        )
        assert "✗  blocked (account)" in page.locator("pre.plan").inner_text()
        assert page.locator("h1 .badge").inner_text() == "blocked"
        site.shot(page, "status-app")

        page.goto(base + "/app/20231001")
        assert "北京百货小店" in page.locator("main").inner_text()
        page.goto(base + "/events")
        assert page.locator("table.events tbody tr").count() >= 3
        page.goto(base + "/runs")
        assert page.locator("details.run").count() >= 1
        assert console.problems == []

    # Without JavaScript: the same filter through the plain form, no auto-refresh control.
    with browser(site.tmp / "profile-nojs", javascript=False) as context:
        console = Console()
        page = console.watch(context.new_page())
        page.goto(base + "/ui/")
        assert not page.locator("#auto-refresh").is_visible()
        page.select_option('form.filter select[name="state"]', "in-sync")
        page.click('form.filter button[type="submit"]')
        page.wait_for_url("**/ui/?state=in-sync**")
        assert page.locator("#apps tbody tr").count() == 2
        page.click('#apps thead a:has-text("app_id")')
        assert page.locator("#apps tbody tr td:nth-child(2)").all_inner_texts() == [
            "20231001",
            "20231002",
        ]
        assert console.problems == []


def _event_stored(run_cli: CliRunner, root: Path, app_id: int) -> bool:
    listed = run_cli("events", "list", "--app", str(app_id), "--format", "json", cwd=root)
    return listed.returncode == 0 and "APP_PAYMENT_CREATE_ACCOUNT_FAIL" in listed.stdout


XSS_NAME = '<script>window.__owned = 1</script><img src="nowhere.png" onerror="window.__owned = 2">'
XSS_REASON = '<img src=x onerror="alert(document.cookie)"><b>资料</b>&amp;不全'


def test_html_in_specs_and_events_stays_inert_text(site: Site, run_cli: CliRunner) -> None:
    site.sandbox.set_policy(20231009, "manual")
    site.project.add("xss-shop", 20231009, app_name=XSS_NAME)
    assert run_cli("apply", "--auto-approve", cwd=site.root).returncode == 2  # in review
    site.sandbox.reject(20231009, "account", XSS_REASON)
    assert wait_for(lambda: _event_stored(run_cli, site.root, 20231009))
    assert run_cli("status", "--refresh", cwd=site.root).returncode == 0
    base = site.serve_status()

    with browser(site.tmp / "profile") as context:
        console = Console()
        page = console.watch(context.new_page())
        for path in ("/", "/app/20231009", "/events", "/api/status"):
            page.goto(base + path)
            assert page.evaluate("window.__owned") is None, path
            assert page.locator("main img, main b, main script").count() == 0, path
        page.goto(base + "/app/20231009")
        text = page.locator("main").inner_text()
        assert XSS_REASON in text  # shown as the characters Baidu sent
        assert XSS_NAME in text
        page.goto(base + "/")
        assert XSS_NAME in page.locator("#apps").inner_text()
        site.shot(page, "status-xss")
        assert console.problems == []
