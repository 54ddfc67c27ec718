"""The field rules of a spec, from the payment-service documentation.

Each rule is a small function used as a pydantic validator in `spec/models.py`: it returns the
value (possibly normalised) or raises ValueError with a message that says what is wrong and
what is allowed. Messages never repeat the value of a sensitive field (legal_id, bank_card,
id-card URLs, tokens): the messages here never include the input at all, except where noted
for harmless values.
"""

from __future__ import annotations

import functools
import re
from datetime import date
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationInfo

from smartpay_apply.spec import numbers
from smartpay_apply.yamldoc.refs import UnresolvedSecret

APP_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")
#: Chinese characters (CJK unified ideographs and extension A), plus the middle dot used in
#: transliterated names (e.g. 阿依古丽·买买提).
_CHINESE_NAME = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff](?:[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff·]*[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])?\Z"
)
_ID_NUMBER = re.compile(r"[0-9]{17}[0-9X]\Z")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_MOBILE = re.compile(r"1[3-9][0-9]{9}\Z")
_LANDLINE = re.compile(r"0[1-9][0-9]{1,2}-?[2-9][0-9]{6,7}(?:-[0-9]{1,6})?\Z")
_SERVICE_NUMBER = re.compile(r"[48]00-?[0-9]{3}-?[0-9]{4}\Z")
_DIGITS = re.compile(r"[0-9]{8,30}\Z")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
#: https://host[:port][/path?query#fragment], no whitespace, no user info.
_HTTPS_URL = re.compile(r"https://[^\s/?#@]+(?:[/?#]\S*)?\Z")

#: Spelling Baidu's forms use for an ID card or licence that never expires.
PERMANENT = "长期"
#: What Baidu takes for "never expires" (the SDKs: "长期有效传 9999-12-31").
NEVER_EXPIRES = "9999-12-31"


def no_bool(value: Any) -> Any:
    """`true` is not a number: YAML booleans would otherwise pass as 1 and 0."""
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    return value


def non_empty(value: str | SecretStr | None) -> Any:
    """Required text must not be blank (a secret not resolved yet is checked where it is used)."""
    if isinstance(value, UnresolvedSecret):
        return value
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if text is not None and not text.strip():
        raise ValueError("must not be empty")
    return value


def app_name(value: str) -> str:
    """`app`: a stable name used in plans, state and commands."""
    if not APP_NAME.match(value):
        raise ValueError(
            f"{value!r} is not a valid name (allowed: lower-case letters, digits and dashes, "
            "starting and ending with a letter or digit, at most 63 characters)"
        )
    return value


def app_id(value: Any) -> Any:
    """`app_id`: Baidu's appid, a Long (1 to 2**63-1); checked before it becomes an int."""
    return numbers.APP_ID.whole_number(value)


def industry_id(value: Any) -> Any:
    """`account.industry_id`: an id from getTradeIndustryList (a Long in the SDKs)."""
    return numbers.INDUSTRY_ID.whole_number(value)


def business_scope(value: str) -> str:
    """Scope of business as on the licence: 2-2000 characters."""
    if not 2 <= len(value) <= 2000:
        raise ValueError(f"must be 2-2000 characters long (it has {len(value)})")
    return value


def legal_person(value: str) -> str:
    """The legal person's name as on the ID card: 1-25 Chinese characters."""
    if not 1 <= len(value) <= 25 or not _CHINESE_NAME.match(value):
        raise ValueError("must be the name on the ID card: 1-25 Chinese characters")
    return value


def legal_id(value: SecretStr) -> SecretStr:
    """An 18-character resident ID number with a valid GB 11643-1999 check digit."""
    text = value.get_secret_value().strip().upper()
    if len(text) != 18:
        raise ValueError(
            f"must be 18 characters: 17 digits and a check digit 0-9 or X (it has {len(text)})"
        )
    if not _ID_NUMBER.match(text):
        raise ValueError("must be 17 digits followed by a check digit 0-9 or X")
    if id_check_digit(text[:17]) != text[17]:
        raise ValueError("check digit is wrong (GB 11643): not a valid ID number")
    return SecretStr(text)


def id_check_digit(first17: str) -> str:
    """The GB 11643 (ISO 7064 MOD 11-2) check digit for the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def https_url(value: str | None) -> str | None:
    """Callback and image URLs must be https with a host."""
    if value is None:
        return None
    _check_https(value)
    return value


def https_secret_url(value: SecretStr | None) -> SecretStr | None:
    """https_url for a sensitive URL (the message never repeats it)."""
    if value is not None:
        _check_https(value.get_secret_value())
    return value


def _check_https(text: str) -> None:
    if not _HTTPS_URL.match(text):
        raise ValueError("must be an https:// URL")


def rsa_public_key(value: str) -> str:
    """tp_public_key: the developer's RSA public key in PEM ("-----BEGIN PUBLIC KEY-----")."""
    problem = _rsa_key_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


