"""`validate` of many files reads half of them in a forked child: what it reports is exactly
what reading them in one process reports (`SMARTPAY_READ_PROCESSES=1`), problems found in
either half, duplicates across the halves, and positions found late for specs the child read.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from smartpay_apply.spec.dictionary import DictCache, PaymentDictData
from smartpay_apply.spec.loader import SPLIT_MIN_FILES
from tests.support.files import public_key_pem, tiny_png
from tests.support.projects import write_config
from tests.support.specs import VALID_SPEC

pytestmark = pytest.mark.slow  # 240 files read five times over the CLI

COUNT = SPLIT_MIN_FILES + 40


def spec_text(n: int) -> str:
    text = VALID_SPEC.replace("app: shop-beijing", f"app: shop-{n:04d}")
    return text.replace("app_id: 12345678", f"app_id: {20_000_000 + n}")


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    """COUNT spec files with problems in both halves (sorted by name, as they are read)."""
    write_config(tmp_path, "sandbox")
    specs = tmp_path / "specs"
    (specs / "images").mkdir(parents=True)
    (specs / "keys").mkdir()
    (specs / "images" / "front.png").write_bytes(tiny_png())
    (specs / "images" / "back.png").write_bytes(tiny_png())
    (specs / "keys" / "tp.pem").write_bytes(public_key_pem())
    for n in range(COUNT):
        text = spec_text(n)
        if n == 3:  # first half: a rule broken
            text = text.replace("commission_rate: 6", "commission_rate: seven")
        if n == COUNT - 10:  # second half: the dictionary's problem, located late
            text = text.replace("bank_name: 招商银行", "bank_name: 招商银")
        if n == COUNT - 5:  # second half: the app_id of a spec in the first half
            text = text.replace(f"app_id: {20_000_000 + n}", "app_id: 20000001")
        (specs / f"shop-{n:04d}.yaml").write_text(text, encoding="utf-8")
    (specs / f"shop-{COUNT - 2:04d}-empty.yaml").write_text("# nothing yet\n", encoding="utf-8")
    DictCache(tmp_path / ".smartpay" / "dict.json").save(
        PaymentDictData(
            provinces={"北京市": ["海淀区", "朝阳区"]},
            banks=["招商银行", "工商银行", "浙商银行"],
            commission_rates={6: "千分之六"},
            payment_days={1: "T+1", 7: "T+7"},
        )
    )
    return tmp_path


@pytest.mark.parametrize("output", [[], ["--format", "json"]], ids=["text", "json"])
def test_validate_on_two_cores_reports_what_one_process_reports(
    run_cli, fleet: Path, output: list[str]
) -> None:  # type: ignore[no-untyped-def]
    split = run_cli("validate", *output, cwd=fleet)
    single = run_cli("validate", *output, cwd=fleet, env={"SMARTPAY_READ_PROCESSES": "1"})
    assert (split.returncode, split.stdout, split.stderr) == (
        single.returncode,
        single.stdout,
        single.stderr,
    )
    assert split.returncode == 1
    if output:
        found = {(item["path"], item["field"]) for item in json.loads(split.stdout)}
        assert found == {
            ("specs/shop-0003.yaml", "payment_service.commission_rate"),
            (f"specs/shop-{COUNT - 10:04d}.yaml", "payment_service.bank_name"),
            (f"specs/shop-{COUNT - 5:04d}.yaml", "app_id"),
            (None, None),  # the empty file's warning
        }
        return
    assert split.stderr.splitlines() == [
        f"warning: specs/shop-{COUNT - 2:04d}-empty.yaml: holds no spec (empty file)",
        "specs/shop-0003.yaml:29:20: payment_service.commission_rate: expected a number, got "
        "text (allowed: 6)",
        f"specs/shop-{COUNT - 10:04d}.yaml:24:14: payment_service.bank_name: unknown bank "
        "'招商银' (did you mean: 招商银行, 浙商银行, 工商银行?)",
        f"specs/shop-{COUNT - 5:04d}.yaml:2:9: app_id: 20000001 is also used at "
        "specs/shop-0001.yaml:2:9 (each mini-program needs exactly one spec)",
        f"3 problems found in {COUNT + 1} file(s)",
    ]


def test_validate_of_many_valid_files_counts_every_spec(run_cli, fleet: Path) -> None:  # type: ignore[no-untyped-def]
    for n in (3, COUNT - 10, COUNT - 5):
        (fleet / "specs" / f"shop-{n:04d}.yaml").write_text(spec_text(n), encoding="utf-8")
    (fleet / "specs" / f"shop-{COUNT - 2:04d}-empty.yaml").unlink()
    result = run_cli("validate", cwd=fleet)
    assert (result.returncode, result.stdout) == (0, f"{COUNT} specs valid\n")
