"""What the payment-data endpoints (支付数据) share: the app's service, paging, dates and times.

The endpoints themselves are in data_orders.py (orderlist) and data_finance.py (the five
finance endpoints); DATA_HANDLERS names them for the app.

They serve `datagen`'s deterministic data for apps whose payment service has been approved
(60008 otherwise), paged as documented (current_page from 1, page_size; the answers carry the
paging fields the doc's samples show: total_count, total_page for orderlist, and none at all
for otherdetail). Newest first, like the doc's examples.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta
from typing import Any

from smartpay_apply.sandbox import datagen
from smartpay_apply.sandbox.errors import ApiError
from smartpay_apply.sandbox.fields import require
from smartpay_apply.sandbox.handlers import Call, Handler
from smartpay_apply.sandbox.world import app_record
from smartpay_apply.timeutil import SHANGHAI

MAX_PAGE_SIZE = 1000
RULE_TYPE = (
    '{"commisionLadder":"0.00-9,223,372,036,854,775.00,0.60%;","marketing":"营销模式",'
    '"marketingLadder":"","fixedCostLadder":"","fixedCost":"固定费用","commision":"分佣模式"}'
)
STATUS_NAMES = {2: "成交", 3: "使用"}


def service_of(call: Call) -> dict[str, Any]:
    """The approved service values (data exists only once a service was approved)."""
    service = app_record(call.state, call.app_id)["payment_service"]
    if service is None or not service.get("approved"):
        raise ApiError(60008)
    values: dict[str, Any] = service["approved"]
    return {**values, "deal_id": service["deal_id"]}


def window_of(call: Call) -> datagen.Window:
    config = call.config
    if config.data_end:
        last = date.fromisoformat(config.data_end)
    else:
        last = datetime.fromtimestamp(call.now, SHANGHAI).date() - timedelta(days=1)
    first = last - timedelta(days=max(config.data_days, 1) - 1)
    return datagen.Window(first, last, max(config.orders_per_day, 0))


def paging_of(params: dict[str, str]) -> tuple[int, int]:
    raw = require(params, ("current_page", "page_size"))
    try:
        page, size = int(raw["current_page"]), int(raw["page_size"])
    except ValueError:
        raise ApiError(60000, "current_page/page_size 必须是整数") from None
    if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
        raise ApiError(60000, f"current_page >= 1, page_size 1-{MAX_PAGE_SIZE}")
    return page, size


def date_param(params: dict[str, str], name: str) -> date:
    try:
        return date.fromisoformat(require(params, (name,))[name])
    except ValueError:
        raise ApiError(60000, f"{name} 格式为 YYYY-MM-DD") from None


def timestamp_param(params: dict[str, str], name: str) -> int:
    text = require(params, (name,))[name]
    if not text.isdigit() or len(text) != 10:
        raise ApiError(60000, f"{name} 是 10 位时间戳")
    return int(text)


BEIJING_OFFSET = 8 * 3600  # Asia/Shanghai has been UTC+8 without DST since 1992
UNIX_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@functools.lru_cache(maxsize=8192)
def day_text(days_since_epoch: int) -> str:
    return date.fromordinal(UNIX_EPOCH_ORDINAL + days_since_epoch).isoformat()


#: "00".."59", and "HH:MM:" for each minute of a day: the fields of a time looked up, not
#: formatted per call.
_TWO_DIGITS = tuple(f"{n:02d}" for n in range(60))
_HOURS_MINUTES = tuple(f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60))


def beijing_text(unix: int) -> str:
    """A unix time as Beijing wall-clock text; string arithmetic (hot: two per order row)."""
    days, seconds = divmod(unix + BEIJING_OFFSET, 86400)
    minutes, seconds = divmod(seconds, 60)
    return f"{day_text(days)} {_HOURS_MINUTES[minutes]}{_TWO_DIGITS[seconds]}"


def day_time(day: date) -> str:
    return f"{day.isoformat()} 00:00:00"


def handlers() -> dict[str, Handler]:
    """Every payment-data endpoint by its path under paymentservice/."""
    from smartpay_apply.sandbox import data_finance, data_orders

    return {
        "orderlist": data_orders.order_list,
        "financebalance": data_finance.finance_balance,
        "financebalance/incomedetail": data_finance.income_detail,
        "financebalance/otherdetail": data_finance.other_detail,
        "financeexpense": data_finance.finance_expense,
        "financeexpense/paydetail": data_finance.pay_detail,
    }
