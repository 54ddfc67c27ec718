"""smartpay.yaml: discovery from the working directory upward, validation, env overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartpay_apply.config import load_project_config
from smartpay_apply.errors import ConfigError


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_found_from_a_subdirectory_with_defaults_filled(tmp_path: Path) -> None:
    write(tmp_path / "smartpay.yaml", "endpoint: sandbox\n")
    (tmp_path / "specs" / "deep").mkdir(parents=True)
    config = load_project_config(tmp_path / "specs" / "deep", None, environ={})
    assert config.root == tmp_path.resolve()
    assert config.path == (tmp_path / "smartpay.yaml").resolve()
    assert config.endpoint == "sandbox"
    assert config.state == ".smartpay/state.db"
    assert config.specs == ["specs/**/*.yaml"]
    assert config.concurrency == 16
    assert config.timeout == 10
    assert config.apply.payout_change_max_share == 0.25
    assert config.apply.wait_timeout == "30m"
    assert config.events.allow_plaintext is False
    assert config.credentials is None


def test_missing_config_names_the_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_project_config(tmp_path, None, environ={})
    assert str(caught.value) == (
        f"no smartpay.yaml found in {tmp_path.resolve()} or any parent; create one or pass --config"
    )


def test_explicit_config_file_is_used(tmp_path: Path) -> None:
    path = write(
        tmp_path / "conf" / "prod.yaml", "endpoint: https://openapi.example.com/\nconcurrency: 4\n"
    )
    config = load_project_config(tmp_path, path, environ={})
    assert config.root == (tmp_path / "conf").resolve()
    assert config.endpoint == "https://openapi.example.com"
    assert config.concurrency == 4


def test_explicit_config_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_project_config(tmp_path, tmp_path / "nope.yaml", environ={})
    assert str(caught.value) == "nope.yaml: no such file; create it or fix --config"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "endpoint: ftp://x\n",
            "smartpay.yaml:1:11: endpoint: must be 'sandbox' or an http(s) URL (got 'ftp://x')",
        ),
        (
            "concurency: 4\n",
            "smartpay.yaml:1:1: concurency: unknown field (did you mean 'concurrency'?)",
        ),
        (
            "concurrency: 0\n",
            "smartpay.yaml:1:14: concurrency: 0 is out of range (allowed: a whole number from 1 to 256)",
        ),
        (
            "version: 2\n",
            "smartpay.yaml:1:10: version: 2 is not a supported format version (allowed: 1)",
        ),
        (
            "apply:\n  payout_change_max_shar: 0.5\n",
            "smartpay.yaml:2:3: apply.payout_change_max_shar: unknown field (did you mean 'payout_change_max_share'?)",
        ),
        (
            "events:\n  port: 99999\n",
            "smartpay.yaml:2:9: events.port: 99999 is out of range (allowed: a whole number from 1 to 65535)",
        ),
        (
            "specs: []\n",
            'smartpay.yaml:1:8: specs: must list at least one glob pattern, e.g. ["specs/**/*.yaml"]',
        ),
        ("root: /etc\n", "smartpay.yaml:1:1: root: unknown field (set by the tool)"),
        (
            "endpoint: [\n",
            "smartpay.yaml:2:1: invalid YAML: while parsing a flow node did not find expected node content",
        ),
        (
            "events:\n  port: ${env:EVENTS_PORT}\n",
            "smartpay.yaml:2:9: events.port: environment variable EVENTS_PORT is not set (used as ${env:EVENTS_PORT}; set it or give a default: ${env:EVENTS_PORT:-value})",
        ),
    ],
)
def test_config_problems_name_line_and_column(tmp_path: Path, text: str, expected: str) -> None:
    write(tmp_path / "smartpay.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_project_config(tmp_path, None, environ={})
    assert str(caught.value) == "invalid project config:\n" + expected


def test_env_references_work_in_the_config(tmp_path: Path) -> None:
    write(
        tmp_path / "smartpay.yaml",
        "events:\n  token: ${env:EVENTS_TOKEN}\n  tp_client_id: ${env:TP_ID:-tp-1}\n",
    )
    config = load_project_config(tmp_path, None, environ={"EVENTS_TOKEN": "s3cret"})
    assert config.events.token is not None
    assert config.events.token.get_secret_value() == "s3cret"
    assert config.events.tp_client_id == "tp-1"
    assert "s3cret" not in repr(config)


def test_environment_overrides(tmp_path: Path) -> None:
    write(tmp_path / "smartpay.yaml", "endpoint: sandbox\nconcurrency: 2\n")
    env = {
        "SMARTPAY_ENDPOINT": "https://openapi.baidu.com",
        "SMARTPAY_STATE": "postgresql://db.internal/smartpay",
        "SMARTPAY_CONCURRENCY": "32",
    }
    config = load_project_config(tmp_path, None, environ=env)
    assert (config.endpoint, config.state, config.concurrency) == (
        "https://openapi.baidu.com",
        "postgresql://db.internal/smartpay",
        32,
    )


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        (
            "SMARTPAY_CONCURRENCY",
            "many",
            "SMARTPAY_CONCURRENCY: must be a whole number from 1 to 256 (got 'many')",
        ),
        (
            "SMARTPAY_CONCURRENCY",
            "0",
            "SMARTPAY_CONCURRENCY: must be a whole number from 1 to 256 (got '0')",
        ),
        (
            "SMARTPAY_CONCURRENCY",
            "9" * 5000,
            "SMARTPAY_CONCURRENCY: must be a whole number from 1 to 256 (got '999999999999999999999999999999...')",
        ),
        (
            "SMARTPAY_ENDPOINT",
            "openapi.baidu.com",
            "SMARTPAY_ENDPOINT: must be 'sandbox' or an http(s) URL (got 'openapi.baidu.com')",
        ),
    ],
)
def test_bad_environment_override_names_the_variable(
    tmp_path: Path, name: str, value: str, expected: str
) -> None:
    write(tmp_path / "smartpay.yaml", "endpoint: sandbox\n")
    with pytest.raises(ConfigError) as caught:
        load_project_config(tmp_path, None, environ={name: value})
    assert str(caught.value) == expected


def test_defaults_keep_their_references_for_the_specs(tmp_path: Path) -> None:
    write(
        tmp_path / "smartpay.yaml",
        "defaults:\n  credentials:\n    access_token: ${env:NOT_SET_HERE}\n",
    )
    config = load_project_config(tmp_path, None, environ={})
    assert config.defaults == {"credentials": {"access_token": "${env:NOT_SET_HERE}"}}


def test_project_credentials_default_has_the_spec_shape(tmp_path: Path) -> None:
    write(tmp_path / "smartpay.yaml", "credentials:\n  token_command: ./get-token.sh\n")
    config = load_project_config(tmp_path, None, environ={})
    assert config.credentials is not None
    assert config.credentials.token_command == "./get-token.sh"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "timeout: 1e400\n",
            "smartpay.yaml:1:10: timeout: 1E+400 is out of range (allowed: a number of seconds from 0.01 to 3600)",
        ),
        (
            "timeout: .inf\n",
            "smartpay.yaml:1:10: timeout: infinity is out of range (allowed: a number of seconds from 0.01 to 3600)",
        ),
        (
            "rate_limit: .nan\n",
            "smartpay.yaml:1:13: rate_limit: NaN is out of range (allowed: a number of requests per second from 0.01 to 10000)",
        ),
        (
            "rate_limit: 0\n",
            "smartpay.yaml:1:13: rate_limit: 0 is out of range (allowed: a number of requests per second from 0.01 to 10000)",
        ),
        (
            "concurrency: 99999999999999999999999999999\n",
            "smartpay.yaml:1:14: concurrency: 99999999999999999999999999999 is out of range (allowed: a whole number from 1 to 256)",
        ),
        (
            "concurrency: 2.5\n",
            "smartpay.yaml:1:14: concurrency: 2.5 is not a whole number (allowed: a whole number from 1 to 256)",
        ),
        (
            "events:\n  port: 1e999999\n",
            "smartpay.yaml:2:9: events.port: 1E+999999 is out of range (allowed: a whole number from 1 to 65535)",
        ),
        (
            "apply:\n  payout_change_max_share: 1e400\n",
            "smartpay.yaml:2:28: apply.payout_change_max_share: 1E+400 is out of range (allowed: a number from 0 to 1; the share of mini-programs, 0.25 is a quarter)",
        ),
        (
            "version: 1e400\n",
            "smartpay.yaml:1:10: version: 1E+400 is not a supported format version (allowed: 1)",
        ),
    ],
)
def test_config_numbers_out_of_range_are_located(tmp_path: Path, text: str, expected: str) -> None:
    """Issue 14.3: every numeric setting has a range; huge numbers are problems, not crashes."""
    write(tmp_path / "smartpay.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_project_config(tmp_path, None, environ={})
    assert str(caught.value) == "invalid project config:\n" + expected


def test_config_numbers_in_range_become_ints_and_floats(tmp_path: Path) -> None:
    write(
        tmp_path / "smartpay.yaml",
        'concurrency: "8"\ntimeout: 2.5\nrate_limit: 1e2\nevents:\n  port: 9090.0\n'
        "apply:\n  payout_change_max_share: 0.5\n",
    )
    config = load_project_config(tmp_path, None, environ={})
    assert (config.concurrency, config.timeout, config.rate_limit) == (8, 2.5, 100.0)
    assert (config.events.port, config.apply.payout_change_max_share) == (9090, 0.5)
    assert isinstance(config.events.port, int) and isinstance(config.timeout, float)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "apply:\n  wait_timeout: forever\n",
            "smartpay.yaml:2:17: apply.wait_timeout: invalid duration 'forever': use e.g. 90s, 10m, 1h or 1h30m",
        ),
        (
            "apply:\n  wait_timeout: 0s\n",
            "smartpay.yaml:2:17: apply.wait_timeout: '0s' is out of range (allowed: from 1s to 720h)",
        ),
        (
            "apply:\n  wait_timeout: 10000h\n",
            "smartpay.yaml:2:17: apply.wait_timeout: '10000h' is out of range (allowed: from 1s to 720h)",
        ),
        (
            "sandbox:\n  audit_policy: forever\n",
            "smartpay.yaml:2:17: sandbox.audit_policy: must be one of approve, reject, manual (got 'forever')",
        ),
        (
            "sandbox:\n  audit_delay: -1\n",
            "smartpay.yaml:2:16: sandbox.audit_delay: must not be negative",
        ),
        (
            "sandbox:\n  audit_dely: 1\n",
            "smartpay.yaml:2:3: sandbox.audit_dely: unknown field (did you mean 'audit_delay'?)",
        ),
        (
            "sandbox:\n  seed: 1e999999\n",
            "smartpay.yaml:2:9: sandbox.seed: 1E+999999 is out of range (allowed: a number from -9223372036854775808 to 9223372036854775807)",
        ),
        (
            "sandbox:\n  error_rate: .nan\n",
            "smartpay.yaml:2:15: sandbox.error_rate: NaN is out of range (allowed: a number from -9223372036854775808 to 9223372036854775807)",
        ),
        (
            "sandbox:\n  app_policies: {7: sometimes}\n",
            "smartpay.yaml:2:17: sandbox.app_policies: must be one of approve, reject, manual (got 'sometimes')",
        ),
    ],
)
def test_apply_and_sandbox_settings_are_checked_at_load_with_their_position(
    tmp_path: Path, text: str, expected: str
) -> None:
    """Issue 14.10: a bad wait_timeout or sandbox setting passed validate and plan, then failed
    later without file or key."""
    write(tmp_path / "smartpay.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_project_config(tmp_path, None, environ={})
    assert str(caught.value) == "invalid project config:\n" + expected


def test_every_config_problem_at_once(tmp_path: Path) -> None:
    write(
        tmp_path / "smartpay.yaml",
        "timeout: -1\napply:\n  wait_timeout: soon\nsandbox:\n  audit_policy: x\n  zzz: 1\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_project_config(tmp_path, None, environ={})
    assert [line.split(": ")[1] for line in str(caught.value).splitlines()[1:]] == [
        "timeout",
        "apply.wait_timeout",
        "sandbox.audit_policy",
        "sandbox.zzz",
    ]


def test_good_sandbox_and_apply_settings_load(tmp_path: Path) -> None:
    write(
        tmp_path / "smartpay.yaml",
        "apply:\n  wait_timeout: 1h30m\nsandbox:\n  audit_delay: 0.5\n  audit_policy: manual\n"
        "  app_policies: {7: reject}\n  seed: 42\n",
    )
    config = load_project_config(tmp_path, None, environ={})
    assert config.apply.wait_timeout == "1h30m"
    assert config.sandbox["audit_policy"] == "manual"


def test_the_controller_section_defaults_to_the_onboarding_chain_and_updates(
    tmp_path: Path,
) -> None:
    from smartpay_apply.config import CONTROLLER_ACTIONS
    from smartpay_apply.engine.steps import ENDPOINTS

    write(tmp_path / "smartpay.yaml", "endpoint: sandbox\n")
    config = load_project_config(tmp_path, None, environ={})
    assert config.controller.actions == list(CONTROLLER_ACTIONS)
    assert config.controller.resync == "10m"
    # Every write the engine knows is a controller action, and nothing else is.
    assert sorted(CONTROLLER_ACTIONS) == sorted(action.value for action in ENDPOINTS)

    write(
        tmp_path / "smartpay.yaml",
        "controller:\n  actions: [create_account, update_payment_service]\n  resync: 30s\n",
    )
    config = load_project_config(tmp_path, None, environ={})
    assert config.controller.actions == ["create_account", "update_payment_service"]
    assert config.controller.resync == "30s"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "controller:\n  actions: [create_acount]\n",
            "smartpay.yaml:2:12: controller.actions: unknown action 'create_acount' (allowed: "
            "create_account, submit_developer_config, create_payment_service, "
            "update_payment_service, update_bind_service)",
        ),
        (
            "controller:\n  resync: 0s\n",
            "smartpay.yaml:2:11: controller.resync: '0s' is out of range (allowed: from 1s to 24h)",
        ),
        (
            "controller:\n  resyn: 1m\n",
            "smartpay.yaml:2:3: controller.resyn: unknown field (did you mean 'resync'?)",
        ),
    ],
)
def test_controller_section_problems_are_located(tmp_path: Path, text: str, expected: str) -> None:
    write(tmp_path / "smartpay.yaml", text)
    with pytest.raises(ConfigError) as caught:
        load_project_config(tmp_path, None, environ={})
    assert str(caught.value) == "invalid project config:\n" + expected


def test_config_problems_pickled_keep_their_problems_and_message() -> None:
    """`plan` loads the project in a child process that sends its error back pickled."""
    import pickle

    from smartpay_apply.config import ConfigProblems
    from smartpay_apply.yamldoc.problems import Problem

    error = ConfigProblems(
        [Problem("smartpay.yaml", 2, 14, "concurrency", "expected a whole number")]
    )
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is ConfigProblems
    assert again.problems == error.problems
    assert str(again) == str(error)
