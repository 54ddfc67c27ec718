"""The state commands as a user runs them: `state show`, `state history`, `lock list`, `unlock`.

The commands are the same code over either backend, so they run against SQLite here, plus one
pass over every command against PostgreSQL. They run in-process (tests/support/cli.py): no
signal, terminal or second process matters to them.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from smartpay_apply.state import AuditEvent, LockOwner, open_store
from smartpay_apply.state.schema import LATEST
from smartpay_apply.timeutil import now, parse_baidu_time
from tests.support.cli import invoke

from .conftest import KEY, new_postgres_schema, run_raw

SECRET = "24.refresh-token-that-must-never-show"


@pytest.fixture
def location(tmp_path: Path) -> str:
    """SQLite (see the module docstring); test_every_command_against_postgresql covers PostgreSQL."""
    return str(tmp_path / "nested" / "state.db")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project whose spec names mini-program 555 `demo-shop`, its store at `location`."""
    (tmp_path / "specs").mkdir()
    (tmp_path / "smartpay.yaml").write_text(
        'version: 1\nendpoint: sandbox\nspecs: ["specs/*.yaml"]\n'
    )
    (tmp_path / "specs" / "demo.yaml").write_text(
        "app: demo-shop\napp_id: 555\ncredentials:\n  access_token: x\n"
    )
    return tmp_path


@pytest.fixture
def cli(project: Path, location: str):
    env = {"SMARTPAY_STATE": location, "SMARTPAY_STATE_KEY": KEY}
    return lambda *args: invoke(*args, cwd=project, env=env)  # in-process: no signal or tty here


@pytest.fixture
def seeded(store, project):
    """What apply and the receiver would have left: submissions, events, a run, a lock, a secret."""
    submitted = now() - timedelta(hours=1)
    fingerprint = store.fingerprint("account", {"bank_card": "6217000010001234"})
    store.record_submission(555, "account", fingerprint, app="demo-shop", at=submitted)
    store.record_submission(777, "developer_config", "d" * 64, app="tea-house", at=submitted)
    store.record_event(
        AuditEvent(
            app_id=555,
            tp_app_id=9,
            event="APP_PAYMENT_CREATE_ACCOUNT_FAIL",
            event_time=parse_baidu_time("2030-01-14 12:45:10"),
            reason="证件照片模糊",
        )
    )
    run_id = store.start_run(
        command="apply plan.json", user="ci", host="runner-7", plan_checksum="sha256:" + "c" * 64
    )
    store.record_step(
        run_id, app_id=555, app="demo-shop", action="create", section="account", result="submitted"
    )
    store.record_step(
        run_id,
        app_id=777,
        app="tea-house",
        action="update",
        section="developer_config",
        result="submitted",
    )
    store.finish_run(run_id, "pending")
    store.put_secret("app/555/refresh_token", SECRET)
    return {"fingerprint": fingerprint, "run_id": run_id}


def test_state_show_lists_what_the_store_knows_without_secrets(cli, seeded):
    result = cli("state", "show")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "demo-shop (555)" in out and "tea-house (777)" in out
    assert seeded["fingerprint"][:12] in out
    assert seeded["fingerprint"] not in out  # a prefix only
    assert "rejected" in out and "证件照片模糊" in out
    assert "2030-01-14 12:45:10 +08:00  APP_PAYMENT_CREATE_ACCOUNT_FAIL" in out
    assert SECRET not in out and "6217000010001234" not in out


def test_state_show_one_app_by_name_as_json(cli, seeded):
    [app] = json.loads(cli("state", "show", "tea-house", "--json").stdout)
    assert (app["app_id"], app["app"]) == (777, "tea-house")
    assert [(s["section"], s["outcome"]) for s in app["submissions"]] == [
        ("developer_config", "pending")
    ]
    assert app["events"] == []


def test_an_unknown_app_is_a_clear_error(cli, seeded):
    result = cli("state", "show", "no-such-shop")
    assert result.returncode == 1
    assert result.stderr == (
        "Error: APP no-such-shop: no such mini-program in the specs or the state store "
        "(known: demo-shop, tea-house)\n"
    )


def test_state_history_shows_runs_and_steps(cli, seeded):
    result = cli("state", "history")
    assert result.returncode == 0, result.stderr
    assert seeded["run_id"] in result.stdout
    assert "ci@runner-7" in result.stdout and "apply plan.json" in result.stdout
    assert "demo-shop (555): create account -> submitted" in result.stdout
    [run] = json.loads(cli("state", "history", "555", "--json").stdout)
    assert run["status"] == "pending"
    assert [(s["app"], s["section"]) for s in run["steps"]] == [("demo-shop", "account")]


