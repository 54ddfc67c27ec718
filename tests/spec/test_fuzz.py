"""Property-based fuzzing: whatever a spec file holds, validate answers with problems, never a crash.

In-process properties run many examples quickly (the loader is where a crash would come from);
a smaller set goes through the real CLI in a subprocess and checks exit code and stderr.
"""

from __future__ import annotations

import atexit
import io
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from smartpay_apply.config import ProjectConfig
from smartpay_apply.project import validate_project
from smartpay_apply.sensitive import is_sensitive
from tests.spec.conftest import VALID_SPEC
from tests.support.files import public_key_pem, tiny_png

SECRET = "SECRET9876543210"
PROBLEM_LINE = re.compile(r"^[^\n]+:\d+:\d+: [^\n]+$")
PROBLEM_FIELD = re.compile(r"^.+?:\d+:\d+: (?P<field>[^\s:]+): ")

FIELD_NAMES = [
    "app",
    "app_id",
    "credentials",
    "account",
    "developer_config",
    "payment_service",
    "access_token",
    "business_scope",
    "legal_person",
    "legal_id",
    "id_card_front",
    "id_card_front_url",
    "tp_public_key",
    "pay_notify_url",
    "service_phone",
    "bank_card",
    "bank_name",
    "payment_days",
    "commission_rate",
    "pool_cash_pledge",
    "day_max_frozen_amount",
    "<<",
    "",
    "x",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.text(max_size=30),
    st.sampled_from(
        [
            "${env:X}",
            "${file:../../etc/passwd}",
            "${file:images}",
            "$${env:X}",
            "${",
            "~",
            "2024-02-30",
            "0x1F",
            "1e400",
            SECRET,
        ]
    ),
)
structures = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(FIELD_NAMES), children, max_size=6),
    ),
    max_leaves=25,
)


_SCRATCH: list[Path] = []


