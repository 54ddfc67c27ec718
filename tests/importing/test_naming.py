"""Names an import makes up: spec names from --name-template, and the variables of secrets."""

from __future__ import annotations

import pytest

from smartpay_apply.errors import UsageError
from smartpay_apply.importing.naming import check_template, spec_name, variable_name


def test_variable_names_follow_from_the_app_name_alone() -> None:
    assert variable_name("shop-beijing", "bank_card") == "SMARTPAY_SHOP_BEIJING_BANK_CARD"
    assert variable_name("app-20230001", "bank_card") == "SMARTPAY_APP_20230001_BANK_CARD"


def test_the_template_gives_each_app_id_its_name() -> None:
    assert spec_name("app-{app_id}", 20230001) == "app-20230001"
    assert spec_name("shop-{app_id}-cn", 7) == "shop-7-cn"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("app-{name}", "unknown placeholder {name} (allowed: {app_id})"),
        ("app-{app_id", "--name-template 'app-{app_id'"),
    ],
)
def test_a_template_that_cannot_make_names_is_refused(template: str, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        check_template(template)
    assert message in str(raised.value)


def test_a_template_giving_an_invalid_name_says_which() -> None:
    with pytest.raises(UsageError) as raised:
        spec_name("Shop_{app_id}", 7)
    assert "gives 'Shop_7' for 7: 'Shop_7' is not a valid name" in str(raised.value)
