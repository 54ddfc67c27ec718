"""Dictionary checks: offline from the cache, with suggestions; a missing cache is a warning."""

from __future__ import annotations

import pytest

from smartpay_apply.config import load_project_config
from smartpay_apply.spec.dictionary import DictCache, DictionaryError, PaymentDictData, load_cached
from tests.spec.conftest import VALID_SPEC, Project

DATA = PaymentDictData(
    provinces={
        "北京市": ["东城区", "海淀区", "朝阳区"],
        "天津市": ["和平区", "河西区"],
        "浙江省": ["杭州市"],
    },
    banks=["招商银行", "工商银行", "浙商银行", "北京银行"],
    commission_rates={6: "千分之六", 10: "百分之一"},
    payment_days={1: "T+1", 7: "T+7", 14: "T+14", 28: "T+28"},
    fetched_at="2026-11-25T20:00:00+08:00",
    endpoint="sandbox",
)


def save(project: Project, data: PaymentDictData = DATA) -> None:
    DictCache(project.root / ".smartpay" / "dict.json").save(data)


def test_cache_round_trips(project: Project) -> None:
    save(project)
    config = load_project_config(project.root, None, environ={})
    assert load_cached(config.state_dir) == DATA


def test_valid_spec_passes_the_dictionary(project: Project) -> None:
    save(project)
    project.spec()
    report = project.validate()
    assert (report.problems, report.warnings) == ([], [])


@pytest.mark.parametrize(
    ("line", "replacement", "expected"),
    [
        (
            "  bank_name: 招商银行",
            "  bank_name: 招商银",
            "specs/app.yaml:24:14: payment_service.bank_name: unknown bank '招商银' (did you mean: 招商银行, 浙商银行, 工商银行?)",
        ),
        (
            "  bank_name: 招商银行",
            "  bank_name: Chase",
            "specs/app.yaml:24:14: payment_service.bank_name: unknown bank 'Chase' (see `smartpay-apply dict`)",
        ),
        (
            "  open_province: 北京市",
            "  open_province: 北京",
            "specs/app.yaml:26:18: payment_service.open_province: unknown province '北京' (did you mean: 北京市?)",
        ),
        (
            "  open_city: 海淀区",
            "  open_city: 海定区",
            "specs/app.yaml:27:14: payment_service.open_city: unknown city '海定区' in '北京市' (did you mean: 海淀区?)",
        ),
        (
            "  open_city: 海淀区",
            "  open_city: 和平区",
            "specs/app.yaml:27:14: payment_service.open_city: '和平区' is a city of 天津市, not of 北京市",
        ),
    ],
)
def test_names_not_in_the_dictionary(
    project: Project, line: str, replacement: str, expected: str
) -> None:
    save(project)
    project.spec(VALID_SPEC.replace(line, replacement))
    assert [str(p) for p in project.validate().problems] == [expected]


def test_payment_days_and_rate_are_checked_against_the_dictionary(project: Project) -> None:
    save(
        project,
        PaymentDictData(
            provinces=DATA.provinces,
            banks=DATA.banks,
            commission_rates={10: "百分之一"},
            payment_days={7: "T+7"},
        ),
    )
    project.spec()
    assert [str(p) for p in project.validate().problems] == [
        "specs/app.yaml:28:17: payment_service.payment_days: 1 is not in the dictionary (allowed: 7)",
        "specs/app.yaml:29:20: payment_service.commission_rate: 6 is not in the dictionary (allowed: 10)",
    ]


def test_missing_cache_is_a_warning_and_validation_still_passes(project: Project) -> None:
    project.spec(VALID_SPEC.replace("  bank_name: 招商银行", "  bank_name: 不存在的银行"))
    report = project.validate()
    assert report.problems == []
    assert report.warnings == ["dictionary checks skipped: run `smartpay-apply dict --refresh`"]


def test_corrupt_cache_is_a_warning(project: Project) -> None:
    project.write(".smartpay/dict.json", "{not json")
    project.spec()
    report = project.validate()
    assert report.problems == []
    (warning,) = report.warnings
    assert warning.startswith(
        f"{project.root.resolve()}/.smartpay/dict.json: not a valid dictionary cache"
    )
    assert warning.endswith("dictionary checks skipped")


def test_corrupt_cache_is_an_error_when_asked_for_directly(project: Project) -> None:
    project.write(".smartpay/dict.json", '{"format_version": 99}')
    config = load_project_config(project.root, None, environ={})
    with pytest.raises(DictionaryError):
        load_cached(config.state_dir)


def test_dictionary_problems_come_with_the_other_problems(project: Project) -> None:
    """Issue 14.12: an unknown bank and city were reported only once `commission_rate: 10`
    (a rule problem) was fixed. One problem per root cause: the rate is not also 'not in the
    dictionary', a bad payment_days not checked twice, a city not checked under a bad province."""
    save(project)
    project.spec(
        VALID_SPEC.replace("  commission_rate: 6", "  commission_rate: 10")
        .replace("  bank_name: 招商银行", "  bank_name: 招商银")
        .replace("  open_city: 海淀区", "  open_city: 海定区")
        .replace("  payment_days: 1", "  payment_days: 3")
    )
    assert [str(problem) for problem in project.validate().problems] == [
        "specs/app.yaml:24:14: payment_service.bank_name: unknown bank '招商银' (did you mean: 招商银行, 浙商银行, 工商银行?)",
        "specs/app.yaml:27:14: payment_service.open_city: unknown city '海定区' in '北京市' (did you mean: 海淀区?)",
        "specs/app.yaml:28:17: payment_service.payment_days: 3 is not a settlement period (allowed: 1, 7, 14, 28)",
        "specs/app.yaml:29:20: payment_service.commission_rate: 10 is not the mini-program rate (allowed: 6)",
    ]


def test_a_spec_with_other_problems_checks_only_what_can_be_checked(project: Project) -> None:
    save(project)
    project.spec(
        VALID_SPEC.replace("app_id: 12345678", "app_id: 0")
        .replace("  open_province: 北京市", "  open_province: [北京市]")
        .replace("  open_city: 海淀区", "  open_city: 海定区")
        .replace("  bank_name: 招商银行", "  bank_name: '  '")
        .replace("  payment_days: 1", '  payment_days: "14"')
    )
    problems = [str(problem) for problem in project.validate().problems]
    assert [line.split(": ")[1] for line in problems] == [
        "app_id",
        "payment_service.bank_name",
        "payment_service.open_province",
    ]


def test_partial_spec_with_a_valid_payment_service_gets_no_dictionary_problem(
    project: Project,
) -> None:
    save(project)
    project.spec(VALID_SPEC.replace("app_id: 12345678", "app_id: -1"))
    assert [p.field for p in project.validate().problems] == ["app_id"]


def test_the_missing_cache_warning_counts_specs_with_problems(project: Project) -> None:
    project.spec(VALID_SPEC.replace("app_id: 12345678", "app_id: -1"))
    report = project.validate()
    assert report.warnings == ["dictionary checks skipped: run `smartpay-apply dict --refresh`"]
