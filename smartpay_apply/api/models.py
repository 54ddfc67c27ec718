"""Typed requests and responses of the payment-service openapi, named as the API names them.

Units of money are in the type: `Fen` (orderlist amounts: 分) and `Yuan` (finance amounts and
the payment-service pledge/limit: 元). Both are `Decimal | None` (Baidu sends "-" or null where
there is no value) and never pass through float. Times Baidu sends as Beijing wall-clock
strings are aware `datetime`s in Asia/Shanghai (`BaiduTime`); dumping with `mode="json"`
gives Baidu's string back. Sensitive values (bank_card, legal_id, id-card URLs, keys, tokens)
are `SecretStr`, so a repr or a log line never shows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    SecretStr,
    field_validator,
)

from smartpay_apply.money import normalise, parse_amount
from smartpay_apply.timeutil import format_baidu_time, parse_baidu_time


def _amount_text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _parse_time(value: object) -> object:
    if value is None or value == "" or value == "-":
        return None
    if isinstance(value, str):
        return parse_baidu_time(value)
    return value


def _parse_day(value: object) -> object:
    if value is None or value == "" or value == "-":
        return None
    if isinstance(value, str):
        return date.fromisoformat(value.strip()[:10])
    return value


def _time_text(value: datetime | None) -> str | None:
    return None if value is None else format_baidu_time(value)


#: An amount in fen (分), e.g. orderlist `total_money` "20" = 0.20 yuan.
Fen = Annotated[
    Decimal | None, BeforeValidator(parse_amount), PlainSerializer(_amount_text, return_type=Any)
]
#: An amount in yuan (元), e.g. financebalance `income` "0.32".
Yuan = Annotated[
    Decimal | None, BeforeValidator(parse_amount), PlainSerializer(_amount_text, return_type=Any)
]
#: A Baidu "yyyy-MM-dd HH:mm:ss" string (Beijing time) as an aware datetime.
BaiduTime = Annotated[
    datetime | None, BeforeValidator(_parse_time), PlainSerializer(_time_text, return_type=Any)
]
#: A Baidu "yyyy-MM-dd" string as a date.
BaiduDate = Annotated[date | None, BeforeValidator(_parse_day)]
#: A text field Baidu documents as int but sends as a string (or the other way round).
LooseText = Annotated[str | None, BeforeValidator(lambda v: None if v is None else str(v))]


class _Response(BaseModel):
    """Responses keep fields Baidu adds later (extra="allow") instead of failing on them."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class _Request(BaseModel):
    """Requests: the documented fields, plus optional later additions passed through."""

    model_config = ConfigDict(extra="allow")

    def to_form(self) -> dict[str, str]:
        """The form fields to send: secrets revealed, Decimals as plain strings, bools 0/1."""
        form: dict[str, str] = {}
        for name, value in self:  # declared fields, then the extra ones
            text = form_value(value)
            if text is not None:
                form[name] = text
        return form


def form_value(value: object) -> str | None:
    """One form value as Baidu expects it; None means "leave the field out"."""
    if value is None:
        return None
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal):
        return format(normalise(value), "f")
    if isinstance(value, float):
        raise TypeError("money and numbers are sent from Decimal or int, never float")
    return str(value)


# ---------------------------------------------------------------- dict


class City(_Response):
    cityId: int | None = Field(default=None, validation_alias=AliasChoices("cityId", "city_id"))
    cityName: str = Field(validation_alias=AliasChoices("cityName", "city_name"))


class Province(_Response):
    provinceId: int | None = Field(
        default=None, validation_alias=AliasChoices("provinceId", "province_id")
    )
    provinceName: str = Field(validation_alias=AliasChoices("provinceName", "province_name"))
    cities: list[City] = []


class Bank(_Response):
    bankId: int | None = Field(default=None, validation_alias=AliasChoices("bankId", "bank_id"))
    bankName: str = Field(validation_alias=AliasChoices("bankName", "bank_name"))
    logoUrl: str | None = Field(default=None, validation_alias=AliasChoices("logoUrl", "logo_url"))


class BankGroup(_Response):
    character: str | None = None
    banks: list[Bank] = []


class PaymentDict(_Response):
    """The data dictionary: open_province/open_city, bank_name, commission_rate, payment_days
    of a payment service must be values from here."""

    province_list: list[Province] = Field(
        default=[], validation_alias=AliasChoices("province_list", "provinceList")
    )
    bank_list: list[BankGroup] = Field(
        default=[], validation_alias=AliasChoices("bank_list", "bankList")
    )
    commission_rate: dict[str, str] = Field(
        default={}, validation_alias=AliasChoices("commission_rate", "commissionRate")
    )
    payment_days: dict[str, str] = Field(
        default={}, validation_alias=AliasChoices("payment_days", "paymentDays")
    )

    @field_validator("commission_rate", "payment_days", mode="before")
    @classmethod
    def _keys_as_text(cls, value: object) -> object:
        if isinstance(value, Mapping):
            return {str(k): str(v) for k, v in value.items()}
        return value

    @property
    def provinces(self) -> dict[str, list[str]]:
        """Province name -> its city names."""
        return {p.provinceName: [c.cityName for c in p.cities] for p in self.province_list}

    def cities(self, province: str) -> list[str]:
        """The city names of `province` (empty if the province is unknown)."""
        return self.provinces.get(province, [])

    @property
    def bank_names(self) -> list[str]:
        """Every bank name, in the dictionary's order."""
        return [bank.bankName for group in self.bank_list for bank in group.banks]

    @property
    def commission_rates(self) -> dict[int, str]:
        """Rate (per mille, e.g. 6) -> label ("千分之六")."""
        return {int(k): v for k, v in self.commission_rate.items() if k.strip().isdigit()}

    @property
    def payment_day_options(self) -> dict[int, str]:
        """Settlement period in days (1, 7, 14, 28) -> label ("T+1")."""
        return {int(k): v for k, v in self.payment_days.items() if k.strip().isdigit()}


