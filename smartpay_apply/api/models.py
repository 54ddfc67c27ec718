"""Typed requests and responses of the payment-service openapi, named as the API names them.

This is the one import for callers (`api.models.X`): the setup endpoints' models live here,
the paged data answers in `pages.py` (imported on first use) and the field types (`Fen`,
`Yuan`, `BaiduTime`, ...) and bases in `fields.py`, all re-exported. Money is never a float:
`Fen` (orderlist, 分) and `Yuan` (finance, pledge/limit: 元) are `Decimal | None`. Sensitive
values (bank_card, legal_id, id-card URLs, keys, tokens) are `SecretStr`, so a repr or a log
line never shows them. List fields default through `default_factory` (the same per-instance
copy pydantic makes of `[]`).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import AliasChoices, ConfigDict, Field, SecretStr, field_validator

from smartpay_apply.api.fields import BaiduDate, BaiduTime, Fen, LooseText, Yuan, form_value
from smartpay_apply.api.fields import RequestModel as _Request
from smartpay_apply.api.fields import ResponseModel as _Response

if TYPE_CHECKING:
    from smartpay_apply.api.pages import (
        ExpenseItem,
        ExpensePage,
        FinanceBalanceDay,
        FinanceBalancePage,
        IncomeDetailItem,
        IncomeDetailPage,
        Order,
        OrderPage,
        OtherDetailItem,
        OtherDetailPage,
        PayDetail,
        PayDetailItem,
    )


def __getattr__(name: str) -> Any:
    """The paged data answers (pages.py), re-exported but imported on first use: planning and
    applying never need them, and building their models takes ~20 ms. (Only names this module
    does not define reach here: those of `__all__` are the pages'.)"""
    if name in __all__:
        from smartpay_apply.api import pages

        return getattr(pages, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---------------------------------------------------------------- dict


class City(_Response):
    cityId: int | None = Field(default=None, validation_alias=AliasChoices("cityId", "city_id"))
    cityName: str = Field(validation_alias=AliasChoices("cityName", "city_name"))


class Province(_Response):
    provinceId: int | None = Field(
        default=None, validation_alias=AliasChoices("provinceId", "province_id")
    )
    provinceName: str = Field(validation_alias=AliasChoices("provinceName", "province_name"))
    cities: list[City] = Field(default_factory=list)


class Bank(_Response):
    bankId: int | None = Field(default=None, validation_alias=AliasChoices("bankId", "bank_id"))
    bankName: str = Field(validation_alias=AliasChoices("bankName", "bank_name"))
    logoUrl: str | None = Field(default=None, validation_alias=AliasChoices("logoUrl", "logo_url"))


class BankGroup(_Response):
    character: str | None = None
    banks: list[Bank] = Field(default_factory=list)


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


__all__ = [
    "AccountAuditStatus",
    "AccountCreateRequest",
    "BaiduDate",
    "BaiduTime",
    "Bank",
    "BankGroup",
    "BindService",
    "City",
    "DeveloperConfigRequest",
    "ExpenseItem",
    "ExpensePage",
    "Fen",
    "FinanceBalanceDay",
    "FinanceBalancePage",
    "IncomeDetailItem",
    "IncomeDetailPage",
    "LooseText",
    "OAuthToken",
    "Order",
    "OrderPage",
    "OtherDetailItem",
    "OtherDetailPage",
    "PayDetail",
    "PayDetailItem",
    "PaymentDict",
    "PaymentServiceAuditStatus",
    "PaymentServiceRequest",
    "PaymentServiceUpdateRequest",
    "Province",
    "TpToken",
    "Yuan",
    "form_value",
]