def _scratch(prefix: str) -> Path:
    """A directory for one example, removed when the module's tests end (hundreds per run)."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    _SCRATCH.append(root)
    return root


@pytest.fixture(autouse=True, scope="module")
def _remove_scratch() -> Iterator[None]:
    yield
    for root in _SCRATCH:
        shutil.rmtree(root, ignore_errors=True)
    _SCRATCH.clear()


def _project() -> Path:
    root = Path(tempfile.mkdtemp(prefix="spec-fuzz-"))
    (root / "specs" / "images").mkdir(parents=True)
    (root / "specs" / "keys").mkdir()
    (root / "specs" / "keys" / "tp.pem").write_bytes(public_key_pem())
    (root / "specs" / "images" / "front.png").write_bytes(tiny_png())
    (root / "specs" / "images" / "back.png").write_bytes(tiny_png())
    (root / "smartpay.yaml").write_text("endpoint: sandbox\n", encoding="utf-8")
    return root


ROOT = _project()
atexit.register(shutil.rmtree, ROOT, ignore_errors=True)  # one directory for the whole module
CONFIG = ProjectConfig(root=ROOT, path=ROOT / "smartpay.yaml")


def _check(content: bytes, *, secret_only_in_sensitive_fields: bool = False) -> str:
    """Validate `content`; every problem well-formed, no sensitive value shown.

    With `secret_only_in_sensitive_fields`, SECRET was planted only as a sensitive value, so it
    must not appear anywhere in the output.
    """
    (ROOT / "specs" / "app.yaml").write_bytes(content)
    report = validate_project(CONFIG, environ={"X": "x"}, cwd=ROOT)
    lines = [str(problem) for problem in report.problems]
    for line in lines:
        assert PROBLEM_LINE.match(line), line
        # A value given to a sensitive field is never shown; other fields' values may be
        # quoted back (e.g. an invalid app name), which is what a good error does.
        field = PROBLEM_FIELD.match(line)
        if field and (is_sensitive(field["field"]) or field["field"].startswith("credentials")):
            assert SECRET not in line, line
    if secret_only_in_sensitive_fields:
        assert SECRET not in "\n".join(lines)
    return "\n".join(lines)


def _dump(data: object) -> bytes:
    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, out)
    return out.getvalue().encode("utf-8")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_random_bytes_never_crash(content: bytes) -> None:
    _check(content)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.text(
        alphabet=st.sampled_from(list(":-[]{}&*!|>'\"%@`#,? \n\tabc1é北\x00\x85\ufeff$")),
        max_size=120,
    )
)
def test_yaml_like_text_never_crashes(text: str) -> None:
    _check(text.encode("utf-8", "surrogatepass"))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structures)
@pytest.mark.slow
def test_random_structures_never_crash_or_leak(data: object) -> None:
    _check(_dump(data))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=VALID_SPEC.count("\n") - 1), scalars)
@pytest.mark.slow
def test_one_value_of_a_valid_spec_replaced_never_crashes(line_number: int, value: object) -> None:
    lines = VALID_SPEC.splitlines()
    key, sep, _ = lines[line_number].partition(":")
    rendered = (
        _dump({"v": value}).decode("utf-8").split(":", 1)[1].strip() if value is not None else ""
    )
    lines[line_number] = f"{key}{sep} {rendered}" if sep else lines[line_number]
    planted = "legal_id" in key or "bank_card" in key
    if planted:
        lines[line_number] = f"{key}: {SECRET}"
    _check(("\n".join(lines) + "\n").encode("utf-8"), secret_only_in_sensitive_fields=planted)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.one_of(st.binary(max_size=200), structures.map(_dump)))
def test_cli_never_shows_a_traceback(run_cli, content: bytes) -> None:
    (ROOT / "specs" / "app.yaml").write_bytes(content)
    result = run_cli("validate", cwd=ROOT)
    assert result.returncode in (0, 1)
    assert "Traceback" not in result.stderr
    assert "Internal error" not in result.stderr


CONFIG_KEYS = [
    "version",
    "endpoint",
    "state",
    "specs",
    "concurrency",
    "defaults",
    "events",
    "apply",
    "credentials",
    "sandbox",
    "rate_limit",
    "timeout",
    "token",
    "port",
    "x",
]
config_structures = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.sampled_from(CONFIG_KEYS), children, max_size=5),
    ),
    max_leaves=15,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(st.binary(max_size=200), config_structures.map(_dump)),
    st.sampled_from(["", "0", "x", "17", "-1", "９"]),
)
@pytest.mark.slow
def test_any_smartpay_yaml_gives_a_config_or_a_config_error(
    content: bytes, concurrency: str
) -> None:
    from smartpay_apply.config import load_project_config
    from smartpay_apply.errors import ConfigError

    root = _scratch("config-fuzz-")
    (root / "smartpay.yaml").write_bytes(content)
    try:
        config = load_project_config(
            root, None, environ={"SMARTPAY_CONCURRENCY": concurrency, "X": "x"}
        )
    except ConfigError as error:
        assert str(error)
        assert "Traceback" not in str(error)
    else:
        assert 1 <= config.concurrency <= 256


# --- numbers: huge, tiny, fractional, non-finite, in any spelling (issue 14.3) ---------------

number_tokens = st.one_of(
    st.integers(min_value=-(2**65), max_value=2**65).map(str),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.builds(
        lambda mantissa, exponent: f"{mantissa}e{exponent}",
        st.integers(min_value=-99, max_value=99),
        st.integers(min_value=-(10**7), max_value=10**22),
    ),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.sampled_from(
        [
            ".nan",
            ".NaN",
            ".inf",
            "-.inf",
            "+.Inf",
            "0x7FFFFFFFFFFFFFFF",
            "0x8000000000000000",
            "0o777",
            "9" * 4299,
            "9" * 5000,
            "1e999999",
            "-0",
            "0.0",
            "500.0",
            "500.5",
            "1e400",
            "9223372036854775807",
            "9223372036854775808",
        ]
    ),
)

#: A numeric field of the valid spec -> (its line, a replacement line with {} for the number).
NUMERIC_LINES = {
    "app_id": ("app_id: 12345678", "app_id: {}"),
    "account.industry_id": (
        "  business_city: 北京市",
        "  business_city: 北京市\n  industry_id: {}",
    ),
    "payment_service.payment_days": ("  payment_days: 1", "  payment_days: {}"),
    "payment_service.commission_rate": ("  commission_rate: 6", "  commission_rate: {}"),
    "payment_service.pool_cash_pledge": ("  pool_cash_pledge: 1000", "  pool_cash_pledge: {}"),
    "payment_service.day_max_frozen_amount": (
        "  day_max_frozen_amount: 10000",
        "  day_max_frozen_amount: {}",
    ),
}


def _inside(rule: object, value: object) -> bool:
    """Whether a value the model holds is one the rule allows (documented in docs/specs.md)."""
    from decimal import Decimal

    from smartpay_apply.spec.numbers import ChoiceRule, NumberRule

    if isinstance(rule, ChoiceRule):
        return isinstance(value, int) and value in rule.choices
    assert isinstance(rule, NumberRule)
    assert isinstance(value, int | float | Decimal) and not isinstance(value, bool)
    number = Decimal(str(value))
    inside = rule.low <= number <= rule.high
    return inside and (not rule.whole or number == int(number))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(NUMERIC_LINES)), number_tokens, st.booleans())
@pytest.mark.slow
def test_any_number_is_a_value_in_range_or_one_problem_at_its_field(
    field: str, token: str, quoted: bool
) -> None:
    from smartpay_apply.spec.numbers import SPEC_NUMBERS

    line, replacement = NUMERIC_LINES[field]
    written = f'"{token}"' if quoted else token
    text = VALID_SPEC.replace(line + "\n", replacement.format(written) + "\n", 1)
    (ROOT / "specs" / "app.yaml").write_text(text, encoding="utf-8")
    report = validate_project(CONFIG, environ={"X": "x"}, cwd=ROOT)
    if report.problems:
        (problem,) = report.problems
        assert problem.field == field, str(problem)
        assert PROBLEM_LINE.match(str(problem)), str(problem)
        assert len(str(problem)) < 400, str(problem)
        return
    (spec,) = report.specs
    section, _, name = field.rpartition(".")
    value = getattr(getattr(spec, section) if section else spec, name)
    assert _inside(SPEC_NUMBERS[field], value), (field, token, value)


CONFIG_NUMERIC_LINES = {
    "version": "version: {}\n",
    "concurrency": "concurrency: {}\n",
    "rate_limit": "rate_limit: {}\n",
    "timeout": "timeout: {}\n",
    "events.port": "events:\n  port: {}\n",
    "apply.payout_change_max_share": "apply:\n  payout_change_max_share: {}\n",
}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(CONFIG_NUMERIC_LINES)), number_tokens, st.booleans())
@pytest.mark.slow
def test_any_number_in_smartpay_yaml_is_in_range_or_a_located_config_error(
    field: str, token: str, quoted: bool
) -> None:
    from smartpay_apply.config import CONFIG_NUMBERS, load_project_config
    from smartpay_apply.errors import ConfigError

    root = _scratch("config-numbers-")
    written = f'"{token}"' if quoted else token
    (root / "smartpay.yaml").write_text(CONFIG_NUMERIC_LINES[field].format(written))
    try:
        config = load_project_config(root, None, environ={})
    except ConfigError as error:
        lines = str(error).splitlines()
        assert lines[0] == "invalid project config:"
        assert len(lines) == 2 and f": {field}: " in lines[1], str(error)
        assert len(lines[1]) < 400
        return
    section, _, name = field.rpartition(".")
    value = getattr(getattr(config, section) if section else config, name)
    assert _inside(CONFIG_NUMBERS[field], value), (field, token, value)


def _sandbox_settings() -> list[str]:
    import dataclasses

    from smartpay_apply.sandbox.config import SandboxConfig

    return [item.name for item in dataclasses.fields(SandboxConfig)] + ["audit_dely"]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(_sandbox_settings()),
        st.one_of(scalars, number_tokens, config_structures),
        max_size=4,
    )
)
@pytest.mark.slow
def test_any_sandbox_setting_gives_a_config_or_located_problems(settings_: dict) -> None:
    """Issue 14.10: `sandbox:` settings are checked at load, each problem at its key."""
    from smartpay_apply.config import load_project_config
    from smartpay_apply.errors import ConfigError

    root = _scratch("sandbox-fuzz-")
    # JSON is YAML, and always valid (ruamel's emitter can write plain scalars like `0?` in a
    # flow mapping that its own parser refuses).
    (root / "smartpay.yaml").write_text(
        json.dumps({"sandbox": settings_}, ensure_ascii=False), encoding="utf-8"
    )
    try:
        load_project_config(root, None, environ={"X": "x"})
    except ConfigError as error:
        lines = str(error).splitlines()
        assert lines[0] == "invalid project config:", str(error)
        for line in lines[1:]:
            assert PROBLEM_LINE.match(line), line
            # (a character YAML refuses, e.g. U+007F, is the file's problem, not a setting's)
            assert ": sandbox." in line or ": invalid YAML: " in line, line