def test_lock_list_and_unlock_by_name(cli, store):
    store.acquire_lock(555, LockOwner(host="runner-7", pid=4242, run_id="r-stuck"), ttl=600)
    store.acquire_lock("credentials/555", LockOwner(host="h", pid=1, run_id="r-c"), ttl=600)
    listed = cli("lock", "list")
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split() == [
        "lock",
        "app",
        "host",
        "pid",
        "run_id",
        "acquired_at",
        "expires_at",
        "state",
    ]
    app_row = next(row for row in rows if row.startswith("555 "))
    assert app_row.split()[:5] == ["555", "demo-shop", "runner-7", "4242", "r-stuck"]
    assert app_row.endswith("+08:00  held")
    assert any(row.split()[:5] == ["credentials/555", "-", "h", "1", "r-c"] for row in rows)
    named = cli("unlock", "credentials/555")
    assert named.returncode == 0 and "Unlocked credentials/555" in named.stdout
    unlocked = cli("unlock", "demo-shop")
    assert unlocked.returncode == 0, unlocked.stderr
    assert "Unlocked demo-shop (555): the lock of runner-7:4242 (run r-stuck)" in unlocked.stdout
    assert store.list_locks() == []


def test_unlocking_what_is_not_locked_says_so_and_exits_0(cli, store):
    result = cli("unlock", "555")
    assert result.returncode == 0
    assert result.stdout == "demo-shop (555) is not locked: nothing to unlock.\n"


def test_times_are_beijing_time_in_text_and_iso_8601_in_json(cli, store):
    owner = LockOwner(host="runner-7", pid=4242, run_id="r-stuck")
    store.acquire_lock(555, owner, ttl=600)
    [info] = store.list_locks()
    [listed] = json.loads(cli("lock", "list", "--format", "json").stdout)
    expected = info.expires_at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert listed["expires_at"] == expected.isoformat(timespec="seconds")
    assert listed["state"] == "held"
    assert f"{expected:%Y-%m-%d %H:%M:%S} +08:00" in cli("lock", "list").stdout
    run_id = store.start_run(command="apply", user="ci", host="h", plan_checksum=None)
    [run] = json.loads(cli("state", "history", "--format", "json").stdout)
    assert run["run_id"] == run_id and run["started_at"].endswith("+08:00")
    [run_line] = cli("state", "history").stdout.splitlines()
    assert run_line.split()[:2] == [run_id, "running"]
    assert run_line.split()[4] == "+08:00"  # run_id, status, day, time, offset


@pytest.mark.parametrize(
    "args",
    [["state", "show"], ["state", "history"], ["lock", "list"]],
)
def test_listings_take_format_json_and_keep_the_json_alias(cli, seeded, args):
    by_format = cli(*args, "--format", "json")
    by_alias = cli(*args, "--json")
    assert by_format.returncode == by_alias.returncode == 0, by_format.stderr
    assert json.loads(by_format.stdout) == json.loads(by_alias.stdout)
    assert isinstance(json.loads(by_format.stdout), list)


def test_a_store_from_a_newer_version_is_refused_by_the_commands(cli, store, location):
    run_raw(
        location, f"UPDATE smartpay_meta SET value = '{LATEST + 3}' WHERE key = 'schema_version'"
    )
    result = cli("state", "show")
    assert result.returncode == 1
    assert "written by a newer smartpay-apply" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_corrupt_sqlite_store_is_a_clear_error(project):
    (project / ".smartpay").mkdir()
    (project / ".smartpay" / "state.db").write_bytes(os.urandom(8192))
    result = invoke("lock", "list", cwd=project)
    assert result.returncode == 1
    assert str(project / ".smartpay" / "state.db") in result.stderr and "corrupt" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_postgresql_store_is_a_clear_error(project):
    from tests.conftest import free_port

    url = f"postgresql://smartpay:hunter2-pw@127.0.0.1:{free_port()}/state"
    result = invoke("state", "history", cwd=project, env={"SMARTPAY_STATE": url})
    assert result.returncode == 1
    assert "cannot reach the state store postgresql://smartpay:****@127.0.0.1" in result.stderr
    assert "hunter2-pw" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["state", "show"],
        ["state", "show", "demo-shop"],
        ["state", "history"],
        ["state", "history", "555"],
        ["lock", "list"],
        ["lock", "list", "--format", "json"],
        ["events", "list"],
        ["unlock", "demo-shop"],
        ["state", "forget", "demo-shop", "--yes"],
    ],
)
def test_commands_that_find_no_store_answer_as_for_an_empty_one_and_create_nothing(project, args):
    before = sorted(project.rglob("*"))
    result = invoke(*args, cwd=project)
    assert result.returncode == 0, result.stderr
    assert sorted(project.rglob("*")) == before  # no .smartpay/, no state.db
    assert result.stderr == ""


