"""The optional account and payment-service fields reach Baidu, end to end.

validate accepts them and plan shows them, so apply must send them. The sandbox keeps only the
documented fields (and digests of the sensitive ones), so this test looks at the wire itself: the
real sandbox app behind a small recorder of the POSTed forms, served by uvicorn over real HTTP,
driven by the real CLI.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.apply.conftest import app_result, result_json
from tests.apply.project import Project
from tests.apply.wire import FormRecorder, recording_sandbox

OPTIONAL_ACCOUNT = {
    "legal_card_start_time": "2015-06-01",
    "legal_card_end_time": "2035-06-01",
    "license_start_time": "2019-04-01",
    "license_end_time": "长期",
    "industry_id": 217,
    "manage_permit_url": "https://permits.example.test/shop-opt.png",
}
BANK_PHONE = "13912345678"


@pytest.fixture
def wire(tmp_path: Path) -> Iterator[tuple[str, FormRecorder]]:
    with recording_sandbox(tmp_path / "sandbox.json") as served:
        yield served


def test_optional_fields_are_sent_on_create_and_on_audited_update(
    tmp_path: Path, run_cli: Any, wire: tuple[str, FormRecorder]
) -> None:
    base_url, recorder = wire
    project = Project(tmp_path / "project", base_url)
    document = project.add("shop-opt", 4242, bank_phone_number=BANK_PHONE)
    document["account"].update(OPTIONAL_ACCOUNT)
    project.write_spec(document)

    def cli(*args: str) -> Any:
        return run_cli(*args, cwd=project.root)

    process = cli("apply", "--auto-approve", "--wait", "--format", "json")
    assert process.returncode == 0, process.stdout + process.stderr

    (account_form,) = recorder.sent_to("/account/create")
    sent = {**OPTIONAL_ACCOUNT, "license_end_time": "9999-12-31"}  # 长期, as the SDKs say it
    for name, value in sent.items():
        assert account_form.get(name) == str(value), name
    # Tried (and refused with 60014) while the developer config was in review, then accepted:
    # every attempt carries the optional field.
    creates = recorder.sent_to("/paymentservice/create")
    assert creates and all(form["bank_phone_number"] == BANK_PHONE for form in creates)
    assert recorder.accepted("/paymentservice/create") == 1

    # Sent and recorded alike: the next plan has nothing to do.
    assert cli("plan", "--detailed-exitcode").returncode == 0

    # An audited change resends the whole section, the optional field included.
    project.change_payment("shop-opt", payment_days=14)
    update = cli("apply", "--auto-approve", "--format", "json")
    assert update.returncode == 2, update.stdout + update.stderr
    actions = [step["action"] for step in app_result(result_json(update), "shop-opt")["steps"]]
    assert actions == ["update_bind_service"]
    (bind_form,) = recorder.sent_to("/paymentservice/updatebindservice")
    assert bind_form["payment_days"] == "14"
    assert bind_form["bank_phone_number"] == BANK_PHONE


def test_a_changed_optional_account_field_is_a_change_of_the_account(
    tmp_path: Path, run_cli: Any, wire: tuple[str, FormRecorder]
) -> None:
    """The fingerprint covers the optional fields: adding one to an approved account is `manual`."""
    base_url, _recorder = wire
    project = Project(tmp_path / "project", base_url)
    document = project.add("shop-opt", 4243)
    process = run_cli("apply", "--auto-approve", "--wait", cwd=project.root)
    assert process.returncode == 0, process.stdout + process.stderr

    document["account"]["license_start_time"] = "2020-01-01"
    project.write_spec(document)
    plan = run_cli("plan", "--format", "json", "--detailed-exitcode", cwd=project.root)
    assert plan.returncode == 2, plan.stdout + plan.stderr
    steps = result_json(plan)["apps"][0]["steps"]
    assert [(step["action"], step["section"]) for step in steps] == [("manual", "account")]