@functools.lru_cache(maxsize=64)
def _rsa_key_problem(value: str) -> str | None:
    """What is wrong with a PEM key, or None; cached because specs usually share one key."""
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    if "-----BEGIN" not in value:
        return (
            "must be an RSA public key in PEM form (-----BEGIN PUBLIC KEY----- ...); "
            "tip: tp_public_key: ${file:keys/tp_public.pem}"
        )
    try:
        key = load_pem_public_key(value.encode())
    except Exception:  # ValueError, TypeError, cryptography's UnsupportedAlgorithm
        return "is not a parseable PEM public key"
    if not isinstance(key, RSAPublicKey):
        return "must be an RSA public key (this PEM holds another kind of key)"
    return None


def service_phone(value: str) -> str:
    """A mobile (13800138000), a landline with area code (010-12345678) or a 400/800 number."""
    if not (_MOBILE.match(value) or _LANDLINE.match(value) or _SERVICE_NUMBER.match(value)):
        raise ValueError(
            f"{value!r} is not a phone number (allowed: mobile 1[3-9]XXXXXXXXX, "
            "landline with area code 0XX-XXXXXXXX, 400/800 numbers)"
        )
    return value


def mobile_phone(value: str | None) -> str | None:
    """bank_phone_number: the mobile number registered with the bank."""
    if value is not None and not _MOBILE.match(value):
        raise ValueError("must be a mobile number (allowed: 1[3-9] followed by 9 digits)")
    return value


def bank_card(value: SecretStr) -> SecretStr:
    """A bank card or account number: digits only, 8-30 of them (never shown)."""
    text = value.get_secret_value().replace(" ", "")
    if not _DIGITS.match(text):
        raise ValueError("must be 8-30 digits, nothing else (spaces are removed)")
    return SecretStr(text)


def payment_days(value: Any) -> Any:
    """The settlement period T+N: 1, 7, 14 or 28 days."""
    return numbers.PAYMENT_DAYS.check(value)


def commission_rate(value: Any) -> Any:
    """Mini-programs pay 6 per mille; 10 is for mini-games, which this tool does not manage."""
    return numbers.COMMISSION_RATE.check(value)


def pool_cash_pledge(value: Any) -> Any:
    """打款预留: whole yuan (Baidu's field is a Long; "500.5" is errno 60000 at apply)."""
    return numbers.POOL_CASH_PLEDGE.amount(value)


def day_max_frozen_amount(value: Any) -> Any:
    """每日退款上限: whole yuan, 0-10000 (a Long, like pool_cash_pledge)."""
    return numbers.DAY_MAX_FROZEN_AMOUNT.amount(value)


def date_text(value: str | None) -> str | None:
    """A date written YYYY-MM-DD."""
    if value is None:
        return None
    if not _DATE.match(value):
        raise ValueError("must be a date YYYY-MM-DD")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a real date YYYY-MM-DD") from None
    return value


def end_date_text(value: str | None) -> str | None:
    """An end date YYYY-MM-DD; 长期 (never expires) becomes 9999-12-31.

    Why convert here: 长期 is not a date, and Baidu's SDKs say what to send instead
    (smartapp-openapi-go createPayAccount.go: "长期有效传 9999-12-31"). apply builds its request
    from the model's fields, so what the model holds is what Baidu gets.
    """
    if value == PERMANENT:
        return NEVER_EXPIRES
    try:
        return date_text(value)
    except ValueError:
        raise ValueError(f"must be a date YYYY-MM-DD or {PERMANENT} (never expires)") from None


def not_before(start_field: str) -> Any:
    """A validator for an end date: not before the start date given in `start_field`.

    Dates are YYYY-MM-DD text, so text order is date order. The message names the other
    field but quotes neither date (they come from an ID card).
    """

    def check(value: str | None, info: ValidationInfo) -> str | None:
        start = info.data.get(start_field)
        if value is not None and start is not None and value < start:
            raise ValueError(f"must not be before {start_field}")
        return value

    return check


def one_of(model: BaseModel, url_field: str, file_field: str) -> None:
    """Exactly one of an uploaded image URL and a local image file."""
    has_url = getattr(model, url_field) is not None
    has_file = getattr(model, file_field) is not None
    if has_url == has_file:
        which = "both" if has_url else "neither"
        raise ValueError(
            f"give exactly one of {url_field} (an uploaded image URL) or {file_field} "
            f"(a local image file), not {which}"
        )
