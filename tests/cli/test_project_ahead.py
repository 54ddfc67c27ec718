"""`plan` and `apply` read the project in a forked child while they start (`forking.Ahead`):
what they print, and how they fail on a wrong spec or config, is exactly what reading it in
one process gives (`SMARTPAY_READ_PROCESSES=1`): problems early and late, a duplicate across
the files, smartpay.yaml missing or wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.projects import spec_document, write_config

COUNT = 30


def write_fleet(root: Path, *, wrong: bool) -> Path:
    """COUNT spec files; with `wrong`, a broken rule early, another late, and a late spec
    with an early one's app_id."""
    write_config(root, "sandbox")
    (root / "specs").mkdir()
    for n in range(COUNT):
        document = spec_document(f"shop-{n:03d}", 30_000 + n)
        if wrong and n == 2:
            document["payment_service"]["commission_rate"] = "seven"
        if wrong and n == COUNT - 3:
            document["account"]["bank_card"] = "not a card"
        if wrong and n == COUNT - 1:
            document["app_id"] = 30_001
        (root / "specs" / f"shop-{n:03d}.yaml").write_text(json.dumps(document), "utf-8")
    return root


@pytest.mark.parametrize("output", [[], ["--format", "json"]], ids=["text", "json"])
def test_a_plan_is_the_same_read_ahead_or_in_one_process(
    run_cli, tmp_path: Path, output: list[str]
) -> None:  # type: ignore[no-untyped-def]
    root = write_fleet(tmp_path, wrong=False)
    ahead = run_cli("plan", *output, cwd=root)
    single = run_cli("plan", *output, cwd=root, env={"SMARTPAY_READ_PROCESSES": "1"})
    assert ahead.returncode == 0, ahead.stderr
    assert (ahead.stdout, ahead.stderr) == (single.stdout, single.stderr)
    if output:
        assert [app["app"] for app in json.loads(ahead.stdout)["apps"]] == [
            f"shop-{n:03d}" for n in range(COUNT)
        ]


def test_wrong_specs_fail_the_plan_as_in_one_process(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = write_fleet(tmp_path, wrong=True)
    ahead = run_cli("plan", cwd=root)
    single = run_cli("plan", cwd=root, env={"SMARTPAY_READ_PROCESSES": "1"})
    assert (ahead.returncode, ahead.stdout, ahead.stderr) == (
        single.returncode,
        single.stdout,
        single.stderr,
    )
    assert ahead.returncode == 1
    assert "Traceback" not in ahead.stderr
    for where in ("specs/shop-002.yaml", f"specs/shop-{COUNT - 3:03d}.yaml", "app_id"):
        assert where in ahead.stderr


@pytest.mark.parametrize(
    ("setup", "args"),
    [
        (lambda root: None, []),  # no smartpay.yaml anywhere up from here
        (lambda root: (root / "smartpay.yaml").write_text("version: 1\nconcurrency: many\n"), []),
        (lambda root: (root / "smartpay.yaml").write_text("version: [\n"), []),
        (lambda root: write_fleet(root, wrong=False), ["--config", "elsewhere.yaml"]),
    ],
    ids=["no-config", "invalid-field", "not-yaml", "missing-config-file"],
)
def test_a_wrong_project_config_fails_the_plan_as_in_one_process(
    run_cli, tmp_path: Path, setup, args: list[str]
) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "project"
    root.mkdir()
    setup(root)
    ahead = run_cli(*args, "plan", cwd=root)
    single = run_cli(*args, "plan", cwd=root, env={"SMARTPAY_READ_PROCESSES": "1"})
    assert (ahead.returncode, ahead.stdout, ahead.stderr) == (
        single.returncode,
        single.stdout,
        single.stderr,
    )
    assert ahead.returncode != 0
    assert ahead.stderr.strip() and "Traceback" not in ahead.stderr


def test_an_apply_is_the_same_read_ahead_or_in_one_process(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Two copies of one fleet against the embedded sandbox: the same result, the same order
    (Baidu refuses these specs' id-card URLs, never uploaded: the same refusal for each)."""
    (tmp_path / "ahead").mkdir()
    (tmp_path / "single").mkdir()
    ahead_root = write_fleet(tmp_path / "ahead", wrong=False)
    single_root = write_fleet(tmp_path / "single", wrong=False)
    args = ("apply", "--auto-approve", "--format", "json")
    ahead = run_cli(*args, cwd=ahead_root)
    single = run_cli(*args, cwd=single_root, env={"SMARTPAY_READ_PROCESSES": "1"})
    assert (ahead.returncode, ahead.stderr) == (single.returncode, single.stderr)
    assert "account/create: errno 60011" in ahead.stderr
    done = [(app["app"], app.get("status")) for app in json.loads(ahead.stdout)["apps"]]
    assert done == [(app["app"], app.get("status")) for app in json.loads(single.stdout)["apps"]]
    assert [name for name, _ in done] == [f"shop-{n:03d}" for n in range(COUNT)]


@pytest.mark.parametrize(
    "setup",
    [
        lambda root: write_fleet(root, wrong=True),
        lambda root: (root / "smartpay.yaml").write_text("version: 1\nconcurrency: many\n"),
        lambda root: None,
    ],
    ids=["wrong-specs", "invalid-config", "no-config"],
)
def test_a_wrong_project_fails_an_apply_as_in_one_process(run_cli, tmp_path: Path, setup) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "project"
    root.mkdir()
    setup(root)
    ahead = run_cli("apply", "--auto-approve", cwd=root)
    single = run_cli("apply", "--auto-approve", cwd=root, env={"SMARTPAY_READ_PROCESSES": "1"})
    assert (ahead.returncode, ahead.stdout, ahead.stderr) == (
        single.returncode,
        single.stdout,
        single.stderr,
    )
    assert ahead.returncode == 1
    assert ahead.stderr.startswith("Error: ") and "Traceback" not in ahead.stderr
