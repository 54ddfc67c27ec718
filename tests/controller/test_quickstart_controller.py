"""docs/controller.md's "Try it against the sandbox", as a user runs it: the quickstart project,
its embedded sandbox pushing each audit outcome to the controller's own receiver, and no
command but `controller` until `status` shows the fleet in sync."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import free_port
from tests.controller.conftest import environment
from tests.support.waiting import wait_for

pytestmark = pytest.mark.slow

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart"
TRY_IT = """
events:
  token: sandbox-push-token
  encoding_aes_key: abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG
  tp_client_id: sandbox-tp-client-id
sandbox:
  webhook: http://127.0.0.1:{port}/
"""


def test_the_quickstart_onboards_itself_under_the_controller(tmp_path: Path, run_cli: Any) -> None:
    project = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART, project, ignore=shutil.ignore_patterns(".smartpay"))
    port = free_port()
    with (project / "smartpay.yaml").open("a", encoding="utf-8") as config:
        config.write(TRY_IT.format(port=port))
    log_path = tmp_path / "controller.log"
    with log_path.open("wb") as log:
        controller = subprocess.Popen(
            [sys.executable, "-m", "smartpay_apply", "controller", "--port", str(port)],
            cwd=project,
            env=environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:

        def status() -> dict[str, Any]:
            shown = run_cli("status", "--format", "json", cwd=project)
            assert shown.returncode == 0, shown.stderr
            return dict(json.loads(shown.stdout))

        assert wait_for(lambda: status()["summary"]["states"]["in-sync"] == 3, 90), (
            log_path.read_text()
        )
        # What the controller observed, as status shows it: the payment services' names too.
        names = {row["app"]: row["app_name"] for row in status()["apps"]}
        assert names["shop-beijing"] == "北京百货小店"
        assert names["tea-hangzhou"] == "龙井茶舍"
        controller.send_signal(signal.SIGTERM)
        assert controller.wait(60) == 0, log_path.read_text()
    finally:
        if controller.poll() is None:
            controller.kill()
            controller.wait(10)
    plan = run_cli("plan", "--detailed-exitcode", cwd=project)
    assert plan.returncode == 0, plan.stdout + plan.stderr
