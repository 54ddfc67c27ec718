"""apply against other runs and against being killed: locks, and convergence after SIGKILL.

Real CLI processes (started with Popen so a test can act while they run), the sandbox over real
HTTP, and its call log as the witness of what was sent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.apply.conftest import both_backends
from tests.apply.project import CREATES, Project, paths, writes


@pytest.fixture(params=["sqlite", "postgres"])
def state_location(request: pytest.FixtureRequest) -> str:
    """Processes racing over one store: on both backends (their locking SQL differs)."""
    return both_backends(request)


def start_cli(project: Project, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "PYTHONUNBUFFERED": "1",
        "SMARTPAY_PROGRESS_INTERVAL": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "smartpay_apply", *args],
        cwd=project.root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def creates(sandbox: Any, app_id: int | None = None) -> list[str]:
    """The creates Baidu accepted (a create refused with 60014 while the developer config is
    still in review changed nothing)."""
    return [p for p in writes(sandbox.calls(app_id=app_id)) if p in CREATES]


def test_concurrent_applies_of_one_mini_program(
    project: Project, run_cli: Any, sandbox: Any
) -> None:
    sandbox.set_policy(1001, "manual")  # the first run waits for an audit, holding the lock
    project.add("shop-a", 1001)
    first = start_cli(project, "apply", "--auto-approve", "--wait", "--wait-timeout", "2m")
    try:
        # Submitted the account, now polling its (manual) audit while holding the lock.
        wait_until(lambda: "/account/create" in paths(sandbox.calls(app_id=1001)))
        time.sleep(0.3)

        # A second run without --lock-timeout fails cleanly, naming the holder; nothing sent.
        posts_before = [c for c in sandbox.calls() if c["method"] == "POST"]
        second = run_cli("apply", "--auto-approve", "--wait", cwd=project.root)
        assert second.returncode == 1, second.stdout + second.stderr
        assert "mini-program 1001 is locked by" in second.stdout
        assert f":{first.pid} (run r-" in second.stdout
        assert [c for c in sandbox.calls() if c["method"] == "POST"] == posts_before

        # A third one waits for the lock, then finds nothing left to do.
        third = start_cli(project, "apply", "--auto-approve", "--wait", "--lock-timeout", "2m")
        time.sleep(1.0)
        sandbox.set_policy(1001, "approve")  # the pending audit is decided on the next poll
        first_out, first_err = first.communicate(timeout=120)
        assert first.returncode == 0, first_out + first_err
        third_out, third_err = third.communicate(timeout=120)
        assert third.returncode == 0, third_out + third_err
        assert "No changes" in third_out
    finally:
        for process in (first,):
            if process.poll() is None:
                process.kill()
                process.wait()
    assert creates(sandbox) == ["/account/create", "/paymentservice/create"]


@pytest.mark.parametrize("kill_after", ["/account/create", "/paymentservice/create"])
def test_killed_apply_converges_when_run_again(
    project: Project, run_cli: Any, sandbox: Any, kill_after: str
) -> None:
    app_ids = (1001, 1002, 1003)
    for number, app_id in enumerate(app_ids):
        project.add(f"shop-{'abc'[number]}", app_id)
    victim = start_cli(project, "apply", "--auto-approve", "--wait")
    try:
        wait_until(lambda: kill_after in paths(sandbox.calls()))
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=30)
    assert victim.returncode == -signal.SIGKILL

    again = run_cli("apply", "--auto-approve", "--wait", cwd=project.root)
    assert again.returncode == 0, (
        again.stdout + again.stderr
    )  # the dead run's locks were taken over
    for app_id in app_ids:
        assert creates(sandbox, app_id) == ["/account/create", "/paymentservice/create"], app_id
        state = sandbox.app_state(app_id)
        assert (state["account"]["status"], state["bind_service"]["open_status"]) == (4, 2)
    with project.store() as store:
        for app_id in app_ids:
            assert store.get_submission(app_id, "account") is not None
            assert store.get_submission(app_id, "developer_config") is not None
        assert store.list_locks() == [] or all(lock.expired for lock in store.list_locks())
    # What the store remembers matches the specs: nothing left to do.
    plan = run_cli("plan", "--detailed-exitcode", cwd=project.root)
    assert plan.returncode == 0, plan.stdout + plan.stderr


def test_dropped_connections_converge_and_nothing_is_lost(
    project: Project, run_cli: Any, sandbox: Any
) -> None:
    """Answers lost after Baidu acted (the connection drops mid-response): creates come back as
    "already exists" and are confirmed by a read; the developer config's unknown outcome is
    settled by resending the same values. A few runs converge; the store ends consistent."""
    app_ids = (1001, 1002, 1003)
    for number, app_id in enumerate(app_ids):
        project.add(f"shop-{'abc'[number]}", app_id)
    sandbox.set_faults(drop_rate=0.3)
    outcomes = []
    for _ in range(6):
        process = run_cli("apply", "--auto-approve", "--wait", cwd=project.root)
        outcomes.append(process.returncode)
        assert "Traceback" not in process.stderr and "Internal error" not in process.stderr, (
            process.stderr
        )
        if process.returncode == 0:
            break
    sandbox.clear_faults()
    assert outcomes[-1] == 0, outcomes
    for app_id in app_ids:
        state = sandbox.app_state(app_id)
        assert (state["account"]["status"], state["bind_service"]["open_status"]) == (4, 2)
    plan = run_cli("plan", "--detailed-exitcode", cwd=project.root)
    assert plan.returncode == 0, plan.stdout + plan.stderr


def test_wait_follows_the_developer_config_through_received_events(
    tmp_path: Any, sandbox: Any, run_cli: Any, state_location: str
) -> None:
    """With an event receiver configured, the payment service is created only once the
    developer config's PASS event is stored (here: written as the receiver would), never
    tried before; and --wait after a developer config submitted on its own stops the
    mini-program with Baidu's reason when a FAIL event arrives."""
    from smartpay_apply.state import AuditEvent
    from smartpay_apply.timeutil import now

    project = Project(
        tmp_path / "events-project",
        sandbox.base_url,
        state=state_location,
        events={"token": "push-token", "encoding_aes_key": "a" * 43},
    )
    document = project.add("shop-a", 1001)

    def push(event: str, reason: str | None = None) -> None:
        with project.store() as store:
            store.record_event(
                AuditEvent(
                    app_id=1001, tp_app_id=10000, event=event, event_time=now(), reason=reason
                )
            )

    onboarding = start_cli(project, "apply", "--auto-approve", "--wait", "--wait-timeout", "2m")
    try:
        wait_until(lambda: "/developconfig/submit" in paths(sandbox.calls(app_id=1001)))
        time.sleep(1.0)  # the developer config's audit is decided meanwhile, but not pushed
        assert onboarding.poll() is None  # waiting for the PASS event
        assert "/paymentservice/create" not in paths(sandbox.calls(app_id=1001))
        push("APP_PAYMENT_UPDATE_DEVELOP_CONFIG_PASS")
        out, err = onboarding.communicate(timeout=120)
    finally:
        if onboarding.poll() is None:
            onboarding.kill()
            onboarding.wait()
    assert onboarding.returncode == 0, out + err
    assert creates(sandbox, 1001) == ["/account/create", "/paymentservice/create"]
    assert not [c for c in sandbox.calls(app_id=1001) if c["errno"] not in (0, None)]

    document["developer_config"]["pay_notify_url"] = "https://tp.example.test/pay/notify-v2"
    project.write_spec(document)
    sandbox.clear_calls()
    waiting = start_cli(project, "apply", "--auto-approve", "--wait", "--wait-timeout", "2m")
    try:
        wait_until(lambda: "/developconfig/submit" in paths(sandbox.calls(app_id=1001)))
        time.sleep(0.5)
        assert waiting.poll() is None  # still waiting: no outcome event yet
        push("APP_PAYMENT_UPDATE_DEVELOP_CONFIG_FAIL", "回调地址不可达")
        out, err = waiting.communicate(timeout=120)
    finally:
        if waiting.poll() is None:
            waiting.kill()
            waiting.wait()
    assert waiting.returncode == 1, out + err
    assert "shop-a: developer config: rejected: 回调地址不可达" in err
    assert "developer config: rejected by Baidu: 回调地址不可达" in out
