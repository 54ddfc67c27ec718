"""Every field rule of a spec: one line changed in a valid spec, one exact problem expected.

Each case asserts the whole line a user sees: `path:line:col: field.path: message`.
"""

from __future__ import annotations

import pytest

from tests.spec.conftest import VALID_SPEC, Project


def test_the_base_spec_is_valid(project: Project) -> None:
    project.spec()
    report = project.report()
    assert report.problems == []
    assert [spec.app for spec in report.specs] == ["shop-beijing"]


F = "specs/app.yaml"

RULE_CASES = [
    # identity
    (
        "app: shop-beijing",
        "app: Shop_Beijing",
        f"{F}:1:6: app: 'Shop_Beijing' is not a valid name (allowed: lower-case letters, digits and dashes, starting and ending with a letter or digit, at most 63 characters)",
    ),
    (
        "app: shop-beijing",
        "app: -shop",
        f"{F}:1:6: app: '-shop' is not a valid name (allowed: lower-case letters, digits and dashes, starting and ending with a letter or digit, at most 63 characters)",
    ),
    (
        "app_id: 12345678",
        "app_id: 0",
        f"{F}:2:9: app_id: 0 is out of range (allowed: a whole number from 1 to 9223372036854775807; Baidu's appid is a Long)",
    ),
    (
        "app_id: 12345678",
        "app_id: -5",
        f"{F}:2:9: app_id: -5 is out of range (allowed: a whole number from 1 to 9223372036854775807; Baidu's appid is a Long)",
    ),
    (
        "app_id: 12345678",
        "app_id: abc",
        f"{F}:2:9: app_id: expected a number, got text (allowed: a whole number from 1 to 9223372036854775807; Baidu's appid is a Long)",
    ),
    (
        "app_id: 12345678",
        "app_id: true",
        f"{F}:2:9: app_id: expected a number, not true/false (allowed: a whole number from 1 to 9223372036854775807; Baidu's appid is a Long)",
    ),
    (
        "app_id: 12345678",
        "app_id: 1.5",
        f"{F}:2:9: app_id: 1.5 is not a whole number (allowed: a whole number from 1 to 9223372036854775807; Baidu's appid is a Long)",
    ),
    (
        "app_id: 12345678",
        "app_id: 99999999999999999999999999",
        f"{F}:2:9: app_id: 99999999999999999999999999 is out of range (allowed: a whole number from 1 to 9223372036854775807; Baidu's appid is a Long)",
    ),
    (
        "app_id: 12345678",
        "app_id: 9223372036854775808",
        f"{F}:2:9: app_id: 9223372036854775808 is out of range (allowed: a whole number from 1 to 9223372036854775807; Baidu's appid is a Long)",
    ),
    # account
    (
        "  business_scope: 餐饮服务",
        "  business_scope: 餐",
        f"{F}:6:19: account.business_scope: must be 2-2000 characters long (it has 1)",
    ),
    (
        "  business_scope: 餐饮服务",
        "  business_scope: " + "食" * 2001,
        f"{F}:6:19: account.business_scope: must be 2-2000 characters long (it has 2001)",
    ),
    (
        "  legal_person: 张三",
        "  legal_person: Zhang San",
        f"{F}:10:17: account.legal_person: must be the name on the ID card: 1-25 Chinese characters",
    ),
    (
        "  legal_person: 张三",
        "  legal_person: " + "张" * 26,
        f"{F}:10:17: account.legal_person: must be the name on the ID card: 1-25 Chinese characters",
    ),
    (
        "  legal_id: 11010519491231002X",
        "  legal_id: 110105194912310021",
        f"{F}:11:13: account.legal_id: check digit is wrong (GB 11643): not a valid ID number",
    ),
    (
        "  legal_id: 11010519491231002X",
        "  legal_id: 1101051949123100",
        f"{F}:11:13: account.legal_id: must be 18 characters: 17 digits and a check digit 0-9 or X (it has 16)",
    ),
    (
        "  legal_id: 11010519491231002X",
        "  legal_id: 11010519491231002Y",
        f"{F}:11:13: account.legal_id: must be 17 digits followed by a check digit 0-9 or X",
    ),
    (
        "  id_card_front: images/front.png",
        "  id_card_front: images/missing.png",
        f"{F}:12:18: account.id_card_front: image file not found (paths are relative to this spec file)",
    ),
    (
        "  id_card_front: images/front.png",
        "  id_card_front: images/front.gif",
        f"{F}:12:18: account.id_card_front: must be a .bmp, .jpeg, .jpg or .png image file (relative to this spec file)",
    ),
    (
        "  id_card_back: images/back.png",
        "  id_card_back: keys/tp.pem",
        f"{F}:13:17: account.id_card_back: must be a .bmp, .jpeg, .jpg or .png image file (relative to this spec file)",
    ),
    (
        "  id_card_back: images/back.png",
        "  id_card_back_url: http://img.example.com/b.png\n  id_card_back: images/back.png",
        f"{F}:13:21: account.id_card_back_url: must be an https:// URL",
    ),
    (
        "  id_card_front: images/front.png",
        "  id_card_front_url: https://img.example.com/f.png\n  id_card_front: images/front.png",
        f"{F}:5:1: account: give exactly one of id_card_front_url (an uploaded image URL) or id_card_front (a local image file), not both",
    ),
    (
        "  id_card_back: images/back.png",
        "",
        f"{F}:5:1: account: give exactly one of id_card_back_url (an uploaded image URL) or id_card_back (a local image file), not neither",
    ),
    ("  business_city: 北京市", "", f"{F}:5:1: account.business_city: required field is missing"),
    (
        "  business_city: 北京市",
        "  business_city: ''",
        f"{F}:8:18: account.business_city: must not be empty",
    ),
    (
        "  business_city: 北京市",
        "  business_city: 北京市\n  industry_id: 0",
        f"{F}:9:16: account.industry_id: 0 is out of range (allowed: a whole number from 1 to 9223372036854775807; an id from getTradeIndustryList, a Long)",
    ),
    (
        "  business_city: 北京市",
        "  business_city: 北京市\n  license_start_time: 2020-13-01",
        f"{F}:9:23: account.license_start_time: must be a real date YYYY-MM-DD",
    ),
    (
        "  business_city: 北京市",
        "  business_city: 北京市\n  license_end_time: forever",
        f"{F}:9:21: account.license_end_time: must be a date YYYY-MM-DD or 长期 (never expires)",
    ),
    (
        "  business_city: 北京市",
        "  business_city: 北京市\n  license_start_time: 2020-01-01\n  license_end_time: 2019-12-31",
        f"{F}:10:21: account.license_end_time: must not be before license_start_time",
    ),
    (
        "  business_city: 北京市",
        "  business_city: 北京市\n  legal_card_start_time: 2020-01-01\n  legal_card_end_time: 2019-12-31",
        f"{F}:10:24: account.legal_card_end_time: must not be before legal_card_start_time",
    ),
    # developer_config
    (
        "  tp_public_key: ${file:keys/tp.pem}",
        "  tp_public_key: not a key",
        f"{F}:15:18: developer_config.tp_public_key: must be an RSA public key in PEM form (-----BEGIN PUBLIC KEY----- ...); tip: tp_public_key: ${{file:keys/tp_public.pem}}",
    ),
    (
        "  tp_public_key: ${file:keys/tp.pem}",
        '  tp_public_key: "-----BEGIN PUBLIC KEY-----\\nAAAA\\n-----END PUBLIC KEY-----"',
        f"{F}:15:18: developer_config.tp_public_key: is not a parseable PEM public key",
    ),
    (
        "  pay_notify_url: https://example.com/notify",
        "  pay_notify_url: http://example.com/notify",
        f"{F}:16:19: developer_config.pay_notify_url: must be an https:// URL",
    ),
    (
        "  refund_succ_url: https://example.com/done",
        "  refund_succ_url: example.com/done",
        f"{F}:18:20: developer_config.refund_succ_url: must be an https:// URL",
    ),
    # payment_service
    (
        '  service_phone: "13514310000"',
        '  service_phone: "12345"',
        f"{F}:21:18: payment_service.service_phone: '12345' is not a phone number (allowed: mobile 1[3-9]XXXXXXXXX, landline with area code 0XX-XXXXXXXX, 400/800 numbers)",
    ),
    (
        '  service_phone: "13514310000"',
        "  service_phone: 12514310000",
        f"{F}:21:18: payment_service.service_phone: '12514310000' is not a phone number (allowed: mobile 1[3-9]XXXXXXXXX, landline with area code 0XX-XXXXXXXX, 400/800 numbers)",
    ),
    (
        '  bank_card: "6217000010001234"',
        '  bank_card: "6217-0000-1000-1234"',
        f"{F}:23:14: payment_service.bank_card: must be 8-30 digits, nothing else (spaces are removed)",
    ),
    (
        '  bank_card: "6217000010001234"',
        '  bank_card: "1234567"',
        f"{F}:23:14: payment_service.bank_card: must be 8-30 digits, nothing else (spaces are removed)",
    ),
    (
        "  payment_days: 1",
        "  payment_days: 3",
        f"{F}:28:17: payment_service.payment_days: 3 is not a settlement period (allowed: 1, 7, 14, 28)",
    ),
    (
        "  commission_rate: 6",
        "  commission_rate: 10",
        f"{F}:29:20: payment_service.commission_rate: 10 is not the mini-program rate (allowed: 6)",
    ),
    (
        "  pool_cash_pledge: 1000",
        "  pool_cash_pledge: -1",
        f"{F}:30:21: payment_service.pool_cash_pledge: -1 is out of range (allowed: a whole number of yuan from 0 to 9223372036854775807; Baidu's field is a Long: 500, not 500.5)",
    ),
    (
        "  pool_cash_pledge: 1000",
        "  pool_cash_pledge: 10.001",
        f"{F}:30:21: payment_service.pool_cash_pledge: 10.001 is not a whole number (allowed: a whole number of yuan from 0 to 9223372036854775807; Baidu's field is a Long: 500, not 500.5)",
    ),
    (
        "  pool_cash_pledge: 1000",
        "  pool_cash_pledge: lots",
        f"{F}:30:21: payment_service.pool_cash_pledge: expected a number, got text (allowed: a whole number of yuan from 0 to 9223372036854775807; Baidu's field is a Long: 500, not 500.5)",
    ),
    (
        "  day_max_frozen_amount: 10000",
        "  day_max_frozen_amount: 10000.01",
        f"{F}:31:26: payment_service.day_max_frozen_amount: 10000.01 is out of range (allowed: a whole number of yuan from 0 to 10000; Baidu's field is a Long: 500, not 500.5)",
    ),
    (
        "  day_max_frozen_amount: 10000",
        "  day_max_frozen_amount: -0.5",
        f"{F}:31:26: payment_service.day_max_frozen_amount: -0.5 is out of range (allowed: a whole number of yuan from 0 to 10000; Baidu's field is a Long: 500, not 500.5)",
    ),
    # money on the write side is whole yuan (Baidu's Long): "500.5" is errno 60000 at apply
    (
        "  pool_cash_pledge: 1000",
        "  pool_cash_pledge: 500.5",
        f"{F}:30:21: payment_service.pool_cash_pledge: 500.5 is not a whole number (allowed: a whole number of yuan from 0 to 9223372036854775807; Baidu's field is a Long: 500, not 500.5)",
    ),
    (
        "  pool_cash_pledge: 1000",
        '  pool_cash_pledge: "500.5"',
        f"{F}:30:21: payment_service.pool_cash_pledge: 500.5 is not a whole number (allowed: a whole number of yuan from 0 to 9223372036854775807; Baidu's field is a Long: 500, not 500.5)",
    ),
    (
        "  day_max_frozen_amount: 10000",
        "  day_max_frozen_amount: 99.50",
        f"{F}:31:26: payment_service.day_max_frozen_amount: 99.50 is not a whole number (allowed: a whole number of yuan from 0 to 10000; Baidu's field is a Long: 500, not 500.5)",
    ),
    # huge and odd numbers: a located problem each, never an internal error
    (
        "  pool_cash_pledge: 1000",
        "  pool_cash_pledge: 1e30",
        f"{F}:30:21: payment_service.pool_cash_pledge: 1E+30 is out of range (allowed: a whole number of yuan from 0 to 9223372036854775807; Baidu's field is a Long: 500, not 500.5)",
    ),
    (
        "  pool_cash_pledge: 1000",
        "  pool_cash_pledge: 1e400",
        f"{F}:30:21: payment_service.pool_cash_pledge: 1E+400 is out of range (allowed: a whole number of yuan from 0 to 9223372036854775807; Baidu's field is a Long: 500, not 500.5)",
    ),
    (
        "  pool_cash_pledge: 1000",
        "  pool_cash_pledge: 12345678901234567890123456789",
        f"{F}:30:21: payment_service.pool_cash_pledge: 12345678901234567890123456789 is out of range (allowed: a whole number of yuan from 0 to 9223372036854775807; Baidu's field is a Long: 500, not 500.5)",
    ),
    (
        "  pool_cash_pledge: 1000",
        "  pool_cash_pledge: 1e99999999999999999999",
        f"{F}:30:21: payment_service.pool_cash_pledge: infinity is out of range (allowed: a whole number of yuan from 0 to 9223372036854775807; Baidu's field is a Long: 500, not 500.5)",
    ),
    (
        "  pool_cash_pledge: 1000",
        "  pool_cash_pledge: .nan",
        f"{F}:30:21: payment_service.pool_cash_pledge: NaN is out of range (allowed: a whole number of yuan from 0 to 9223372036854775807; Baidu's field is a Long: 500, not 500.5)",
    ),
    (
        "  day_max_frozen_amount: 10000",
        "  day_max_frozen_amount: 1e400",
        f"{F}:31:26: payment_service.day_max_frozen_amount: 1E+400 is out of range (allowed: a whole number of yuan from 0 to 10000; Baidu's field is a Long: 500, not 500.5)",
    ),
    (
        "  day_max_frozen_amount: 10000",
        "  day_max_frozen_amount: -.inf",
        f"{F}:31:26: payment_service.day_max_frozen_amount: -infinity is out of range (allowed: a whole number of yuan from 0 to 10000; Baidu's field is a Long: 500, not 500.5)",
    ),
    (
        "  payment_days: 1",
        "  payment_days: 1e400",
        f"{F}:28:17: payment_service.payment_days: 1E+400 is not a settlement period (allowed: 1, 7, 14, 28)",
    ),
    (
        "  payment_days: 1",
        "  payment_days: " + "7" * 5000,
        f"{F}:28:17: payment_service.payment_days: a number of 5000 digits is not a settlement period (allowed: 1, 7, 14, 28)",
    ),
    (
        "  commission_rate: 6",
        "  commission_rate: .nan",
        f"{F}:29:20: payment_service.commission_rate: NaN is not the mini-program rate (allowed: 6)",
    ),
    (
        "  business_city: 北京市",
        "  business_city: 北京市\n  industry_id: 1e19",
        f"{F}:9:16: account.industry_id: 1E+19 is out of range (allowed: a whole number from 1 to 9223372036854775807; an id from getTradeIndustryList, a Long)",
    ),
    (
        "  bank_name: 招商银行",
        "  bank_name: [招商银行]",
        f"{F}:24:14: payment_service.bank_name: expected text (got a list)",
    ),
    # unknown keys: did you mean
    (
        "  bank_name: 招商银行",
        "  bank_nmae: 招商银行",
        f"{F}:24:3: payment_service.bank_nmae: unknown field (did you mean 'bank_name'?)",
    ),
    (
        "app_id: 12345678",
        "app_id: 12345678\npayment_servise: {}",
        f"{F}:3:1: payment_servise: unknown field (did you mean 'payment_service'?)",
    ),
    (
        "  legal_person: 张三",
        "  legal_person: 张三\n  zzz: 1",
        f"{F}:11:3: account.zzz: unknown field (allowed: business_scope, business_province, business_city, business_detail_address, legal_person, legal_id, id_card_front_url, id_card_front, id_card_back_url, id_card_back, legal_card_start_time, legal_card_end_time, license_start_time, license_end_time, industry_id, manage_permit_url)",
    ),
    (
        "payment_service:",
        "payment_service: yes please",
        f"{F}:19:18: payment_service: expected a mapping (key: value lines) (got text)",
    ),
]


