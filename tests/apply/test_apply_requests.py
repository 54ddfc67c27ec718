"""What `apply --wait` asks Baidu, request by request: the least onboarding needs.

Issue 16: every request counts. Under the run's lock nothing but the run writes, so the
re-plan after an account wait takes the status the poll just read (and the payment service as
last seen), and the re-plan after a payment-service write or wait reads only the service.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.apply.project import Project, paths


@pytest.fixture
def sandbox(sandbox_factory: Any) -> Any:
    """Audits approved at once."""
    return sandbox_factory(audit_delay=0, audit_policy="approve")


def requests(sandbox: Any, app_id: int) -> list[str]:
    return [
        f"{call['method']} {path}"
        for call, path in zip(
            sandbox.calls(app_id=app_id), paths(sandbox.calls(app_id=app_id)), strict=True
        )
    ]


def test_onboarding_with_wait_sends_seven_requests(
    project: Project, apply_cli: Any, sandbox: Any
) -> None:
    project.add("shop-a", 1001)
    process = apply_cli("apply", "--auto-approve", "--wait", "--format", "json")
    assert process.returncode == 0, process.stdout + process.stderr
    sent = requests(sandbox, 1001)
    # The plan's two reads go out together: their order is the network's.
    assert sorted(sent[:2]) == ["GET /account/auditstatus", "GET /paymentservice/getbindservice"]
    assert sent[2:] == [
        "POST /account/create",
        "GET /account/auditstatus",  # the wait's first poll: approved at once
        "POST /developconfig/submit",
        "POST /paymentservice/create",
        "GET /paymentservice/getbindservice",  # the re-plan sees it approved
    ]
    assert sandbox.app_state(1001)["bind_service"]["open_status"] == 2


def test_a_slow_audit_is_polled_and_the_service_read_again_after_it(
    sandbox_factory: Any, tmp_path: Any, run_cli: Any
) -> None:
    """With audits that take a while, the account is never read again once a poll saw it
    approved; the payment service is read again after its create and after its wait."""
    slow = sandbox_factory(audit_delay=0.3, audit_policy="approve")
    project = Project(tmp_path / "slow", slow.base_url)
    project.add("shop-a", 1001)
    process = run_cli("apply", "--auto-approve", "--wait", "--format", "json", cwd=project.root)
    assert process.returncode == 0, process.stdout + process.stderr
    sent = requests(slow, 1001)
    approved_at = sent.index("POST /developconfig/submit")
    assert "GET /account/auditstatus" not in sent[approved_at:]
    assert sent[approved_at:].count("POST /paymentservice/create") >= 1
    assert sent[-1] == "GET /paymentservice/getbindservice"
    assert "GET /paymentservice/auditstatus" in sent  # the service's wait polled
    assert slow.app_state(1001)["bind_service"]["open_status"] == 2
