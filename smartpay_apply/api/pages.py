"""The paged data endpoints' answers: orders (amounts in fen) and finance (amounts in yuan).

Kept apart from the setup models (models.py, which re-exports them) because they are many and
read together: each page carries `current_page`, `page_size` and the totals the page walk
(paging.py) trusts.
"""

from __future__ import annotations

from pydantic import Field, SecretStr

from smartpay_apply.api.fields import BaiduDate, BaiduTime, Fen, LooseText, ResponseModel, Yuan

# ---------------------------------------------------------------- data: orders


class Order(ResponseModel):
    """One orderlist row. total_money, pay_money, segment_refunded_money are in fen."""

    id: LooseText = None
    deal_id: LooseText = None
    deal_title: str | None = None
    order_id: LooseText = None
    tp_order_id: LooseText = None
    phone: str | None = None
    create_time: BaiduTime = None
    update_time: BaiduTime = None
    sub_status: LooseText = None
    total_money: Fen = None
    pay_money: Fen = None
    segment_refunded_money: Fen = None
    channel: str | None = None


class _Page(ResponseModel):
    current_page: int | None = None
    page_size: int | None = None
    total_count: int | None = None
    total_page: int | None = None


class OrderPage(_Page):
    """One orderlist page. `total_money` is in fen ("-" when Baidu gives none)."""

    total_money: Fen = None
    data: list[Order] = Field(default_factory=list)


# ---------------------------------------------------------------- data: finance (yuan)


class FinanceBalanceDay(ResponseModel):
    income: Yuan = None
    operate_time: BaiduDate = None
    adjust_amount: Yuan = None
    others: Yuan = None


class FinanceBalancePage(_Page):
    """financebalance: all amounts in yuan; payment_due is a Beijing time."""

    income: Yuan = None
    period: int | None = None
    adjustment: Yuan = None
    free_balance: Yuan = None
    payment_due: BaiduTime = None
    others: Yuan = None
    data: list[FinanceBalanceDay] = Field(default_factory=list)


class IncomeDetailItem(ResponseModel):
    opt_type: str | None = None
    money: Yuan = None
    order_id: LooseText = None
    operate_time: BaiduTime = None
    third_order_id: LooseText = None


class IncomeDetailPage(_Page):
    """financebalance/incomedetail (one day): amounts in yuan."""

    income: Yuan = None
    quantity: int | None = None
    operate_time: BaiduTime = None
    income_amount: Yuan = None
    refund_amount: Yuan = None
    data: list[IncomeDetailItem] = Field(default_factory=list)


class OtherDetailItem(ResponseModel):
    opt_type: str | None = None
    order_id: LooseText = None
    operate_time: BaiduTime = None
    ref_money: Yuan = None
    third_order_id: LooseText = None


class OtherDetailPage(_Page):
    """financebalance/otherdetail: amounts in yuan; rule_type is Baidu's JSON text, kept raw."""

    total_amount: Yuan = None
    order_amount: Yuan = None
    rule_type: str | None = None
    settlement_start_time: BaiduTime = None
    settlement_end_time: BaiduTime = None
    data: list[OtherDetailItem] = Field(default_factory=list)


class ExpenseItem(ResponseModel):
    money: Yuan = None
    operate_time: BaiduTime = None
    start_time: BaiduTime = None
    type_id: str | None = None
    end_time: BaiduTime = None
    pay_status: str | None = None
    task_id: int | None = None


class ExpensePage(_Page):
    """financeexpense: amounts in yuan."""

    expense_count: int | None = None
    expense_money: Yuan = None
    data: list[ExpenseItem] = Field(default_factory=list)


class PayDetailItem(ResponseModel):
    paid_money: Yuan = None
    paid_account: SecretStr | None = None  # Baidu masks it already; we keep it out of reprs
    remark: str | None = None
    receive_user: str | None = None
    payment_status: str | None = None


class PayDetail(ResponseModel):
    """financeexpense/paydetail: the payouts of one task (amounts in yuan)."""

    data: list[PayDetailItem] = Field(default_factory=list)
