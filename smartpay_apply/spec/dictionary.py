"""The payment data dictionary, cached on disk, and the spec checks that use it.

bank_name, open_province/open_city, payment_days and commission_rate must be values from
Baidu's `paymentservice/dict`. `smartpay-apply dict --refresh` fetches it once into
`<root>/.smartpay/dict.json`; `validate` then checks specs against it offline (a pre-commit
hook has no token and no network) and suggests the nearest names for a typo.

This module does no network I/O and imports neither the API client nor credentials: the
fetch is the `dict --refresh` command's (cli/dict_cmd.py), which stores its answer here.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from smartpay_apply.atomic import replace_text
from smartpay_apply.errors import SmartpayError
from smartpay_apply.spec.models import AppSpec
from smartpay_apply.yamldoc.problems import Problem

if TYPE_CHECKING:
    from smartpay_apply.spec.loader import PartialPayment

CACHE_NAME = "dict.json"
FORMAT_VERSION = 1
MISSING_HINT = "dictionary checks skipped: run `smartpay-apply dict --refresh`"


class DictionaryError(SmartpayError):
    """The dictionary cache cannot be read or written, or the refresh failed."""


@dataclass
class PaymentDictData:
    """The dictionary as the checks need it: plain names and numbers, JSON-able."""

    provinces: dict[str, list[str]] = field(default_factory=dict)
    banks: list[str] = field(default_factory=list)
    commission_rates: dict[int, str] = field(default_factory=dict)
    payment_days: dict[int, str] = field(default_factory=dict)
    fetched_at: str = ""
    endpoint: str = ""

    def to_json(self) -> dict[str, Any]:
        """The cache file's content (and `dict --format json`)."""
        return {
            "format_version": FORMAT_VERSION,
            "fetched_at": self.fetched_at,
            "endpoint": self.endpoint,
            "provinces": self.provinces,
            "banks": self.banks,
            "commission_rates": {str(k): v for k, v in sorted(self.commission_rates.items())},
            "payment_days": {str(k): v for k, v in sorted(self.payment_days.items())},
        }

    @classmethod
    def from_json(cls, data: Any) -> PaymentDictData:
        """Parse a cache file; ValueError if it is not one this version wrote."""
        if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
            raise ValueError("not a dictionary cache of this version")
        provinces = data.get("provinces")
        banks = data.get("banks")
        if not isinstance(provinces, dict) or not isinstance(banks, list):
            raise ValueError("provinces or banks missing")
        return cls(
            provinces={
                str(k): [str(c) for c in v] for k, v in provinces.items() if isinstance(v, list)
            },
            banks=[str(b) for b in banks],
            commission_rates=_int_keys(data.get("commission_rates")),
            payment_days=_int_keys(data.get("payment_days")),
            fetched_at=str(data.get("fetched_at", "")),
            endpoint=str(data.get("endpoint", "")),
        )

    @classmethod
    def from_api(cls, answer: Any, endpoint: str) -> PaymentDictData:
        """From the API client's `PaymentDict` answer."""
        from smartpay_apply.timeutil import SHANGHAI, now

        return cls(
            provinces=dict(answer.provinces),
            banks=list(answer.bank_names),
            commission_rates=dict(answer.commission_rates),
            payment_days=dict(answer.payment_day_options),
            fetched_at=now().astimezone(SHANGHAI).isoformat(timespec="seconds"),
            endpoint=endpoint,
        )


def _int_keys(value: Any) -> dict[int, str]:
    if not isinstance(value, dict):
        return {}
    return {int(k): str(v) for k, v in value.items() if str(k).strip().isdigit()}