@pytest.mark.parametrize(
    ("line", "replacement", "expected"),
    RULE_CASES,
    ids=[c[2].split(": ")[1] + ":" + c[1][:20] for c in RULE_CASES],
)
def test_each_rule_reports_exact_problem_and_position(
    project: Project, line: str, replacement: str, expected: str
) -> None:
    text = VALID_SPEC.replace(line + "\n", replacement + "\n" if replacement else "", 1)
    assert text != VALID_SPEC
    if replacement.startswith("payment_service: yes"):
        text = text.split("payment_service: yes please\n")[0] + "payment_service: yes please\n"
    project.spec(text)
    assert project.problems() == [expected]


VALID_VARIANTS = [
    ('  service_phone: "13514310000"', "  service_phone: 010-62881234"),
    ('  service_phone: "13514310000"', "  service_phone: 0571-8765432"),
    ('  service_phone: "13514310000"', "  service_phone: 400-800-1234"),
    ('  service_phone: "13514310000"', "  service_phone: 13514310000"),
    ('  bank_card: "6217000010001234"', "  bank_card: 6217000010001234"),
    ('  bank_card: "6217000010001234"', "  bank_card: 0012345678"),
    ("  legal_id: 11010519491231002X", "  legal_id: 11010519491231002x"),
    ("  legal_id: 11010519491231002X", '  legal_id: " 11010519491231002X "'),
    ("  legal_person: 张三", "  legal_person: 阿依古丽·买买提"),
    ("  pool_cash_pledge: 1000", "  pool_cash_pledge: 500"),
    ("  pool_cash_pledge: 1000", '  pool_cash_pledge: "500"'),
    ("  pool_cash_pledge: 1000", "  pool_cash_pledge: 500.0"),
    ("  pool_cash_pledge: 1000", '  pool_cash_pledge: "0"'),
    ("  pool_cash_pledge: 1000", "  pool_cash_pledge: 9223372036854775807"),
    ("app_id: 12345678", "app_id: 9223372036854775807"),
    ("app_id: 12345678", 'app_id: "12345678"'),
    ("  payment_days: 1", "  payment_days: 28"),
    ("  commission_rate: 6", ""),
    (
        "  business_city: 北京市",
        "  business_city: 北京市\n  license_start_time: 2019-04-01\n  license_end_time: 长期\n  industry_id: 3",
    ),
    ("  id_card_front: images/front.png", "  id_card_front_url: https://img.example.com/f.png"),
]


