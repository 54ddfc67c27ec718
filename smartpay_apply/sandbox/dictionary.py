"""The data dictionary (开户省市, 开户银行, 佣金比例, 结算周期), kept in dict_data.json.

Real provinces (all 34 provincial-level divisions) with their prefecture-level cities (the four
municipalities list their districts, as the doc's 北京市/海淀区 example does) and the major banks
grouped by initial, so values a user copies from `dict` are the ones the sandbox accepts.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any


@functools.cache
def dictionary() -> dict[str, Any]:
    """The dict endpoint's data, exactly as served."""
    text = resources.files("smartpay_apply.sandbox").joinpath("dict_data.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@functools.cache
def cities_by_province() -> dict[str, frozenset[str]]:
    """provinceName -> its cityNames."""
    return {
        p["provinceName"]: frozenset(c["cityName"] for c in p["cities"])
        for p in dictionary()["province_list"]
    }


@functools.cache
def bank_names() -> frozenset[str]:
    """Every bankName of the dict."""
    return frozenset(b["bankName"] for group in dictionary()["bank_list"] for b in group["banks"])


def payment_days() -> frozenset[int]:
    return frozenset(int(k) for k in dictionary()["paymentDays"])
