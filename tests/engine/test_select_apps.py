"""Choosing mini-programs by `--app` / `APP`: by name or app_id, names first."""

from __future__ import annotations

import pytest

from smartpay_apply.engine.planner import select_apps
from smartpay_apply.errors import UsageError
from smartpay_apply.spec.models import AppSpec

SPECS = [
    AppSpec(app="shop", app_id=123),
    AppSpec(app="123", app_id=456),
    AppSpec(app="cafe", app_id=789),
]


def names(specs: list[AppSpec]) -> list[str]:
    return [spec.app for spec in specs]


def test_no_names_selects_every_spec():
    assert names(select_apps(SPECS, [])) == ["shop", "123", "cafe"]


def test_an_app_id_selects_its_spec():
    assert names(select_apps(SPECS, ["789"])) == ["cafe"]


def test_an_all_digit_name_wins_over_an_equal_app_id():
    # "123" is both shop's app_id and the name of another spec: the name is meant.
    assert names(select_apps(SPECS, ["123"], option="APP")) == ["123"]


def test_unknown_names_are_listed_with_the_known_ones():
    with pytest.raises(UsageError) as caught:
        select_apps(SPECS, ["shopp"], option="APP")
    assert (
        str(caught.value) == "APP shopp: no such mini-program in the specs (known: shop, 123, cafe)"
    )
