"""One rule for naming a mini-program (selection.py), and every command following it."""

from __future__ import annotations

from pathlib import Path

import pytest

from smartpay_apply.errors import UsageError
from smartpay_apply.selection import KnownApp, merged_apps, resolve, select_specs
from smartpay_apply.state import AuditEvent, open_store
from smartpay_apply.timeutil import now, parse_baidu_time
from tests.support.cli import invoke

KNOWN = [KnownApp(101, "shop"), KnownApp(202, "cafe"), KnownApp(303, "101")]


def test_a_name_picks_its_app():
    assert resolve("cafe", KNOWN) == KnownApp(202, "cafe")
    assert resolve("  cafe ", KNOWN).app_id == 202


def test_an_app_id_picks_its_app():
    assert resolve("202", KNOWN) == KnownApp(202, "cafe")


def test_an_all_digit_name_wins_over_another_apps_app_id():
    assert resolve("101", KNOWN) == KnownApp(303, "101")
    assert resolve("303", KNOWN) == KnownApp(303, "101")


def test_unknown_names_and_ids_are_one_clear_error():
    with pytest.raises(UsageError) as raised:
        resolve("tea", KNOWN)
    assert (
        str(raised.value) == "APP tea: no such mini-program in the specs (known: 101, cafe, shop)"
    )
    with pytest.raises(UsageError, match="APP 999: no such mini-program"):
        resolve("999", KNOWN)
    with pytest.raises(UsageError, match="APP ٢٠٢: no such"):  # only ASCII digits are an app_id
        resolve("٢٠٢", KNOWN)


def test_a_name_recorded_for_two_app_ids_asks_for_the_id():
    known = [KnownApp(1, "old"), KnownApp(2, "old")]
    with pytest.raises(UsageError, match=r"APP old: names several mini-programs \(1, 2\)"):
        resolve("old", known)


def test_the_specs_names_win_over_names_the_store_recorded():
    class Spec:
        def __init__(self, app: str, app_id: int) -> None:
            self.app, self.app_id = app, app_id

    known = merged_apps([Spec("shop", 101)], {101: "old-shop", 404: None, 505: "tea"})  # type: ignore[list-item]
    assert known == [KnownApp(101, "shop"), KnownApp(404, None), KnownApp(505, "tea")]


def test_select_specs_keeps_spec_order_and_reports_every_unknown_name():
    class Spec:
        def __init__(self, app: str, app_id: int) -> None:
            self.app, self.app_id = app, app_id

    specs = [Spec("shop", 101), Spec("cafe", 202), Spec("101", 303)]
    assert [s.app for s in select_specs(specs, ["cafe", "shop"])] == ["shop", "cafe"]  # type: ignore[type-var]
    assert [s.app for s in select_specs(specs, [])] == ["shop", "cafe", "101"]  # type: ignore[type-var]
    assert [s.app for s in select_specs(specs, ["101"])] == ["101"]  # type: ignore[type-var]
    with pytest.raises(UsageError) as raised:
        select_specs(specs, ["tea", "cafe", "x"])  # type: ignore[type-var]
    assert str(raised.value).startswith("--app tea, x: no such mini-program in the specs")


# ------------------------------------------------------------------ every command, same rule


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Specs `shop` (101) and `101` (303, an all-digit name); the store knows 404 from an event."""
    (tmp_path / "specs").mkdir()
    (tmp_path / "smartpay.yaml").write_text(
        'version: 1\nendpoint: http://127.0.0.1:9\nspecs: ["specs/*.yaml"]\n'
    )
    for name, app_id in (("shop", 101), ("101", 303)):
        (tmp_path / "specs" / f"s{app_id}.yaml").write_text(
            f'app: "{name}"\napp_id: {app_id}\ncredentials:\n  access_token: x\n'
        )
    with open_store(".smartpay/state.db", base_dir=tmp_path) as store:
        store.record_submission(303, "account", "a" * 64, app="101", at=now())
        store.record_event(
            AuditEvent(
                app_id=404,
                tp_app_id=None,
                event="APP_PAYMENT_CREATE_ACCOUNT_PASS",
                event_time=parse_baidu_time("2030-01-14 12:45:10"),
            )
        )
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ["state", "show", "{app}", "--format", "json"],
        ["state", "history", "{app}"],
        ["unlock", "{app}"],
        ["events", "list", "--app", "{app}"],
        ["state", "forget", "{app}", "--section", "payment_service", "--yes"],
    ],
)
def test_store_commands_resolve_names_and_ids_alike(project: Path, args: list[str]) -> None:
    # "101" is the name of app 303 (a name wins over app 101's id): both mean app 303.
    by_name, by_id = (
        invoke(*[a.format(app=app) for a in args], cwd=project) for app in ("101", "303")
    )
    assert (by_name.returncode, by_id.returncode) == (0, 0), (by_name, by_id)
    assert by_name.stdout == by_id.stdout
    unknown = invoke(*[a.format(app="nope") for a in args], cwd=project)
    assert unknown.returncode == 1
    assert "nope: no such mini-program in the specs or the state store (known: 101, 404, shop)" in (
        unknown.stderr
    )


def test_an_app_only_the_store_knows_is_found_by_its_id(project: Path) -> None:
    result = invoke("events", "list", "--app", "404", "--format", "json", cwd=project)
    assert result.returncode == 0, result.stderr
    assert '"app_id": 404' in result.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["output", "{app}"],
        ["data", "orders", "{app}", "--from", "2024-01-01", "--to", "2024-01-02"],
        ["data", "payout", "{app}", "7"],
        ["plan", "--app", "{app}"],
    ],
)
def test_spec_commands_name_the_unknown_app_the_same_way(project: Path, args: list[str]) -> None:
    result = invoke(*[a.format(app="nope") for a in args], cwd=project)
    assert result.returncode == 1
    option = "--app" if "--app" in args else "APP"
    assert result.stderr == (
        f"Error: {option} nope: no such mini-program in the specs (known: 101, shop)\n"
    )
