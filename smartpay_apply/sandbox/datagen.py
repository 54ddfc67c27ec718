"""Deterministic orders and finance data per mini-program, computed from the seed on demand.

Orders of one Beijing day are a pure function of (seed, app_id, day, orders_per_day): a day's
columns (creation offsets, statuses, amounts) are computed once and cached as compact arrays,
and a page turns only its own rows into dicts, so 100,000 orders cost a few MB, not 100,000
objects per request.

The books follow from the orders (docs/sandbox.md lists the invariants):
- income(D) = sum of pay_money of D's orders with sub_status 2 (已付款) or 3 (已消费), in yuan;
- commission of such an order = pay_money * rate / 1000 rounded half-up to the fen; others(D) =
  -(sum of D's commissions); net(D) = income(D) + others(D);
- the first `pool_cash_pledge` yuan of net income is kept as a reserve; the rest of net(D) is
  paid out on D + payment_days (自动打款, money = -payout) if that day is not after the data end;
- free_balance = reserve kept + net not yet paid out; so Σnet = Σpayouts + free_balance.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
from array import array
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from smartpay_apply.timeutil import day_start_timestamp

#: sub_status by cumulative share out of 1000: 1 待付款, 2 已付款, 3 已消费, 4 退款中, 5 已退款,
#: 6 退款失败, 7 已取消.
STATUS_SHARES: tuple[tuple[int, int], ...] = (
    (1, 50),
    (2, 250),
    (3, 850),
    (4, 870),
    (5, 950),
    (6, 960),
    (7, 1000),
)
INCOME_STATUSES = (2, 3)
CHANNELS = ("微信支付", "支付宝", "百度钱包", "网银支付")
TITLES = (
    "会员月卡",
    "课程体验包",
    "电子书",
    "在线问诊",
    "门票预订",
    "外卖订单",
    "话费充值",
    "游戏道具",
)
SECONDS_PER_DAY = 86400
CENT = Decimal("0.01")


def digest_of(*parts: object) -> bytes:
    """16 deterministic bytes for a tuple of parts (the source of every generated field)."""
    return hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=16).digest()


def digest_prefix(*parts: object) -> hashlib.blake2b:
    """The hash state `digest_after` continues: `digest_of(*parts, last)` for many `last`.

    BLAKE2b of a text is the same whether the text is hashed at once or in two pieces, so the
    leading parts are hashed once and each digest only copies that state and adds `:last`.
    """
    return hashlib.blake2b((":".join(map(str, parts)) + ":").encode(), digest_size=16)


def digest_after(prefix: hashlib.blake2b, last: object) -> bytes:
    """`digest_of(*parts, last)`, where `prefix` is `digest_prefix(*parts)`."""
    state = prefix.copy()
    state.update(str(last).encode())
    return state.digest()


@dataclass(frozen=True)
class DayOrders:
    """The columns of one day's orders, in creation order (offsets ascending)."""

    day: date
    start: int  # unix time of 00:00 Beijing
    offsets: array  # seconds after `start`, non-decreasing
    statuses: bytes
    total_fen: array
    pay_fen: array
    update_delay: array  # seconds from creation to the last update

    def __len__(self) -> int:
        return len(self.statuses)


def _status(draw: int) -> int:
    for status, bound in STATUS_SHARES:
        if draw < bound:
            return status
    return 7


@functools.lru_cache(maxsize=4096)
def day_orders(seed: int, app_id: int, day: date, count: int) -> DayOrders:
    """The orders one app has on one day (cached; a pure function of its arguments)."""
    offsets, totals, pays, delays = array("i"), array("i"), array("i"), array("i")
    statuses = bytearray()
    slot = SECONDS_PER_DAY / max(count, 1)
    for index in range(count):
        h = digest_of(seed, app_id, day.isoformat(), index)
        offsets.append(int(index * slot + (h[0] / 256) * slot))
        status = _status(int.from_bytes(h[1:3], "big") % 1000)
        statuses.append(status)
        total = 100 + int.from_bytes(h[3:6], "big") % 19_901  # 1.00 - 200.00 yuan
        discount = (total * (h[6] % 4)) // 20 if h[7] % 3 == 0 else 0  # now and then 5-15% off
        totals.append(total)
        pays.append(total - discount)
        if status == 1:
            delays.append(0)
        elif status in (2, 7):
            delays.append(2 + h[8] % 600)
        else:
            delays.append(3600 + int.from_bytes(h[8:11], "big") % (3 * SECONDS_PER_DAY))
    return DayOrders(day, day_start_timestamp(day), offsets, bytes(statuses), totals, pays, delays)


