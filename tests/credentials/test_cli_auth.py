"""`smartpay-apply auth add|status|refresh` end to end: the real CLI against the sandbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from smartpay_apply.credentials import vault
from smartpay_apply.state import open_store
from tests.credentials.conftest import CLIENT_ID, STATE_KEY
from tests.support.cli import invoke

ENV = {"SMARTPAY_STATE_KEY": STATE_KEY}


@pytest.fixture
def project(
    tmp_path: Path, sandbox_factory: Any, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Any]:
    """smartpay.yaml with a project-wide tp default, three specs, and a pushed ticket stored."""
    monkeypatch.setenv("SMARTPAY_STATE_KEY", STATE_KEY)
    sandbox = sandbox_factory(tp_client_id=CLIENT_ID)
    (tmp_path / "smartpay.yaml").write_text(
        f"endpoint: {sandbox.base_url}\n"
        "state: state.db\n"
        "specs: ['specs/*.yaml']\n"
        f"events:\n  tp_client_id: {CLIENT_ID}\n"
        "credentials:\n  tp: {}\n"
    )
    specs = tmp_path / "specs"
    specs.mkdir()
    (specs / "shop.yaml").write_text("app: shop\napp_id: 3101\n")
    (specs / "cafe.yaml").write_text("app: cafe\napp_id: 3102\n")
    (specs / "static.yaml").write_text(
        "app: static\napp_id: 3103\ncredentials:\n  access_token: literal-token\n"
    )
    with open_store(str(tmp_path / "state.db"), base_dir=tmp_path) as store:
        vault.write(store, vault.TICKET_KEY, vault.Expiring(sandbox.tp_ticket(), None))
    return tmp_path, sandbox


def test_add_status_refresh(run_cli: Any, project: tuple[Path, Any]) -> None:
    root, sandbox = project
    outputs: list[str] = []

    def cli(*args: str) -> Any:
        result = run_cli("-vv", *args, cwd=root, env=ENV)  # debug logs are scanned for secrets too
        outputs.extend([result.stdout, result.stderr])
        return result

    status = cli("auth", "status", "--format", "json")
    assert status.returncode == 1  # shop and cafe have no credentials yet
    document = json.loads(status.stdout)
    states = {row["app"]: row["state"] for row in document["apps"]}
    assert states == {"shop": "missing", "cafe": "missing", "static": "static"}
    assert document["tp"] == {"ticket": True, "tp_token_expires_at": None}

    codes = [sandbox.tp_authorize(3101), sandbox.tp_authorize(3102)]
    added = cli("auth", "add", "shop", "--authorization-code", codes[0])
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith(
        "Stored credentials for shop (app_id 3101); access token valid until "
    )
    added = run_cli(
        "auth", "add", "3102", "--authorization-code", "-", cwd=root, env=ENV, input=codes[1] + "\n"
    )
    outputs.extend([added.stdout, added.stderr])
    assert added.returncode == 0, added.stderr
    assert "Stored credentials for cafe (app_id 3102)" in added.stdout

    status = cli("auth", "status")
    assert status.returncode == 0, status.stdout
    lines = status.stdout.splitlines()
    assert lines[0].startswith("TP: ticket received; TP token valid until ")
    assert lines[0].endswith(" +08:00")
    assert lines[1].split() == [
        "app",
        "app_id",
        "source",
        "state",
        "refresh_token",
        "access_token_expires_at",
    ]
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert rows["shop"][:5] == ["shop", "3101", "tp", "ok", "stored"]
    assert rows["shop"][-1] == "+08:00"  # Beijing time, like every listing
    assert rows["static"] == ["static", "3103", "access_token", "static", "-", "-"]
    [shop] = [
        r
        for r in json.loads(cli("auth", "status", "--format", "json").stdout)["apps"]
        if r["app"] == "shop"
    ]
    assert shop["access_token_expires_at"].endswith("+08:00")

    sandbox.clear_calls()
    refreshed = cli("auth", "refresh")
    assert refreshed.returncode == 0, refreshed.stderr
    assert [line.split(":")[0] for line in refreshed.stdout.splitlines()] == [
        "shop (app_id 3101)",
        "cafe (app_id 3102)",
    ]
    assert len(sandbox.calls(path="/oauth/token")) == 2
    one = cli("auth", "refresh", "shop")
    assert one.returncode == 0 and one.stdout.startswith(
        "shop (app_id 3101): refreshed; valid until "
    )

    # Without SMARTPAY_STATE_KEY the status still says who has a refresh token (expiry unknown).
    keyless = run_cli(
        "auth", "status", "--format", "json", cwd=root, env={"SMARTPAY_STATE_KEY": ""}
    )
    assert keyless.returncode == 0, keyless.stderr
    rows = {row["app"]: row for row in json.loads(keyless.stdout)["apps"]}
    assert (rows["shop"]["state"], rows["shop"]["access_token_expires_at"]) == ("refreshable", None)

    with open_store(str(root / "state.db"), base_dir=root) as store:
        secrets = [
            *codes,
            store.get_secret(vault.refresh_token_key(3101)),
            store.get_secret(vault.refresh_token_key(3102)),
            vault.read(store, vault.access_token_key(3101)).value,
            vault.read(store, vault.TP_TOKEN_KEY).value,
            vault.read(store, vault.TICKET_KEY).value,
        ]
    everything = "".join(outputs)
    raw = b"".join(p.read_bytes() for p in root.glob("state.db*"))
    for secret in secrets:
        assert secret and secret not in everything
        assert secret.encode() not in raw


def test_add_with_a_used_code_is_a_clear_error(run_cli: Any, project: tuple[Path, Any]) -> None:
    root, sandbox = project
    code = sandbox.tp_authorize(3101)
    assert (
        run_cli("auth", "add", "shop", "--authorization-code", code, cwd=root, env=ENV).returncode
        == 0
    )
    again = run_cli("auth", "add", "shop", "--authorization-code", code, cwd=root, env=ENV)
    assert again.returncode == 1
    assert again.stderr.startswith("Error: ")
    assert "invalid_grant" in again.stderr
    assert code not in again.stderr
    assert "Traceback" not in again.stderr


def test_unknown_app_and_unauthorized_refresh(run_cli: Any, project: tuple[Path, Any]) -> None:
    root, _ = project
    unknown = run_cli("auth", "add", "nope", "--authorization-code", "x", cwd=root, env=ENV)
    assert unknown.returncode == 1
    assert unknown.stderr == (
        "Error: APP nope: no such mini-program in the specs or the state store "
        "(known: cafe, shop, static)\n"
    )
    refresh = run_cli("auth", "refresh", "shop", cwd=root, env=ENV)
    assert refresh.returncode == 1
    assert "re-authorize the mini-program shop" in refresh.stderr


def test_refresh_of_a_static_token_says_there_is_nothing_to_refresh(
    run_cli: Any, project: tuple[Path, Any]
) -> None:
    root, sandbox = project
    result = run_cli("auth", "refresh", "static", cwd=root, env=ENV)
    assert result.returncode == 1
    assert result.stderr.startswith(
        "Error: static uses a static credentials.access_token: there is nothing to refresh"
    )
    assert "ticket" not in result.stderr.lower()
    assert sandbox.calls(path="/oauth/token") == []


def test_refresh_of_a_token_command_says_it_runs_when_needed(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    (tmp_path / "smartpay.yaml").write_text("endpoint: sandbox\nspecs: ['specs/*.yaml']\n")
    (tmp_path / "specs" / "cmd.yaml").write_text(
        "app: cmd\napp_id: 3104\ncredentials:\n  token_command: echo t\n"
    )
    result = invoke("auth", "refresh", "3104", cwd=tmp_path)
    assert result.returncode == 1
    assert "cmd gets its token from credentials.token_command" in result.stderr


def test_status_counts_a_pushed_authorization_code(run_cli: Any, project: tuple[Path, Any]) -> None:
    root, sandbox = project
    code = sandbox.tp_authorize(3101)
    with open_store(str(root / "state.db"), base_dir=root) as store:  # as `events serve` stores it
        vault.write(store, vault.authorization_code_key(3101), vault.Expiring.lasting(code, 600))
    status = invoke("auth", "status", "--format", "json", cwd=root, env=ENV)
    rows = {row["app"]: row for row in json.loads(status.stdout)["apps"]}
    assert (rows["shop"]["state"], rows["shop"]["authorization_code"]) == ("authorized", True)
    assert rows["cafe"]["state"] == "missing"
    text = invoke("auth", "status", cwd=root, env=ENV).stdout
    assert "authorized: Baidu pushed an authorization code" in text
    assert code not in status.stdout + text
    # ... and it does work: the first use exchanges the code.
    refreshed = run_cli("auth", "refresh", "shop", cwd=root, env=ENV)
    assert refreshed.returncode == 0, refreshed.stderr
    rows = {
        row["app"]: row
        for row in json.loads(
            invoke("auth", "status", "--format", "json", cwd=root, env=ENV).stdout
        )["apps"]
    }
    assert (rows["shop"]["state"], rows["shop"]["authorization_code"]) == ("ok", False)


def test_add_accepts_an_app_id_not_yet_in_the_specs(
    run_cli: Any, project: tuple[Path, Any]
) -> None:
    root, sandbox = project
    code = sandbox.tp_authorize(3999)
    added = run_cli("auth", "add", "3999", "--authorization-code", code, cwd=root, env=ENV)
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("Stored credentials for 3999 (app_id 3999)")
    refused = invoke("auth", "refresh", "3998", cwd=root, env=ENV)
    assert refused.returncode == 1
    assert "APP 3998: no such mini-program" in refused.stderr


def test_commands_that_only_read_baidu_take_tp_tokens_from_the_store(
    run_cli: Any, project: tuple[Path, Any]
) -> None:
    """`dict --refresh` and `data` open the state store only for the tp: flow's tokens, use
    the access tokens `auth add` stored there, and leave it as they found it."""
    root, sandbox = project
    for app_id, name in ((3101, "shop"), (3102, "cafe")):
        code = sandbox.tp_authorize(app_id)
        added = run_cli("auth", "add", name, "--authorization-code", code, cwd=root, env=ENV)
        assert added.returncode == 0, added.stderr
    sandbox.clear_calls()

    refreshed = run_cli("dict", "--refresh", cwd=root, env=ENV)  # cafe: the first spec
    assert refreshed.returncode == 0, refreshed.stderr
    assert sandbox.calls(app_id=3102, path="/rest/2.0/smartapp/pay/paymentservice/dict")

    exported = run_cli(
        "data",
        "orders",
        "shop",
        "--format",
        "jsonl",
        "--from",
        "2026-11-20",
        "--to",
        "2026-11-21",
        cwd=root,
        env=ENV,
    )
    # Baidu answered for shop with its stored token: no payment service yet, not a token error.
    assert exported.returncode == 1 and "errno 60008" in exported.stderr, exported.stderr
    assert sandbox.calls(app_id=3101, path="/rest/2.0/smartapp/pay/paymentservice/orderlist")
    assert sandbox.calls(path="/oauth/token") == []  # the stored access tokens did