@pytest.mark.parametrize(("line", "replacement"), VALID_VARIANTS)
def test_accepted_variants(project: Project, line: str, replacement: str) -> None:
    project.spec(VALID_SPEC.replace(line + "\n", replacement + "\n" if replacement else "", 1))
    assert project.problems() == []


def test_bare_number_for_a_string_field_keeps_its_digits(project: Project) -> None:
    project.spec(VALID_SPEC.replace('  bank_card: "6217000010001234"', "  bank_card: 0012345678"))
    (spec,) = project.report().specs
    assert spec.payment_service is not None
    assert spec.payment_service.bank_card.get_secret_value() == "0012345678"


def test_sensitive_values_never_appear_in_problems(project: Project) -> None:
    text = (
        VALID_SPEC.replace("  legal_id: 11010519491231002X", "  legal_id: 110105194912310021")
        .replace('  bank_card: "6217000010001234"', '  bank_card: "62170000X0001234"')
        .replace("  access_token: sandbox-12345678", "  access_token: ''")
    )
    project.spec(text)
    output = "\n".join(project.problems())
    assert "110105194912310021" not in output
    assert "62170000X0001234" not in output
    assert output.count("\n") == 2  # three problems


def test_every_problem_is_reported_at_once_sorted(project: Project) -> None:
    text = (
        VALID_SPEC.replace("app_id: 12345678", "app_id: 0")
        .replace("  payment_days: 1", "  payment_days: 2")
        .replace("  legal_person: 张三", "  legal_person: Z")
    )
    project.spec(text)
    assert [p.split(": ")[1] for p in project.problems()] == [
        "app_id",
        "account.legal_person",
        "payment_service.payment_days",
    ]


