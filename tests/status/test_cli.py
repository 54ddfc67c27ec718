"""`smartpay-apply status` through the real CLI, against the embedded sandbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.cells import cell_len

from tests.status.conftest import StatusProject
from tests.support.cli import invoke
from tests.support.projects import write_config


def document(project: StatusProject, *args: str) -> dict[str, Any]:
    result = project.ok("status", "--format", "json", *args)
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def by_app(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {app["app"]: app for app in doc["apps"]}


def test_without_a_store_status_says_so_and_creates_nothing(tmp_path: Path) -> None:
    write_config(tmp_path, "sandbox")
    result = invoke("status", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "observed no mini-program yet" in result.stdout
    empty = json.loads(invoke("status", "--format", "json", cwd=tmp_path).stdout)
    assert (empty["format_version"], empty["apps"], empty["summary"]["apps"]) == (1, [], 0)
    assert not (tmp_path / ".smartpay").exists()


def test_the_fleet_through_onboarding_a_rejection_and_a_refresh(project: StatusProject) -> None:
    project.ok("plan")
    doc = document(project)
    assert {app: row["state"] for app, row in by_app(doc).items()} == {
        "shop-beijing": "not-started",
        "tea": "not-started",
    }
    assert by_app(doc)["shop-beijing"]["app_name"] == "北京百货小店"
    assert by_app(doc)["shop-beijing"]["observed_by"] == "plan"

    assert project.cli("apply", "--auto-approve").returncode == 2  # audits in review
    doc = document(project)
    shop = by_app(doc)["shop-beijing"]
    assert (shop["state"], shop["in_review"]) == ("in-review", ["account"])
    assert shop["in_review_since"] == shop["sections"]["account"]["submitted_at"]
    assert shop["last_run"]["outcome"] == "done" and shop["last_run"]["command"].startswith("apply")
    assert doc["summary"]["states"]["in-review"] == 2

    project.ok("sandbox", "reject", "20230002", "account", "--reason", "身份证<b>模糊</b>")
    project.ok("sandbox", "approve", "20230001", "account")
    # Without --refresh, status shows what the store has: nothing was observed since.
    assert by_app(document(project))["tea"]["state"] == "in-review"
    doc = document(project, "--refresh")
    tea, shop = by_app(doc)["tea"], by_app(doc)["shop-beijing"]
    assert (tea["state"], tea["observed_by"]) == ("blocked", "status")
    assert tea["rejection"]["section"] == "account"
    assert tea["rejection"]["reason"] == "身份证<b>模糊</b>"
    assert tea["sections"]["account"]["outcome"] == "rejected"
    assert shop["state"] == "drift"  # approved: the developer config is next

    blocked = document(project, "--filter", "blocked")
    assert [app["app"] for app in blocked["apps"]] == ["tea"]
    assert blocked["summary"]["shown"] == 1 and blocked["summary"]["apps"] == 2
    assert blocked["filters"]["states"] == ["blocked"]


def test_text_rows_stay_aligned_with_chinese_reasons(project: StatusProject) -> None:
    project.cli("apply", "--auto-approve")
    reason = "身份证照片模糊,请重新上传清晰照片"
    project.ok("sandbox", "reject", "20230002", "account", "--reason", reason)
    text = project.ok("status", "--refresh").stdout
    header, *rows = text.splitlines()[:3]
    assert header.split()[:3] == ["app", "app_id", "state"]
    column = header.index("last_event")  # the header is ASCII: characters are cells
    tea = next(line for line in rows if line.startswith("tea "))
    assert "blocked" in tea and "account: 身份证照片模糊" in tea
    for row in rows:  # after the (Chinese) rejection column, the next starts at the same cell
        prefix = _prefix_of_cells(row, column)
        assert prefix.endswith("  ") and not row[len(prefix)].isspace(), row
    assert "2 mini-programs: 0 failing, 1 blocked, 1 in-review" in text
    assert "Oldest in review: shop-beijing (account)" in text


def _prefix_of_cells(text: str, cells: int) -> str:
    """The start of `text` that is `cells` terminal cells wide."""
    for i in range(len(text) + 1):
        if cell_len(text[:i]) == cells:
            return text[:i]
    raise AssertionError(f"no prefix of {cells} cells in {text!r}")


def test_app_names_and_ids_select_and_unknown_ones_are_one_line(project: StatusProject) -> None:
    project.ok("plan")
    assert [a["app"] for a in document(project, "--app", "tea")["apps"]] == ["tea"]
    assert [a["app"] for a in document(project, "--app", "20230001")["apps"]] == ["shop-beijing"]
    result = project.cli("status", "--app", "nope", "--app", "tea")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: --app nope: no such mini-program in the state store (known: shop-beijing, tea)"
    ]


def test_refresh_of_one_app_observes_only_that_one(project: StatusProject) -> None:
    project.ok("plan")
    before = by_app(document(project))
    doc = document(project, "--refresh", "--app", "tea")
    assert [a["app"] for a in doc["apps"]] == ["tea"]
    after = by_app(document(project))
    assert after["tea"]["observed_by"] == "status"
    assert after["shop-beijing"]["observed_at"] == before["shop-beijing"]["observed_at"]
    assert after["shop-beijing"]["observed_by"] == "plan"


def test_an_app_that_cannot_be_observed_is_failing_and_status_still_exits_0(
    project: StatusProject,
) -> None:
    document_ = project.documents["tea"]
    document_["credentials"] = {"access_token": "not-a-sandbox-token"}
    project.write_spec(document_)
    result = project.cli("status", "--refresh", "--format", "json")
    assert result.returncode == 0, result.stderr
    tea = by_app(json.loads(result.stdout))["tea"]
    assert tea["state"] == "failing" and tea["error"]
    assert "warning: tea: could not be observed" in result.stderr


def test_serve_takes_its_own_options(project: StatusProject) -> None:
    result = project.cli("status", "--format", "json", "serve")
    assert result.returncode == 1
    assert "status serve takes its own options" in result.stderr