def test_auth_status_without_a_store_creates_nothing(project):
    before = sorted(project.rglob("*"))
    result = invoke("auth", "status", "--format", "json", cwd=project)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["apps"][0]["state"] == "static"
    assert sorted(project.rglob("*")) == before


def test_a_store_is_created_owner_only_by_the_first_command_that_writes(project):
    assert (
        invoke("state", "show", cwd=project).stdout == "The state store has nothing recorded yet.\n"
    )
    assert not (project / ".smartpay").exists()
    with open_store(".smartpay/state.db", base_dir=project) as store:  # as apply does
        store.record_submission(555, "account", "a" * 64, app="demo-shop", at=now())
    path = project / ".smartpay" / "state.db"
    assert path.stat().st_mode & 0o077 == 0


def test_an_unknown_state_url_is_an_error_and_creates_nothing(project):
    before = sorted(project.rglob("*"))
    url = "mysql://ops:hunter2@db.example/state"
    for args in (["plan"], ["state", "show"], ["lock", "list"]):
        result = invoke(*args, cwd=project, env={"SMARTPAY_STATE": url})
        assert result.returncode == 1, args
        assert "unsupported URL scheme 'mysql://'" in result.stderr
        assert "postgresql+psycopg://" in result.stderr
        assert "hunter2" not in result.stdout + result.stderr
    assert sorted(project.rglob("*")) == before


def test_a_postgresql_psycopg_url_is_postgresql_not_a_file(project):
    url = "postgresql+psycopg://ops:hunter2@127.0.0.1:1/state"
    result = invoke("plan", cwd=project, env={"SMARTPAY_STATE": url})
    assert result.returncode == 1
    assert "cannot reach the state store postgresql://ops:****@127.0.0.1:1/state" in result.stderr
    assert "hunter2" not in result.stdout + result.stderr
    assert not any("hunter2" in str(path) for path in project.rglob("*"))


@pytest.mark.postgres
def test_every_command_against_postgresql(project, postgres_database, monkeypatch):
    url = new_postgres_schema(postgres_database)
    monkeypatch.setenv("SMARTPAY_STATE_KEY", KEY)
    with open_store(url, base_dir=project) as store:
        store.record_submission(555, "account", "e" * 64, app="demo-shop", at=now())
        store.record_event(
            AuditEvent(
                app_id=555,
                tp_app_id=9,
                event="APP_PAYMENT_CREATE_ACCOUNT_PASS",
                event_time=parse_baidu_time("2030-01-14 12:45:10"),
            )
        )
        run_id = store.start_run(command="apply", user="ci", host="runner-7", plan_checksum=None)
        store.record_step(
            run_id,
            app_id=555,
            app="demo-shop",
            action="create",
            section="account",
            result="submitted",
        )
        store.finish_run(run_id, "succeeded")
        store.acquire_lock(555, LockOwner(host="runner-7", pid=4242, run_id=run_id), ttl=600)
        store.put_secret("app/555/refresh_token", SECRET)
    env = {"SMARTPAY_STATE": url, "SMARTPAY_STATE_KEY": KEY}
    show = invoke("state", "show", "demo-shop", cwd=project, env=env)
    assert show.returncode == 0, show.stderr
    assert "eeeeeeeeeeee" in show.stdout and "approved" in show.stdout and SECRET not in show.stdout
    history = invoke("state", "history", "555", cwd=project, env=env)
    assert f"{run_id}  succeeded" in history.stdout
    [info] = json.loads(invoke("lock", "list", "--json", cwd=project, env=env).stdout)
    assert (info["app_id"], info["app"], info["pid"], info["expired"]) == (
        555,
        "demo-shop",
        4242,
        False,
    )
    unlocked = invoke("unlock", "demo-shop", cwd=project, env=env)
    assert unlocked.returncode == 0 and "Unlocked demo-shop (555)" in unlocked.stdout
    with open_store(url, base_dir=project) as store:
        assert store.list_locks() == []
