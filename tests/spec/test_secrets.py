"""Secrets of smartpay.yaml are resolved where they are used (issue 14.6).

An unset `${env:}` under `events:` (or any other secret of smartpay.yaml) made validate, plan
and state fail in PR checks and pre-commit hooks that have no such secret. Now the config
loads; the command that needs the value says which variable is missing, at its line.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from smartpay_apply.config import load_project_config, secret_fields
from smartpay_apply.errors import ConfigError
from smartpay_apply.events.settings import receiver_configured, receiver_settings
from smartpay_apply.yamldoc.refs import UnresolvedSecret

KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def write(root: Path, text: str) -> None:
    (root / "smartpay.yaml").write_text(text, encoding="utf-8")


def test_the_secrets_of_smartpay_yaml() -> None:
    assert secret_fields() >= {
        "events.token",
        "events.encoding_aes_key",
        "credentials.access_token",
        "credentials.tp.tp_token",
    }
    assert "events.tp_client_id" not in secret_fields()


def test_an_unset_secret_loads_and_fails_where_it_is_used(tmp_path: Path) -> None:
    write(
        tmp_path,
        "events:\n  token: ${env:EVENTS_TOKEN}\n  encoding_aes_key: ${file:secrets/aes.txt}\n",
    )
    config = load_project_config(tmp_path, None, environ={})
    assert isinstance(config.events.token, UnresolvedSecret)
    assert "EVENTS_TOKEN" not in repr(config)
    with pytest.raises(ConfigError) as caught:
        config.events.token.get_secret_value()
    assert str(caught.value) == (
        "smartpay.yaml:2:10: events.token: environment variable EVENTS_TOKEN is not set "
        "(used as ${env:EVENTS_TOKEN}; set it or give a default: ${env:EVENTS_TOKEN:-value})"
    )
    with pytest.raises(ConfigError) as caught:
        receiver_settings(config.events, environ={})
    assert str(caught.value).startswith("smartpay.yaml:2:10: events.token: environment variable")
    with pytest.raises(ConfigError) as caught:
        receiver_settings(config.events, environ={"SMARTPAY_EVENTS_TOKEN": "t"})
    assert str(caught.value) == (
        "smartpay.yaml:3:21: events.encoding_aes_key: ${file:secrets/aes.txt}: no such file "
        f"({tmp_path.resolve()}/secrets/aes.txt)"
    )
    settings = receiver_settings(
        config.events, environ={"SMARTPAY_EVENTS_TOKEN": "t", "SMARTPAY_EVENTS_AES_KEY": KEY}
    )
    assert settings.token == "t" and settings.key is not None


def test_a_set_secret_is_resolved_at_load(tmp_path: Path) -> None:
    write(tmp_path, "events:\n  token: ${env:EVENTS_TOKEN}\n")
    config = load_project_config(tmp_path, None, environ={"EVENTS_TOKEN": "s3cret"})
    assert config.events.token is not None
    assert not isinstance(config.events.token, UnresolvedSecret)
    assert config.events.token.get_secret_value() == "s3cret"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "events:\n  token: ${vault:x}\n",
            "smartpay.yaml:2:10: events.token: unknown reference '${vault:x}' (allowed: ${env:NAME}, ${env:NAME:-default}, ${file:path})",
        ),
        (
            "events:\n  tp_client_id: ${env:TP_CLIENT}\n",
            "smartpay.yaml:2:17: events.tp_client_id: environment variable TP_CLIENT is not set (used as ${env:TP_CLIENT}; set it or give a default: ${env:TP_CLIENT:-value})",
        ),
        (
            "credentials:\n  access_token: ''\n",
            "smartpay.yaml:2:17: credentials.access_token: must not be empty",
        ),
    ],
)
def test_what_is_still_a_load_error(tmp_path: Path, text: str, expected: str) -> None:
    """A mistake in the file (not a missing value), and a non-secret setting, stay load errors."""
    write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_project_config(tmp_path, None, environ={})
    assert str(caught.value) == "invalid project config:\n" + expected


def test_project_credentials_with_an_unset_token_load(tmp_path: Path) -> None:
    write(tmp_path, "credentials:\n  access_token: ${env:TOKEN}\n")
    config = load_project_config(tmp_path, None, environ={})
    assert config.credentials is not None
    assert isinstance(config.credentials.access_token, UnresolvedSecret)
    with pytest.raises(ConfigError) as caught:
        config.credentials.access_token.get_secret_value()
    assert str(caught.value).startswith(
        "smartpay.yaml:2:17: credentials.access_token: environment variable TOKEN is not set"
    )


def test_unresolved_secrets_compare_by_where_they_came_from(tmp_path: Path) -> None:
    write(tmp_path, "events:\n  token: ${env:A}\n  encoding_aes_key: ${env:A}\n")
    config = load_project_config(tmp_path, None, environ={})
    token, key = config.events.token, config.events.encoding_aes_key
    assert token == load_project_config(tmp_path, None, environ={}).events.token
    assert token != key and hash(token) != hash(key)
    assert str(token) == "**********"


@pytest.mark.parametrize(
    ("events", "environ", "expected"),
    [
        ("", {}, False),
        ("events:\n  allow_plaintext: true\n", {}, True),
        (f"events:\n  token: t\n  encoding_aes_key: {KEY}\n", {}, True),
        ("events:\n  token: t\n", {}, False),
        (f"events:\n  encoding_aes_key: {KEY}\n", {}, False),
        ("events:\n  token: t\n  encoding_aes_key: short\n", {}, False),
        ("", {"SMARTPAY_EVENTS_TOKEN": "t", "SMARTPAY_EVENTS_AES_KEY": KEY}, True),
        ("events:\n  token: t\n", {"SMARTPAY_EVENTS_AES_KEY": KEY}, True),
        ("", {"SMARTPAY_EVENTS_TOKEN": "t", "SMARTPAY_EVENTS_AES_KEY": "bad"}, False),
        ("", {"SMARTPAY_EVENTS_TOKEN": " ", "SMARTPAY_EVENTS_AES_KEY": KEY}, False),
        ("events:\n  token: ${env:T}\n  encoding_aes_key: ${env:K}\n", {}, False),
        (
            "events:\n  token: ${env:T}\n  encoding_aes_key: ${env:K}\n",
            {"SMARTPAY_EVENTS_TOKEN": "t", "SMARTPAY_EVENTS_AES_KEY": KEY},
            True,
        ),
    ],
)
def test_receiver_configured(
    tmp_path: Path, events: str, environ: dict[str, str], expected: bool
) -> None:
    """apply/plan ask whether pushes can be verified: the environment counts (as the docs say),
    an unset ${env:} counts as absent, and nothing raises."""
    write(tmp_path, "endpoint: sandbox\n" + events)
    config = load_project_config(tmp_path, None, environ={})
    assert receiver_configured(config, environ=environ) is expected


def test_receiver_configured_reads_the_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "endpoint: sandbox\n")
    config = load_project_config(tmp_path, None, environ={})
    monkeypatch.setenv("SMARTPAY_EVENTS_TOKEN", "t")
    monkeypatch.setenv("SMARTPAY_EVENTS_AES_KEY", KEY)
    assert receiver_configured(config) is True


def test_validate_plan_and_state_work_without_the_receiver_secrets(run_cli, tmp_path: Path) -> None:
    """The PR-check case: the receiver's secrets exist only where `events serve` runs."""
    import shutil

    from tests.spec.conftest import QUICKSTART

    project = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART, project, ignore=shutil.ignore_patterns(".smartpay"))
    config = project / "smartpay.yaml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + "events:\n  token: ${env:RECEIVER_TOKEN}\n  encoding_aes_key: ${env:RECEIVER_AES_KEY}\n",
        encoding="utf-8",
    )
    line = config.read_text(encoding="utf-8").splitlines().index("events:") + 2
    for command in (["validate"], ["plan"], ["state", "show"]):
        result = run_cli(*command, cwd=project)
        assert result.returncode in (0, 2), (command, result.stderr)
        assert "RECEIVER_TOKEN" not in result.stderr, command
    served = run_cli("events", "serve", cwd=project)
    assert served.returncode == 1
    assert served.stderr == (
        f"Error: smartpay.yaml:{line}:10: events.token: environment variable RECEIVER_TOKEN is not "
        "set (used as ${env:RECEIVER_TOKEN}; set it or give a default: "
        "${env:RECEIVER_TOKEN:-value})\n"
    )


def test_the_command_that_needs_a_project_token_names_the_missing_variable(
    run_cli, tmp_path: Path
) -> None:
    """validate does not need the project's default token; `dict --refresh` does, and says
    which variable is missing and where it is used."""
    (tmp_path / "smartpay.yaml").write_text(
        "endpoint: sandbox\ncredentials:\n  access_token: ${env:PROJECT_TOKEN}\n", encoding="utf-8"
    )
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "a.yaml").write_text("app: a\napp_id: 7\n", encoding="utf-8")
    assert run_cli("validate", cwd=tmp_path).returncode == 0
    refreshed = run_cli("dict", "--refresh", cwd=tmp_path)
    assert refreshed.returncode == 1
    assert refreshed.stderr == (
        "Error: smartpay.yaml:3:17: credentials.access_token: environment variable PROJECT_TOKEN "
        "is not set (used as ${env:PROJECT_TOKEN}; set it or give a default: "
        "${env:PROJECT_TOKEN:-value})\n"
    )