def test_long_lived_documents_are_sent_as_9999_12_31(project: Project) -> None:
    """Issue 13.6: 长期 is not a date; Baidu's SDKs say "长期有效传 9999-12-31". The spec keeps
    accepting 长期 and the model holds what apply sends (apply builds requests from it)."""
    from smartpay_apply.api.models import AccountCreateRequest, form_value
    from smartpay_apply.engine.actions import LOCAL_IMAGE_FIELDS, section_fields

    project.spec(
        VALID_SPEC.replace(
            "  business_city: 北京市\n",
            "  business_city: 北京市\n  legal_card_start_time: 2015-06-01\n"
            "  legal_card_end_time: 长期\n  license_start_time: 2019-04-01\n"
            "  license_end_time: 长期\n",
        )
    )
    (spec,) = project.report().specs
    assert spec.account is not None
    assert spec.account.legal_card_end_time == "9999-12-31"
    assert spec.account.license_end_time == "9999-12-31"
    assert spec.account.legal_card_start_time == "2015-06-01"
    fields = section_fields(spec.account, skip=LOCAL_IMAGE_FIELDS)
    urls = {"id_card_front_url": "https://img/f.png", "id_card_back_url": "https://img/b.png"}
    form = AccountCreateRequest(**{**fields, **urls}).to_form()
    assert (form["legal_card_end_time"], form["license_end_time"]) == ("9999-12-31", "9999-12-31")
    assert "长期" not in str(form)
    assert form_value(spec.account.license_start_time) == "2019-04-01"
