"""Global options before or after the subcommand, --color, shell completion, a fast --help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from smartpay_apply import __version__
from tests.fixtures_sandbox import SandboxHandle
from tests.support.cli import invoke
from tests.support.projects import spec_document, write_config


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "specs").mkdir(parents=True)
    (root / "smartpay.yaml").write_text(
        'version: 1\nendpoint: http://127.0.0.1:9\nspecs: ["specs/*.yaml"]\n'
    )
    for name, app_id in (("shop", 101), ("cafe", 202)):
        (root / "specs" / f"{name}.yaml").write_text(
            f"app: {name}\napp_id: {app_id}\ncredentials:\n  access_token: x\n"
        )
    return root


@pytest.mark.parametrize(
    "args",
    [
        ["-C", "{root}", "state", "history"],
        ["state", "history", "-C", "{root}"],
        ["state", "-C", "{root}", "history"],
        ["--config", "{root}/smartpay.yaml", "lock", "list"],
        ["lock", "list", "--config", "{root}/smartpay.yaml"],
    ],
)
def test_project_options_work_before_and_after_the_subcommand(
    project: Path, tmp_path: Path, args: list[str]
) -> None:
    result = invoke(*[a.format(root=project) for a in args], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout in ("No runs recorded.\n", "No locks.\n")


def test_c_is_applied_first_wherever_it_is_given(project: Path, tmp_path: Path) -> None:
    # --config relative to -C's directory, as `-C DIR --config FILE` always meant.
    result = invoke("lock", "list", "--config", "smartpay.yaml", "-C", str(project), cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_verbosity_adds_up_across_levels(project: Path) -> None:
    once = invoke("plan", "--app", "shop", "-v", cwd=project)
    twice = invoke("-v", "plan", "--app", "shop", "-v", cwd=project)
    assert " DEBUG smartpay_apply" not in once.stderr
    assert " DEBUG smartpay_apply" in twice.stderr  # -v ... -v is -vv


def test_debug_after_the_subcommand(project: Path) -> None:
    (project / "smartpay.yaml").write_text("version: 1\nendpoint: 3\n")
    quiet = invoke("plan", cwd=project)
    loud = invoke("plan", "--debug", cwd=project)
    assert quiet.returncode == loud.returncode == 1
    assert quiet.stderr.startswith("Error: ")


def test_version_still_works_and_only_before_the_subcommand(project: Path) -> None:
    assert invoke("--version", cwd=project).stdout == f"smartpay-apply, version {__version__}\n"
    assert invoke("plan", "--version", cwd=project).returncode == 1


def test_color_never_and_always_override_the_terminal_and_no_color(project: Path) -> None:
    from smartpay_apply.cli import context
    from smartpay_apply.cli.main import cli

    seen: dict[str, bool] = {}

    for choice in ("always", "never"):
        ctx = cli.make_context("smartpay-apply", ["--color", choice, "validate"])
        with ctx:
            seen[choice] = context.use_color()
    assert seen == {"always": True, "never": False}
    with cli.make_context("smartpay-apply", ["validate"]):
        assert context.use_color() is False  # auto: tests' stdout is not a terminal


def test_plan_text_is_coloured_only_when_asked(project: Path) -> None:
    from tests.support.projects import spec_document

    config = project / "smartpay.yaml"
    config.write_text(config.read_text().replace("http://127.0.0.1:9", "sandbox"))
    (project / "specs" / "shop.yaml").write_text(json.dumps(spec_document("shop", 101)))
    plain = invoke("plan", "--app", "shop", cwd=project)
    assert plain.returncode == 0, plain.stderr
    coloured = invoke("plan", "--app", "shop", "--color", "always", cwd=project)
    assert "\x1b[" not in plain.stdout
    assert "\x1b[" in coloured.stdout  # NO_COLOR is set by the test helper: --color always wins
    never = invoke("--color", "never", "plan", "--app", "shop", cwd=project)
    assert "\x1b[" not in never.stdout


def test_a_bad_color_value_is_a_usage_error(project: Path) -> None:
    result = invoke("plan", "--color", "sometimes", cwd=project)
    assert result.returncode == 1
    assert "Invalid value for '--color'" in result.stderr


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_the_script_for_each_shell(project: Path, shell: str) -> None:
    result = invoke("completion", shell, cwd=project)
    assert result.returncode == 0, result.stderr
    assert "_SMARTPAY_APPLY_COMPLETE" in result.stdout
    assert f"{shell}_complete" in result.stdout


def _complete(project: Path, words: str) -> list[str]:
    """What bash completion offers for the command line `words` (the last word incomplete)."""
    env = {
        **os.environ,
        "_SMARTPAY_APPLY_COMPLETE": "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split(" ")) - 1),
    }
    process = subprocess.run(
        [sys.executable, "-m", "smartpay_apply"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return [line.split(",", 1)[1] for line in process.stdout.splitlines()]


def test_app_names_and_ids_complete_for_app_arguments_and_options(project: Path) -> None:
    assert _complete(project, "smartpay-apply state show s") == ["shop"]
    assert sorted(_complete(project, "smartpay-apply plan --app ")) == ["cafe", "shop"]
    assert _complete(project, "smartpay-apply output 20") == ["202"]
    assert "forget" in _complete(project, "smartpay-apply state f")


#: What the start-up paths must not import: the commands themselves, the parts they run on,
#: and what only looks cheap (importlib.metadata cost ~50 ms of every start for the version).
HEAVY = (
    "uvicorn",
    "psycopg",
    "aiohttp",
    "httpx",
    "pydantic",
    "ruamel",
    "cryptography",
    "asyncio",
    "importlib.metadata",
    "rich",
    "smartpay_apply.sandbox",
    "smartpay_apply.engine",
    "smartpay_apply.state",
    "smartpay_apply.spec",
    "smartpay_apply.config",
    "smartpay_apply.api.pages",
)


def _imported_while(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> list[str]:
    """The heavy modules (and command modules) imported by running the CLI with `args`."""
    from smartpay_apply.cli.main import COMMANDS

    modules = sorted(
        {entry[0] if isinstance(entry, tuple) else entry for entry in COMMANDS.values()}
    )
    watched = [*HEAVY, *(target.split(":")[0] for target in modules)]
    code = (
        "import atexit, sys\n"
        f"watched = {watched!r}\n"
        "atexit.register(lambda: print('IMPORTED=' + ','.join("
        "m for m in watched if m in sys.modules), file=sys.stderr))\n"
        "from smartpay_apply.cli.main import run\n"
        f"sys.exit(run({args!r}))\n"
    )
    process = subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )
    line = next(line for line in process.stderr.splitlines() if line.startswith("IMPORTED="))
    return [name for name in line.removeprefix("IMPORTED=").split(",") if name]


@pytest.mark.parametrize(
    "args",
    [["--help"], ["-h"], ["--version"], ["frobnicate"], ["--no-such-option"]],
    ids=["help", "h", "version", "unknown-command", "unknown-option"],
)
def test_start_up_paths_import_no_command_and_nothing_heavy(
    tmp_path: Path, args: list[str]
) -> None:
    assert _imported_while(args, tmp_path) == []


def test_a_plan_against_an_http_endpoint_imports_neither_httpx_nor_the_data_pages(
    tmp_path: Path, sandbox: SandboxHandle
) -> None:
    """The network commands talk through aiohttp; httpx (~0.1 s to import, with rich and
    pygments behind its command line) is only for uploads and tests, and no TLS context is
    made for an http:// endpoint; the data exports' page models (~20 ms) are not built either."""
    write_config(tmp_path, sandbox.base_url)
    (tmp_path / "specs").mkdir()
    document = spec_document("shop", 4242)
    (tmp_path / "specs" / "shop.yaml").write_text(json.dumps(document), encoding="utf-8")
    imported = _imported_while(["plan", "--format", "json"], tmp_path)
    assert "aiohttp" in imported  # it did reach the network
    assert "httpx" not in imported
    assert "rich" not in imported
    assert "smartpay_apply.api.pages" not in imported


