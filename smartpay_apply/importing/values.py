"""Baidu's payment-service values as a spec holds them: what makes plan see no change.

Why one module: the promise of `import` is that plan shows nothing right after it, whatever
Baidu's formatting ("7" for 7, "500.00" for 500, " 招商银行 " for 招商银行). Plan compares
`engine.normalise.normalise_value` of both sides, so the value written into a spec is exactly
that canonical form: text trimmed with inner whitespace collapsed, numbers as numbers (500,
never "500.00" nor a float). `import` and `import --update` both take their values here.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from smartpay_apply import sensitive
from smartpay_apply.engine.normalise import NUMERIC_FIELDS, normalise_value
from smartpay_apply.spec.models import PaymentServiceSpec

#: The fields a spec's payment_service may hold, in the order a spec writes them.
SPEC_FIELDS: tuple[str, ...] = tuple(PaymentServiceSpec.model_fields)

#: A spec value: text, or a whole number for the numeric fields.
SpecValue = str | int


def spec_values(remote: Mapping[str, Any]) -> dict[str, SpecValue]:
    """The payment-service fields Baidu reported, as a spec writes them, in spec order.

    Fields Baidu does not return (bank_phone_number) and remote-only outputs (pm_app_id...)
    are left out. Sensitive values are included: the caller turns them into references.
    """
    values: dict[str, SpecValue] = {}
    for name in SPEC_FIELDS:
        text = normalise_value(name, remote.get(name))
        if text is None:
            continue
        values[name] = _number(text) if name in NUMERIC_FIELDS else text
    return values


def _number(text: str) -> SpecValue:
    """A whole number as an int; anything else stays text (the spec rules then say why)."""
    try:
        amount = Decimal(text)
    except ArithmeticError:
        return text
    return int(amount) if amount.is_finite() and amount == amount.to_integral() else text


def sensitive_fields(values: Mapping[str, object]) -> list[str]:
    """The fields of `values` that never go into a spec file (sensitive.py decides)."""
    return [name for name in values if sensitive.is_sensitive(name)]


def problems(values: Mapping[str, object]) -> list[str]:
    """Why these values would not make a valid spec, one line per field (never a secret).

    Baidu may hold what the spec rules refuse (a console-entered phone the rules do not know,
    a field left empty); writing such a spec would stop every plan of the project, so the
    mini-program is reported instead.
    """
    from smartpay_apply.yamldoc.convert import message_for

    try:
        PaymentServiceSpec.model_validate(dict(values))
    except ValidationError as error:
        found = []
        for detail in error.errors():
            field = ".".join(str(part) for part in detail["loc"])
            found.append(f"payment_service.{field}: {message_for(detail, field, None)}")
        return found
    return []
