"""--secrets-file: mode 0600, shell-loadable, and never where git would pick it up."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from smartpay_apply.errors import UsageError
from smartpay_apply.importing.secrets import check_location, write_secrets

GIT = shutil.which("git")


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


def repository(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    return root


def test_written_with_mode_0600_and_loadable_by_a_shell(tmp_path: Path) -> None:
    path = tmp_path / "secrets.env"
    write_secrets(path, {"SMARTPAY_A_BANK_CARD": "6217000010009876543", "ODD": "it's $x"})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    shown = subprocess.run(
        ["sh", "-c", f'set -a; . "{path}"; set +a; echo "$SMARTPAY_A_BANK_CARD|$ODD"'],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert shown == "6217000010009876543|it's $x\n"


def test_a_second_import_keeps_other_lines_and_replaces_its_own(tmp_path: Path) -> None:
    path = tmp_path / "secrets.env"
    write_secrets(path, {"A": "1", "B": "2"})
    path.write_text(path.read_text() + "# mine\nexport OTHER=x\n")
    write_secrets(path, {"B": "3", "C": "4"})
    lines = path.read_text().splitlines()
    assert [line for line in lines if not line.startswith("#")] == [
        "A=1",
        "B=3",
        "export OTHER=x",
        "C=4",
    ]
    assert "# mine" in lines
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_outside_a_repository_any_new_file_is_fine(tmp_path: Path) -> None:
    check_location(tmp_path / "secrets.env")


def test_an_existing_file_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secrets.env"
    path.write_text("A=1\n")
    path.chmod(0o644)
    with pytest.raises(UsageError, match=r"readable by others \(mode 0644\); run `chmod 600"):
        check_location(path)


@pytest.mark.skipif(GIT is None, reason="needs git")
def test_inside_the_work_tree_only_an_ignored_file_is_accepted(tmp_path: Path) -> None:
    root = repository(tmp_path)
    with pytest.raises(UsageError, match=r"is inside the git work tree .* and not ignored"):
        check_location(root / "secrets.env")
    (root / ".gitignore").write_text("*.env\n")
    check_location(root / "secrets.env")
    check_location(root / "deeper" / "secrets.env")  # a directory not made yet


@pytest.mark.skipif(GIT is None, reason="needs git")
def test_a_tracked_file_is_refused_even_if_a_pattern_matches(tmp_path: Path) -> None:
    root = repository(tmp_path)
    path = root / "secrets.env"
    path.write_text("A=1\n")
    path.chmod(0o600)
    git(root, "add", "secrets.env")
    (root / ".gitignore").write_text("*.env\n")
    with pytest.raises(UsageError, match="not ignored"):
        check_location(path)


@pytest.mark.skipif(GIT is None, reason="needs git")
def test_without_git_a_file_in_a_repository_is_refused_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = repository(tmp_path)
    empty = tmp_path / "no-git-here"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(UsageError, match="git is not installed, so whether the file is ignored"):
        check_location(root / "secrets.env")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    check_location(outside / "secrets.env")
