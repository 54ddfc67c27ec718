"""Money is Decimal end to end. Fen (分) and yuan (元) are different units: name them.

Baidu sends amounts as strings ("0.32", "-0.01"), sometimes as numbers, and "-" or null where
there is no value; `parse_amount` accepts all of them and never goes through float.
"""

from __future__ import annotations

from decimal import Context, Decimal, InvalidOperation

_MISSING = {"", "-", "--", "null", "None"}


def parse_amount(value: object) -> Decimal | None:
    """A Baidu amount -> Decimal, or None where Baidu says there is none ("-", null, "")."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"not an amount: {value!r}")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest text that round-trips, never binary noise
    text = str(value).strip().replace(",", "")
    if text in _MISSING:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return amount


#: Wide enough that normalising never rounds an amount (the default context keeps 28 digits:
#: 10**30 and 10**30 + 1 would compare equal, and quantize would fail on both).
_EXACT = Context(prec=100)


def normalise(amount: Decimal) -> Decimal:
    """1.00 and 1 compare equal but print differently; this gives the canonical form ("1")."""
    normal = amount.normalize(_EXACT)
    if normal != normal.to_integral():
        return normal
    try:
        return normal.quantize(Decimal(1), context=_EXACT)
    except InvalidOperation:  # an integer of more digits than even _EXACT holds
        return normal
