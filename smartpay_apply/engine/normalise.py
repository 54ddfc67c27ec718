"""Values in one canonical form before they are compared, and the diff built on top of it.

Why: Baidu answers `"1"` where the spec says `1`, `"10000.00"` where it says `10000`, and
sometimes pads strings with spaces. Comparing raw values would show a change on every plan
for a spec nobody touched. Everything is compared as canonical text: numbers through
`smartpay_apply.money.normalise` (Decimal, never float), strings trimmed with inner runs of
whitespace collapsed.

The diff itself is deepdiff over the two normalised mappings; each difference becomes a
`Change` in display form (sensitive values masked), so a Plan never holds a secret.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr

from smartpay_apply import sensitive
from smartpay_apply.engine.steps import Change
from smartpay_apply.money import normalise as normalise_amount
from smartpay_apply.money import parse_amount
from smartpay_apply.spec.models import PAYOUT_FIELDS, PaymentServiceSpec

#: getbindservice fields that only Baidu sets: shown by `output`, never part of a diff.
REMOTE_ONLY_FIELDS: frozenset[str] = frozenset(
    {"pm_app_id", "pm_app_key", "deal_id", "platform_public_key"}
)
#: getbindservice fields that describe the audit, not the desired state.
STATUS_FIELDS: frozenset[str] = frozenset({"open_status", "fail_reason"})


def _numeric_fields(model: type[BaseModel]) -> frozenset[str]:
    """Fields whose type is a number (int or Decimal): their text forms compare as numbers."""
    names = set()
    for name, info in model.model_fields.items():
        annotation = info.annotation
        options = typing.get_args(annotation) or (annotation,)
        if any(option in (int, Decimal) for option in options):
            names.add(name)
    return frozenset(names)


#: Payment-service fields compared as numbers ("1" == 1, "10000.00" == 10000).
NUMERIC_FIELDS: frozenset[str] = _numeric_fields(PaymentServiceSpec)


def normalise_value(field: str, value: object) -> str | None:
    """The canonical text of one value: what two equal values have in common.

    None stays None (absent). Numbers and numeric text in numeric fields become canonical
    Decimal text; anything else is trimmed text with inner whitespace collapsed.
    """
    if value is None:
        return None
    if type(value) is str and field not in NUMERIC_FIELDS:  # the common case, first
        return _collapsed(value)
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float, Decimal)):
        return _number_text(value)
    if isinstance(value, Path):
        return str(value)
    text = _collapsed(str(value))
    if field in NUMERIC_FIELDS:
        try:
            amount = parse_amount(text)
        except ValueError:
            return text  # not a number: compared as text, so the diff shows what Baidu sent
        return None if amount is None else str(normalise_amount(amount))
    return text


def _collapsed(text: str) -> str:
    """`text` trimmed, inner runs of whitespace as one space.

    str.split() splits on exactly the characters `\\s` matches in a str pattern (both use
    str.isspace), and is several times faster than a regex substitution and a strip.
    """
    return " ".join(text.split())


#: Integers below this many digits survive Decimal normalisation unchanged (precision 28).
_EXACT_INT = 10**27


def _number_text(value: int | float | Decimal) -> str:
    if type(value) is int and -_EXACT_INT < value < _EXACT_INT:
        return str(value)  # what Decimal's normalise and quantize would give, without them
    amount = parse_amount(value)
    return "" if amount is None else str(normalise_amount(amount))


def normalise_mapping(
    values: Mapping[str, object], fields: Iterable[str] | None = None
) -> dict[str, str | None]:
    """Normalise every value of `values` (or only `fields`, missing ones as None)."""
    names = list(values) if fields is None else list(fields)
    return {name: normalise_value(name, values.get(name)) for name in names}


def section_values(section: BaseModel | None) -> dict[str, Any]:
    """A spec section as a flat mapping of its set fields, secrets still wrapped (SecretStr)."""
    if section is None:
        return {}
    return {name: getattr(section, name) for name in type(section).model_fields}


#: Creation diffs already built, by the spec section's identity (the section kept with them:
#: an id is reused only once its object is gone). Bounded: a long-running controller sees
#: new spec objects each time its specs change.
_CREATIONS: dict[int, tuple[BaseModel, tuple[Change, ...]]] = {}
_CREATIONS_MAX = 8192


def creation(section: BaseModel | None) -> tuple[Change, ...]:
    """`diff({}, section_values(section))`: the section's fields as a creation, every value new.

    Built once per section object: spec sections are frozen, and apply decides a mini-program
    several times in one run (its first plan, then after each audit it waited for) — the
    creation diffs were most of decide's cost there (issue 16). The Changes are immutable.
    """
    if section is None:
        return ()
    cached = _CREATIONS.get(id(section))
    if cached is None or cached[0] is not section:
        if len(_CREATIONS) >= _CREATIONS_MAX:
            _CREATIONS.clear()
        cached = (section, diff({}, section_values(section)))
        _CREATIONS[id(section)] = cached
    return cached[1]


def comparable_remote(remote: Mapping[str, object]) -> dict[str, object]:
    """getbindservice's data without the outputs and audit-status fields (never diffs)."""
    return {
        key: value
        for key, value in remote.items()
        if key not in REMOTE_ONLY_FIELDS and key not in STATUS_FIELDS
    }


def diff(
    old: Mapping[str, object], new: Mapping[str, object], fields: Iterable[str] | None = None
) -> tuple[Change, ...]:
    """The changes that turn `old` into `new`, compared on normalised values, in field order.

    `fields` limits the comparison (default: the fields of `new`); a field absent from `old`
    counts as None, so a creation is a diff against an empty mapping. Remote-only fields are
    never compared.
    """
    names = [
        name
        for name in (list(new) if fields is None else list(fields))
        if name not in REMOTE_ONLY_FIELDS
    ]
    left = normalise_mapping(old, names)
    right = normalise_mapping(new, names)
    if left == right:  # the common case (in sync), and deepdiff costs milliseconds per call
        return ()
    changed = _changed_fields(left, right)
    return tuple(change(name, old.get(name), new.get(name)) for name in names if name in changed)


def _changed_fields(left: dict[str, str | None], right: dict[str, str | None]) -> set[str]:
    """The top-level keys deepdiff reports as different (a creation needs no comparison)."""
    if not any(value is not None for value in left.values()):
        return {name for name, value in right.items() if value is not None}
    from deepdiff import DeepDiff  # imported when first needed: it costs ~100 ms at start-up

    found = DeepDiff(left, right, view="tree")
    changed: set[str] = set()
    for report in found.values():
        for item in report:
            path = item.path(output_format="list")
            if path:
                changed.add(str(path[0]))
    return changed


def change(field: str, old: object, new: object) -> Change:
    """A Change in display form: sensitive values masked, the rest as canonical text.

    `payout` marks a payout field whose value existed before: that redirects money. Setting it
    for the first time (creating the payment service) sends nothing elsewhere.
    """
    return Change(
        field=field,
        old=display_value(field, old),
        new=display_value(field, new),
        sensitive=sensitive.is_sensitive(field),
        payout=field in PAYOUT_FIELDS and old is not None,
    )


def display_value(field: str, value: object) -> str | None:
    """What a person may see of `value`: masked when sensitive (`****1234`, `(sensitive)`)."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if value is None:
        return None
    if sensitive.is_sensitive(field):
        shown = sensitive.display(field, normalise_value(field, value))
        return None if shown is None else str(shown)
    return normalise_value(field, value)