def test_a_plan_without_a_state_key_imports_no_cryptography(
    tmp_path: Path, sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cryptography (~20 ms to import) seals the store's secrets: only with SMARTPAY_STATE_KEY."""
    write_config(tmp_path, sandbox.base_url)
    (tmp_path / "specs").mkdir()
    document = spec_document("shop", 4243)
    (tmp_path / "specs" / "shop.yaml").write_text(json.dumps(document), encoding="utf-8")
    monkeypatch.delenv("SMARTPAY_STATE_KEY", raising=False)
    assert "cryptography" not in _imported_while(["plan"], tmp_path)
    keyed = _imported_while(["plan"], tmp_path, {"SMARTPAY_STATE_KEY": "k" * 32})
    assert "cryptography" in keyed


def test_completing_a_command_name_imports_no_command(tmp_path: Path) -> None:
    env = {
        "_SMARTPAY_APPLY_COMPLETE": "bash_complete",
        "COMP_WORDS": "smartpay-apply pl",
        "COMP_CWORD": "1",
    }
    assert _imported_while([], tmp_path, env) == []
    assert _complete(tmp_path, "smartpay-apply pl") == ["plan"]


def test_the_root_help_shows_each_command_as_its_own_help_does() -> None:
    """The table's summaries (shown without importing the commands) are each command's own
    first sentence, word for word: a new command or a reworded docstring updates both."""
    import click

    from smartpay_apply.cli.main import COMMANDS, cli

    ctx = click.Context(cli)
    for name, entry in COMMANDS.items():
        assert isinstance(entry, tuple), f"{name}: no summary in COMMANDS (cli/main.py docstring)"
        target, summary = entry
        module, attribute = target.split(":")
        command = getattr(__import__(module, fromlist=[attribute]), attribute)
        assert summary == command.get_short_help_str(limit=1000), name
        assert cli.get_command(ctx, name) is command


def test_the_version_is_the_installed_one() -> None:
    """One place for the version: the constant `--version` prints is what pip installed."""
    from importlib.metadata import version

    assert version("smartpay-apply") == __version__


def test_state_forget_is_in_the_help(tmp_path: Path) -> None:
    listed = invoke("state", "--help", cwd=tmp_path)
    assert "forget" in listed.stdout


def test_an_interrupt_wrapped_by_python_during_a_class_definition_is_an_interrupt() -> None:
    """A SIGINT landing in a field's `__set_name__` while a command imports its models comes
    out of Python 3.11 as a RuntimeError: the command ends as interrupted (130), not as a bug."""
    from click.testing import CliRunner

    from smartpay_apply.cli.main import RootGroup

    class Field:
        def __set_name__(self, owner: type, name: str) -> None:
            raise KeyboardInterrupt

    group = RootGroup(name="t")

    @group.command()
    def imports() -> None:
        type("Model", (), {"field": Field()})

    @group.command()
    def breaks() -> None:
        raise RuntimeError("a real bug")

    runner = CliRunner()
    interrupted = runner.invoke(group, ["imports"])
    assert interrupted.exit_code == 130
    assert "Interrupted." in interrupted.output
    assert "Internal error" not in interrupted.output
    bug = runner.invoke(group, ["breaks"])
    assert bug.exit_code == 1
    assert "Internal error: RuntimeError: a real bug" in bug.output