# ---------------------------------------------------------------- account


class AccountCreateRequest(_Request):
    """POST account/create. Later SDK additions (license_start_time...) pass as extra fields."""

    business_scope: str
    business_province: str
    business_city: str
    business_detail_address: str
    legal_person: str
    legal_id: SecretStr
    id_card_front_url: SecretStr
    id_card_back_url: SecretStr


class AccountAuditStatus(_Response):
    """status: 0 initial, 1 editing, 2 submitted, 3 rejected, 4 approved, 5 agreement filled.

    None means "nothing yet": the public doc's sample for a mini-program that never submitted
    is `{"status": null, "verify_message": null}`, and the client maps the "no account" errnos
    (NO_ACCOUNT_ERRNOS) to the same answer.
    """

    status: int | None = None
    verify_message: LooseText = None

    @property
    def approved(self) -> bool:
        """Only 4 (approved) and 5 (agreement filled) complete the account step."""
        return self.status in (self.APPROVED, self.AGREEMENT_FILLED)

    INITIAL: ClassVar[int] = 0
    EDITING: ClassVar[int] = 1
    SUBMITTED: ClassVar[int] = 2
    REJECTED: ClassVar[int] = 3
    APPROVED: ClassVar[int] = 4
    AGREEMENT_FILLED: ClassVar[int] = 5


# ---------------------------------------------------------------- developer config


class DeveloperConfigRequest(_Request):
    """POST developconfig/submit."""

    tp_public_key: str
    pay_notify_url: str
    refund_audit_url: str
    refund_succ_url: str


# ---------------------------------------------------------------- payment service


class PaymentServiceRequest(_Request):
    """POST paymentservice/create and paymentservice/updatebindservice (amounts in yuan)."""

    app_name: str
    service_phone: str
    bank_account: str
    bank_card: SecretStr
    bank_name: str
    bank_branch: str
    open_province: str
    open_city: str
    payment_days: int
    commission_rate: int = 6
    pool_cash_pledge: Decimal  # yuan
    day_max_frozen_amount: Decimal  # yuan
    bank_phone_number: str | None = None


class PaymentServiceUpdateRequest(_Request):
    """POST paymentservice/update: the three fields that change without an audit."""

    model_config = ConfigDict(extra="forbid")

    app_name: str
    service_phone: str
    pool_cash_pledge: Decimal  # yuan


class PaymentServiceAuditStatus(_Response):
    """status: 0 new, 1 in audit, 2 approved, 3 rejected. fail_reason is text (documented int).

    None means "no payment service yet" (the public doc's `{"status": null, "fail_reason":
    null}`, or one of the "no service" errnos, which the client maps to it).
    """

    status: int | None = None
    fail_reason: LooseText = None

    NEW: ClassVar[int] = 0
    IN_AUDIT: ClassVar[int] = 1
    APPROVED: ClassVar[int] = 2
    REJECTED: ClassVar[int] = 3


class BindService(_Response):
    """GET paymentservice/getbindservice: the bound payment service (amounts in yuan)."""

    pm_app_id: int | None = None
    app_name: str | None = None
    pm_app_key: SecretStr | None = None
    platform_public_key: str | None = None
    deal_id: LooseText = None
    service_phone: LooseText = None
    bank_account: str | None = None
    bank_card: SecretStr | None = None
    bank_name: str | None = None
    bank_branch: str | None = None
    open_province: str | None = None
    open_city: str | None = None
    payment_days: int | None = None
    commission_rate: int | None = None
    pool_cash_pledge: Yuan = None
    day_max_frozen_amount: Yuan = None
    open_status: int | None = None
    fail_reason: LooseText = None


# ---------------------------------------------------------------- data: orders


class Order(_Response):
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


class _Page(_Response):
    current_page: int | None = None
    page_size: int | None = None
    total_count: int | None = None
    total_page: int | None = None


class OrderPage(_Page):
    """One orderlist page. `total_money` is in fen ("-" when Baidu gives none)."""

    total_money: Fen = None
    data: list[Order] = []


# ---------------------------------------------------------------- data: finance (yuan)


class FinanceBalanceDay(_Response):
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
    data: list[FinanceBalanceDay] = []


class IncomeDetailItem(_Response):
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
    data: list[IncomeDetailItem] = []


class OtherDetailItem(_Response):
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
    data: list[OtherDetailItem] = []


class ExpenseItem(_Response):
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
    data: list[ExpenseItem] = []


class PayDetailItem(_Response):
    paid_money: Yuan = None
    paid_account: SecretStr | None = None  # Baidu masks it already; we keep it out of reprs
    remark: str | None = None
    receive_user: str | None = None
    payment_status: str | None = None


class PayDetail(_Response):
    """financeexpense/paydetail: the payouts of one task (amounts in yuan)."""

    data: list[PayDetailItem] = []


# ---------------------------------------------------------------- TP credentials


class TpToken(_Response):
    """The third-party platform's own token (30 days)."""

    access_token: SecretStr
    expires_in: int | None = None
    scope: str | None = None


class OAuthToken(_Response):
    """A mini-program's access token (1 hour) and its single-use refresh token."""

    access_token: SecretStr
    refresh_token: SecretStr | None = None
    expires_in: int | None = None
    scope: str | None = None