class DictCache:
    """`<root>/.smartpay/dict.json`: written atomically, read leniently (a bad file is a warning)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def in_dir(cls, state_dir: Path) -> DictCache:
        """The cache of a project whose local files live in `state_dir` (`<root>/.smartpay`)."""
        return cls(state_dir / CACHE_NAME)

    def load(self) -> PaymentDictData | None:
        """The cached dictionary; None if there is none. DictionaryError if unreadable."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as error:
            raise DictionaryError(
                f"{self.path}: cannot read the dictionary cache ({error})"
            ) from None
        try:
            return PaymentDictData.from_json(json.loads(text))
        except (ValueError, TypeError) as error:
            raise DictionaryError(
                f"{self.path}: not a valid dictionary cache ({error}); run `smartpay-apply dict --refresh`"
            ) from None

    def save(self, data: PaymentDictData) -> None:
        """Write the cache atomically (a crash never leaves half a file)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps(data.to_json(), ensure_ascii=False, indent=2) + "\n"
            replace_text(self.path, text)
        except OSError as error:
            raise DictionaryError(
                f"{self.path}: cannot write the dictionary cache ({error})"
            ) from None


def load_cached(state_dir: Path) -> PaymentDictData | None:
    """The cached dictionary of the project whose local files live in `state_dir`, or None
    when `dict --refresh` never ran."""
    return DictCache.in_dir(state_dir).load()


# --- checks ----------------------------------------------------------------------------------


def check_specs(specs: Sequence[AppSpec], data: PaymentDictData) -> list[Problem]:
    """Every payment-service value that the dictionary does not list, with suggestions."""
    problems: list[Problem] = []
    for spec in specs:
        payment = spec.payment_service
        if payment is None:
            continue
        values = {name: getattr(payment, name) for name in DICTIONARY_FIELDS}
        for field_name, message in _payment_problems(values, data):
            path = f"payment_service.{field_name}"
            where = spec.source.locate(path) if spec.source is not None else None
            problems.append(Problem.at(where, f"spec {spec.app}", path, message))
    return problems


def check_partial(partial: Sequence[PartialPayment], data: PaymentDictData) -> list[Problem]:
    """`check_specs` for the payment services of specs with other problems.

    Only values of the right kind are checked, and never a field that already has a problem
    (nor a city whose province has one): one problem per root cause.
    """
    problems: list[Problem] = []
    for payment in partial:
        values = _checkable(payment)
        for field_name, message in _payment_problems(values, data):
            where = payment.positions.get(field_name)
            problems.append(
                Problem.at(where, payment.display, f"payment_service.{field_name}", message)
            )
    return problems


#: The payment-service fields whose values come from the dictionary.
DICTIONARY_FIELDS = ("bank_name", "open_province", "open_city", "payment_days", "commission_rate")


def _checkable(payment: PartialPayment) -> dict[str, Any]:
    """The dictionary fields of a partial payment service that can be checked on their own."""
    from smartpay_apply.spec import rules

    values: dict[str, Any] = {}
    for name in DICTIONARY_FIELDS:
        if f"payment_service.{name}" in payment.bad_fields or name not in payment.values:
            continue
        value = payment.values[name]
        if name in ("payment_days", "commission_rate"):
            try:
                values[name] = getattr(rules, name)(value)
            except ValueError:
                continue
        elif isinstance(value, str) and value.strip():
            values[name] = value.strip()
    if "open_province" not in values:
        values.pop("open_city", None)
    return values


def _payment_problems(values: dict[str, Any], data: PaymentDictData) -> list[tuple[str, str]]:
    """(field, message) for each value the dictionary does not list; absent fields are skipped."""
    found: list[tuple[str, str]] = []
    bank = values.get("bank_name")
    if data.banks and bank is not None and bank not in data.banks:
        found.append(("bank_name", _unknown("bank", bank, data.banks)))
    province = values.get("open_province")
    if data.provinces and province is not None:
        if province not in data.provinces:
            found.append(("open_province", _unknown("province", province, list(data.provinces))))
        else:
            city = values.get("open_city")
            if city is not None and city not in data.provinces[province]:
                found.append(("open_city", _unknown_city(city, province, data)))
    days = values.get("payment_days")
    if data.payment_days and days is not None and days not in data.payment_days:
        allowed = ", ".join(str(day) for day in sorted(data.payment_days))
        found.append(("payment_days", f"{days} is not in the dictionary (allowed: {allowed})"))
    rate = values.get("commission_rate")
    if data.commission_rates and rate is not None and rate not in data.commission_rates:
        allowed = ", ".join(str(rate) for rate in sorted(data.commission_rates))
        found.append(("commission_rate", f"{rate} is not in the dictionary (allowed: {allowed})"))
    return found


def suggest(name: str, choices: Sequence[str], count: int = 3) -> list[str]:
    """The nearest valid names to `name` (difflib), best first; substrings count as near."""
    close = difflib.get_close_matches(name, choices, n=count, cutoff=0.5)
    if len(close) < count and name:
        for choice in choices:
            if choice not in close and (name in choice or choice in name):
                close.append(choice)
            if len(close) >= count:
                break
    return close


def _unknown(kind: str, name: str, choices: Sequence[str]) -> str:
    near = suggest(name, choices)
    hint = f" (did you mean: {', '.join(near)}?)" if near else " (see `smartpay-apply dict`)"
    return f"unknown {kind} {name!r}{hint}"


def _unknown_city(city: str, province: str, data: PaymentDictData) -> str:
    elsewhere = [p for p, cities in data.provinces.items() if city in cities]
    if elsewhere:
        return f"{city!r} is a city of {', '.join(elsewhere)}, not of {province}"
    near = suggest(city, data.provinces[province])
    hint = (
        f" (did you mean: {', '.join(near)}?)"
        if near
        else f" (see `smartpay-apply dict` for {province})"
    )
    return f"unknown city {city!r} in {province!r}{hint}"
