"""apply reads a large project's specs on two cores (issue 16: it reads every spec before it
plans): a forked child reads the last 45% of the files, as `validate` does. What a user sees
must be exactly what one process gives (`SMARTPAY_READ_PROCESSES=1`): the same problems, the
same exit, nothing sent to Baidu when a spec is wrong; and a spec the child read is applied as
written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from smartpay_apply.spec.loader import SPLIT_MIN_FILES
from tests.support.files import public_key_pem, tiny_png
from tests.support.projects import write_config
from tests.support.specs import VALID_SPEC

pytestmark = pytest.mark.slow  # 240 files read three times over the CLI

COUNT = SPLIT_MIN_FILES + 40


def spec_text(n: int) -> str:
    text = VALID_SPEC.replace("app: shop-beijing", f"app: shop-{n:04d}")
    text = text.replace("access_token: sandbox-12345678", f"access_token: sandbox-{20_000_000 + n}")
    return text.replace("app_id: 12345678", f"app_id: {20_000_000 + n}")


def fleet(root: Path, endpoint: str) -> Path:
    specs = root / "specs"
    (specs / "images").mkdir(parents=True)
    write_config(root, endpoint)
    (specs / "keys").mkdir()
    (specs / "images" / "front.png").write_bytes(tiny_png())
    (specs / "images" / "back.png").write_bytes(tiny_png())
    (specs / "keys" / "tp.pem").write_bytes(public_key_pem())
    for n in range(COUNT):
        (specs / f"shop-{n:04d}.yaml").write_text(spec_text(n), encoding="utf-8")
    return root


def test_a_problem_in_the_files_the_child_reads_is_reported_as_one_process_reports_it(
    run_cli: Any, tmp_path: Path, sandbox_factory: Any
) -> None:
    sandbox = sandbox_factory(audit_delay=0)
    root = fleet(tmp_path / "project", sandbox.base_url)
    last = root / "specs" / f"shop-{COUNT - 3:04d}.yaml"  # the child's share
    last.write_text(
        spec_text(COUNT - 3).replace("commission_rate: 6", "commission_rate: seven"),
        encoding="utf-8",
    )
    split = run_cli("apply", "--auto-approve", cwd=root)
    single = run_cli("apply", "--auto-approve", cwd=root, env={"SMARTPAY_READ_PROCESSES": "1"})
    assert (split.returncode, split.stdout, split.stderr) == (
        single.returncode,
        single.stdout,
        single.stderr,
    )
    assert split.returncode == 1
    assert f"specs/shop-{COUNT - 3:04d}.yaml:29:20: payment_service.commission_rate" in (
        split.stderr
    )
    assert sandbox.calls() == []  # nothing read, nothing written


def test_a_spec_the_child_read_is_applied_as_written(
    run_cli: Any, tmp_path: Path, sandbox_factory: Any
) -> None:
    sandbox = sandbox_factory(audit_delay=0)
    root = fleet(tmp_path / "project", sandbox.base_url)
    app = f"shop-{COUNT - 1:04d}"  # the last file: read by the child
    result = run_cli("apply", "--auto-approve", "--app", app, cwd=root)
    assert result.returncode in (0, 2), result.stdout + result.stderr
    sent = sandbox.app_state(20_000_000 + COUNT - 1)["account"]["submitted"]
    assert sent["legal_person"] == "张三"
    assert sent["business_detail_address"] == "海淀区上地十街10号"
    assert {call["app_id"] for call in sandbox.calls() if call["app_id"]} == {
        20_000_000 + COUNT - 1
    }
