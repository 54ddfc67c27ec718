"""Formatting a real server may show where the documented samples do not: `quirks:`.

By default the sandbox answers in the documented shapes, typed as the doc's tables type them.
Baidu's own documentation is not that consistent, so a tool must not depend on it: the public
payment-service doc types `errno` as a string in places (openapi-facts.md), its orderlist
sample sends `sub_status` ("1") and every amount as text, `deal_id` is a number sent as text,
the finance endpoints write yuan with two decimals ("0.00"), and paymentservice/auditstatus
types `fail_reason` int while its sample says "审核通过". `sandbox: {quirks: [name, ...]}` (or
`sandbox serve --quirk NAME`) makes the reads a plan or an import makes answer that way, so a
test can prove the tool reads what a real server may send, not only the doc's samples:

- `numbers_as_strings`: every number of the answer as its decimal text, errno included
  (`"errno":"0"`, `"payment_days":"7"`, `"pm_app_id":"12345"`);
- `padded_strings`: every non-empty text value of `data` with a space before and after
  (`" 招商银行 "`), as hand-entered console values can be;
- `decimal_amounts`: getbindservice's `pool_cash_pledge` and `day_max_frozen_amount` as yuan
  text with two decimals (`"500.00"`), as the finance endpoints write yuan.

None is on unless asked for. Quirks change only how an answer is written, never what it says.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

#: name -> what it does to an answer.
QUIRKS: dict[str, str] = {
    "numbers_as_strings": 'every number as its decimal text: "errno":"0", "payment_days":"7"',
    "padded_strings": 'text values of data with a space before and after: " 招商银行 "',
    "decimal_amounts": 'getbindservice amounts as yuan with two decimals: "500.00"',
}

#: The answers quirks apply to (path suffixes): the reads plan and import make.
DRESSED_PATHS: tuple[str, ...] = (
    "/account/auditstatus",
    "/paymentservice/auditstatus",
    "/paymentservice/getbindservice",
)
AMOUNT_FIELDS: tuple[str, ...] = ("pool_cash_pledge", "day_max_frozen_amount")


def dress(quirks: Iterable[str], path: str, body: dict[str, Any]) -> dict[str, Any]:
    """`body` as a server with `quirks` writes it (a new dict; the original is untouched)."""
    chosen = set(quirks)
    if not chosen or not path.endswith(DRESSED_PATHS):
        return body
    dressed = dict(body)
    data = dressed.get("data")
    if isinstance(data, dict):
        data = dict(data)
        if "padded_strings" in chosen:
            data = {key: _padded(value) for key, value in data.items()}
        if "decimal_amounts" in chosen and path.endswith("/getbindservice"):
            for name in AMOUNT_FIELDS:
                if isinstance(data.get(name), int) and not isinstance(data[name], bool):
                    data[name] = f"{data[name]}.00"
        dressed["data"] = data
    if "numbers_as_strings" in chosen:
        dressed = _stringified(dressed)
    return dressed


def _padded(value: Any) -> Any:
    return f" {value} " if isinstance(value, str) and value else value


def _stringified(value: Any) -> Any:
    """Every int and float inside `value` as its text (booleans stay booleans)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dict):
        return {key: _stringified(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_stringified(item) for item in value]
    return value