@functools.lru_cache(maxsize=1024)
def _order_base(seed: int, app_id: int) -> int:
    return int.from_bytes(digest_of("order", seed, app_id)[:4], "big") % 9000 + 1000


def order_number(seed: int, app_id: int, day: date, index: int) -> int:
    """The 14-digit Baidu order id of one order (unique per app and day)."""
    return (_order_base(seed, app_id) * 10**10) + (day.toordinal() % 100_000) * 100_000 + index


def commission_fen(pay_fen: int, rate_per_mille: int) -> int:
    """One order's commission in fen: pay_money * rate / 1000, rounded half-up."""
    return (pay_fen * rate_per_mille + 500) // 1000  # half-up, exact in integers (pay >= 0)


def yuan(fen: int) -> str:
    """Fen -> the yuan string Baidu's finance endpoints show ("-0.01", "12.30")."""
    return str((Decimal(fen) / 100).quantize(CENT))


@dataclass(frozen=True)
class DayBooks:
    """One day's finance figures, in fen."""

    day: date
    income: int
    others: int  # negative: commissions
    count: int  # orders counted in income
    refunded: int  # pay_money of 已退款 orders (shown by incomedetail, not in income)

    @property
    def net(self) -> int:
        return self.income + self.others


@functools.lru_cache(maxsize=4096)
def day_books(seed: int, app_id: int, day: date, count: int, rate: int) -> DayBooks:
    orders = day_orders(seed, app_id, day, count)
    income = others = counted = refunded = 0
    for index, status in enumerate(orders.statuses):
        if status in INCOME_STATUSES:
            pay = orders.pay_fen[index]
            income += pay
            others -= commission_fen(pay, rate)
            counted += 1
        elif status == 5:
            refunded += orders.pay_fen[index]
    return DayBooks(day, income, others, counted, refunded)


@dataclass(frozen=True)
class Payout:
    """One 自动打款: `amount` fen paid on `paid_on` for the books of `for_day`."""

    for_day: date
    paid_on: date
    amount: int
    task_id: int


@dataclass(frozen=True)
class Ledger:
    """An app's whole finance picture over the data window."""

    days: tuple[DayBooks, ...]  # chronological
    payouts: tuple[Payout, ...]  # chronological
    free_balance: int
    next_payment: date


def task_id(seed: int, app_id: int, day: date) -> int:
    """The payout's 支付凭证 id: encodes the day, so paydetail can find it back."""
    suffix = int.from_bytes(digest_of("task", seed, app_id)[:3], "big") % 100_000
    return day.toordinal() * 100_000 + suffix


def day_of_task(seed: int, app_id: int, task: int) -> date | None:
    ordinal, suffix = divmod(task, 100_000)
    if ordinal <= 0 or suffix != task_id(seed, app_id, date(1, 1, 1)) % 100_000:
        return None
    try:
        return date.fromordinal(ordinal)
    except ValueError:
        return None


@dataclass(frozen=True)
class Window:
    """What data exists: the days [first, last] and how many orders each has."""

    first: date
    last: date
    per_day: int

    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]


def ledger(
    seed: int, app_id: int, window: Window, rate: int, payment_days: int, pledge_yuan: int
) -> Ledger:
    """Books, payouts and balance, consistent with the orders (see the module docstring)."""
    books = tuple(day_books(seed, app_id, d, window.per_day, rate) for d in window.days())
    reserve_left = max(pledge_yuan, 0) * 100
    payouts: list[Payout] = []
    unpaid = 0
    due_dates: list[date] = []
    for day in books:
        kept = min(reserve_left, max(day.net, 0))
        reserve_left -= kept
        amount = day.net - kept
        paid_on = day.day + timedelta(days=payment_days)
        if amount <= 0:
            continue
        if paid_on <= window.last:
            payouts.append(Payout(day.day, paid_on, amount, task_id(seed, app_id, paid_on)))
        else:
            unpaid += amount
            due_dates.append(paid_on)
    kept_total = max(pledge_yuan, 0) * 100 - reserve_left
    next_payment = min(due_dates, default=window.last + timedelta(days=1))
    return Ledger(books, tuple(payouts), kept_total + unpaid, next_payment)


def orders_in_range(orders: DayOrders, start: int, end: int) -> tuple[int, int]:
    """Index range [lo, hi) of the day's orders created within [start, end] (unix seconds)."""
    lo = bisect.bisect_left(orders.offsets, start - orders.start)
    hi = bisect.bisect_right(orders.offsets, end - orders.start)
    return lo, hi
