"""Ctrl-C (SIGINT) and SIGTERM during `apply --wait`: stop promptly, finish and record the write
under way, release the locks, print what was done, exit 130; the next apply converges.

The CLI runs in a subprocess with the signal delivered as a user's terminal (or a cancelled CI
job) would; the sandbox is real, over HTTP.
"""

from __future__ import annotations

import json
import os
import pty
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.apply.project import Project, writes
from tests.apply.wire import recording_sandbox


class RunningCli:
    """`python -m smartpay_apply ARGS` in the background, its stderr read line by line."""

    def __init__(self, cwd: Path, *args: str, stdin: int | None = None) -> None:
        env = {
            **os.environ,
            "NO_COLOR": "1",
            "PYTHONUNBUFFERED": "1",
            "SMARTPAY_PROGRESS_INTERVAL": "1",
        }
        env.pop("SMARTPAY_ENDPOINT", None)
        env.pop("SMARTPAY_STATE", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "smartpay_apply", *args],
            cwd=cwd,
            env=env,
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            # A shell without job control starts background jobs with SIGINT ignored; a user's
            # terminal does not: give the CLI the default disposition, as a terminal would.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        self.stderr_lines: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._stdout: list[str] = []
        threading.Thread(target=self._pump_stderr, daemon=True).start()
        threading.Thread(target=self._pump_stdout, daemon=True).start()

    def _pump_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._lines.put(line)
        self._lines.put(None)

    def _pump_stdout(self) -> None:
        assert self.process.stdout is not None
        self._stdout.append(self.process.stdout.read())

    def wait_for_stderr(self, text: str, timeout: float = 60) -> bool:
        """True once a stderr line contains `text`; False if the process ended first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._lines.get(timeout=0.1)
            except queue.Empty:
                continue
            if line is None:
                return False
            self.stderr_lines.append(line)
            if text in line:
                return True
        raise AssertionError(
            f"no {text!r} on stderr within {timeout} s:\n{''.join(self.stderr_lines)}"
        )

    def finish(self, timeout: float = 60) -> tuple[int, str, str]:
        code = self.process.wait(timeout=timeout)
        while True:
            try:
                line = self._lines.get(timeout=5)
            except queue.Empty:
                break
            if line is None:
                break
            self.stderr_lines.append(line)
        deadline = time.monotonic() + 5
        while not self._stdout and time.monotonic() < deadline:
            time.sleep(0.01)
        return code, "".join(self._stdout), "".join(self.stderr_lines)


def lock_list(run_cli: Any, root: Path) -> str:
    listed = run_cli("lock", "list", cwd=root)
    assert listed.returncode == 0, listed.stderr
    return str(listed.stdout)


def last_run_status(project: Project) -> tuple[str, list[str]]:
    with project.store() as store:
        (run,) = store.list_runs(limit=1)
        return run.status, [step.action for step in run.steps]


def test_ctrl_c_while_a_write_is_under_way_finishes_and_records_it(
    tmp_path: Path, run_cli: Any
) -> None:
    with recording_sandbox(tmp_path / "sandbox.json") as (base_url, recorder):
        project = Project(tmp_path / "project", base_url)
        project.add("shop-int", 5151)
        recorder.hold("/account/create")  # Baidu has the account; its answer is on the way

        cli = RunningCli(project.root, "apply", "--auto-approve", "--wait")
        assert recorder.reached.wait(60), "account/create never reached the sandbox"
        cli.process.send_signal(signal.SIGINT)
        cli.wait_for_stderr("interrupted: finishing create_account")
        recorder.release.set()
        code, out, err = cli.finish()

        assert code == 130, out + err
        assert "Traceback" not in err
        assert "Interrupted: locks released; run apply again to go on." in err
        assert "shop-int (app_id 5151): interrupted" in out
        assert "create_account (account/create): submitted" in out
        # The write that was under way is recorded, the run is marked aborted, no lock is left.
        with project.store() as store:
            assert store.get_submission(5151, "account") is not None
        assert last_run_status(project) == ("aborted", ["create_account"])
        assert lock_list(run_cli, project.root) == "No locks.\n"

        again = run_cli("apply", "--auto-approve", "--wait", cwd=project.root)
        assert again.returncode == 0, again.stdout + again.stderr
        assert len(recorder.sent_to("/account/create")) == 1  # never sent twice
        # The create may be tried (and refused, 60014) while the developer config is in
        # review; Baidu accepts it once.
        assert recorder.accepted("/paymentservice/create") == 1


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_while_waiting_for_an_audit(
    tmp_path: Path, run_cli: Any, sandbox: Any, signum: int
) -> None:
    project = Project(tmp_path / "project", sandbox.base_url)
    project.add("shop-w", 6161)
    sandbox.set_policy(6161, "manual", section="account")

    cli = RunningCli(project.root, "apply", "--auto-approve", "--wait", "--format", "json")
    cli.wait_for_stderr("shop-w: account: in review")
    cli.process.send_signal(signum)
    code, out, err = cli.finish()

    assert code == 130, out + err
    assert "Traceback" not in err
    document = json.loads(out)
    assert (document["exit_code"], document["interrupted"]) == (130, True)
    (app,) = document["apps"]
    assert app["status"] == "interrupted"
    # The developer config waits for the account's approval: only the account was sent.
    assert [(s["action"], s["result"]) for s in app["steps"]] == [("create_account", "submitted")]
    assert app["pending"] == [
        {"section": "account", "detail": "account in review (waiting was interrupted)"}
    ]
    assert last_run_status(project) == ("aborted", ["create_account"])
    assert lock_list(run_cli, project.root) == "No locks.\n"

    # The audit passes meanwhile; the next run goes on from there without resending anything.
    sandbox.approve(6161, "account")
    sandbox.clear_calls()
    again = run_cli("apply", "--auto-approve", "--wait", cwd=project.root)
    assert again.returncode == 0, again.stdout + again.stderr
    assert writes(sandbox.calls(app_id=6161)) == ["/developconfig/submit", "/paymentservice/create"]


def test_ctrl_c_at_the_confirmation_prompt_stops_at_once(
    tmp_path: Path, run_cli: Any, sandbox: Any
) -> None:
    """On a terminal, Ctrl-C at "Enter a value:" ends the run (it used to be ignored until Enter)."""
    project = Project(tmp_path / "project", sandbox.base_url)
    project.add("shop-p", 7171)
    primary, secondary = pty.openpty()
    try:
        cli = RunningCli(project.root, "apply", stdin=secondary)
        cli.wait_for_stderr("Do you want to perform these actions?")
        deadline = time.monotonic() + 30
        while cli.process.poll() is None and time.monotonic() < deadline:
            cli.process.send_signal(
                signal.SIGINT
            )  # again until it ends: the prompt may not be up yet
            time.sleep(0.5)
        code, out, err = cli.finish()
    finally:
        os.close(secondary)
        os.close(primary)

    assert code == 130, out + err
    assert "Interrupted: locks released; run apply again to go on." in err
    assert "Nothing was changed." in out
    assert writes(sandbox.calls()) == []
    assert lock_list(run_cli, project.root) == "No locks.\n"
    assert last_run_status(project) == ("aborted", [])


#: Moments after the start to send the signal: from start-up through locking, planning (the
#: sandbox answers after 60 ms), the writes and the wait for the audits.
MOMENTS = (0.2, 0.45, 0.7, 0.95, 1.2, 1.5, 1.9, 2.4, 3.0)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_at_any_moment_ends_cleanly(
    tmp_path: Path, run_cli: Any, sandbox_factory: Any, signum: int
) -> None:
    """Whenever the signal comes, the run ends the same clean way: exit 130 (never killed by
    the signal), no internal error, every lock released, the run recorded as ended — and the
    next apply converges without resending what was sent."""
    sandbox = sandbox_factory(audit_delay=0.3, latency_ms=60)
    for number, moment in enumerate(MOMENTS):
        root = tmp_path / f"p{number}"
        project = Project(root, sandbox.base_url)
        app_id = 8100 + number
        project.add(f"shop-{number}", app_id)
        cli = RunningCli(project.root, "apply", "--auto-approve", "--wait")
        time.sleep(moment)
        cli.process.send_signal(signum)
        code, out, err = cli.finish()

        where = f"signal after {moment} s (exit {code}):\n{out}\n{err}"
        assert code in (0, 130), where  # 0: the run had ended before the signal
        assert "Internal error" not in err and "Traceback" not in err, where
        assert lock_list(run_cli, root) == "No locks.\n", where
        with project.store() as store:
            runs = store.list_runs(limit=1)
        if runs:
            assert runs[0].status in ("aborted", "succeeded"), where
        if code == 130:
            assert "Interrupted" in err, where
        again = run_cli("apply", "--auto-approve", "--wait", cwd=root)
        assert again.returncode == 0, again.stdout + again.stderr
        creates = [
            call for call in sandbox.calls(app_id=app_id) if call["path"].endswith("/create")
        ]
        assert len([c for c in creates if c.get("errno", 0) == 0]) == 2, where
