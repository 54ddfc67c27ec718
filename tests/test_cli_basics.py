"""The CLI's global contract: version, help, every registered command importable, clean errors."""

from __future__ import annotations

from smartpay_apply import __version__
from smartpay_apply.cli.main import COMMANDS


def test_version_prints_package_version(run_cli):
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"smartpay-apply, version {__version__}"


def test_help_lists_every_registered_command(run_cli):
    result = run_cli("--help")
    assert result.returncode == 0
    listed = {
        line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line.strip()
    }
    assert listed == set(COMMANDS)


def test_unknown_command_is_a_usage_error_without_traceback(run_cli):
    # Usage errors exit 1: 2 is reserved for "changes pending" / "audits in review".
    result = run_cli("frobnicate")
    assert result.returncode == 1
    assert "No such command 'frobnicate'" in result.stderr
    assert "Traceback" not in result.stderr


def test_chdir_option_rejects_missing_directory(run_cli, tmp_path):
    result = run_cli("-C", str(tmp_path / "nope"), "validate")
    assert result.returncode == 1
    assert "does not exist" in result.stderr
