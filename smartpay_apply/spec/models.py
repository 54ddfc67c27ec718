"""The desired state of one mini-program, as written in a spec file.

Field names are the openapi's own, so a spec reads like the API documentation and the engine
sends sections without renaming. Sensitive values are `SecretStr`: they print as `**********`
wherever a model is repr'd or logged by accident.

Each model remembers where it came from (`AppSpec.source`): the loader fills it so that the
plan, validation errors and the money guard can point at file:line:column.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    field_validator,
    model_validator,
)

from smartpay_apply.spec import rules
from smartpay_apply.yamldoc.problems import Location  # SpecSource's positions (also re-exported)

SECTIONS: tuple[str, ...] = ("account", "developer_config", "payment_service")


class SpecSource:
    """Where an AppSpec came from: its document, and the position of every field path in it.

    Positions may be computed on first use (`compute`): the loader reads a valid spec without
    them (yamldoc/simple.py) and finds them only if a message needs one.
    """

    def __init__(
        self,
        document: Location | None = None,
        fields: dict[str, Location] | None = None,
        *,
        compute: Callable[[], tuple[Location, dict[str, Location]]] | None = None,
    ) -> None:
        self._document = document
        self._fields = fields if fields is not None else ({} if compute is None else None)
        self._compute = compute

    def _known(self) -> tuple[Location, dict[str, Location]]:
        if self._compute is not None:
            self._document, self._fields = self._compute()
            self._compute = None
        assert self._document is not None and self._fields is not None
        return self._document, self._fields

    @property
    def document(self) -> Location:
        """Where the spec's document starts."""
        return self._known()[0]

    @property
    def fields(self) -> dict[str, Location]:
        """Field path ("payment_service.bank_card") -> the position of its value (or key)."""
        return self._known()[1]

    def locate(self, field_path: str) -> Location:
        """The position of `field_path` (e.g. "payment_service.bank_card"), or of its nearest parent."""
        fields = self.fields
        path = field_path
        while path:
            if path in fields:
                return fields[path]
            path = path.rpartition(".")[0]
        return self.document

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SpecSource):
            return NotImplemented
        return self._known() == other._known()

    __hash__ = None  # type: ignore[assignment]  # mutable, like the dataclass it was

    def __repr__(self) -> str:
        document, fields = self._known()
        return f"SpecSource(document={document!r}, fields={fields!r})"


class _Section(BaseModel):
    # Validators built on first use (`defer_build`): `plan` validates specs in a forked
    # child only (forking.Ahead), so its own process never builds them (issue 16).
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        str_strip_whitespace=True,
        coerce_numbers_to_str=True,
        defer_build=True,
    )


class AccountSpec(_Section):
    """account/create. Write-only: Baidu never returns it, so the state store keeps a fingerprint."""

    business_scope: str
    business_province: str
    business_city: str
    business_detail_address: str
    legal_person: str
    legal_id: SecretStr
    # Either the URL from the image-upload service or a local image file that apply uploads.
    id_card_front_url: SecretStr | None = None
    id_card_front: Path | None = None
    id_card_back_url: SecretStr | None = None
    id_card_back: Path | None = None
    # Later optional fields (openapi-facts.md, 2023 SDKs): sent only when given. The end
    # dates accept 长期 and hold 9999-12-31, what Baidu takes for "never expires".
    legal_card_start_time: str | None = None
    legal_card_end_time: str | None = None
    license_start_time: str | None = None
    license_end_time: str | None = None
    industry_id: int | None = Field(default=None, gt=0)
    manage_permit_url: str | None = None

    _scope = field_validator("business_scope")(rules.business_scope)
    _names = field_validator("business_province", "business_city", "business_detail_address")(
        rules.non_empty
    )
    _person = field_validator("legal_person")(rules.legal_person)
    _id = field_validator("legal_id")(rules.legal_id)
    _urls = field_validator("id_card_front_url", "id_card_back_url")(rules.https_secret_url)
    _permit = field_validator("manage_permit_url")(rules.https_url)
    _industry = field_validator("industry_id", mode="before")(rules.industry_id)
    _starts = field_validator("legal_card_start_time", "license_start_time")(rules.date_text)
    _ends = field_validator("legal_card_end_time", "license_end_time")(rules.end_date_text)
    _card_order = field_validator("legal_card_end_time")(rules.not_before("legal_card_start_time"))
    _license_order = field_validator("license_end_time")(rules.not_before("license_start_time"))

    @model_validator(mode="after")
    def _one_image_each_side(self) -> AccountSpec:
        rules.one_of(self, "id_card_front_url", "id_card_front")
        rules.one_of(self, "id_card_back_url", "id_card_back")
        return self


class DeveloperConfigSpec(_Section):
    """developconfig/submit. Write-only, like the account; its audit outcome arrives only as an event."""

    tp_public_key: str
    pay_notify_url: str
    refund_audit_url: str
    refund_succ_url: str

    _key = field_validator("tp_public_key")(rules.rsa_public_key)
    _urls = field_validator("pay_notify_url", "refund_audit_url", "refund_succ_url")(
        rules.https_url
    )


#: paymentservice/update changes only these, at once and without an audit.
NO_AUDIT_PAYMENT_FIELDS: tuple[str, ...] = ("app_name", "service_phone", "pool_cash_pledge")

#: A change to any of these redirects payouts: plan marks it, apply asks for explicit consent.
PAYOUT_FIELDS: tuple[str, ...] = (
    "bank_card",
    "bank_account",
    "bank_name",
    "bank_branch",
    "open_province",
    "open_city",
)


class PaymentServiceSpec(_Section):
    """paymentservice/create and updatebindservice; readable back through getbindservice."""

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
    pool_cash_pledge: Decimal  # whole yuan (a Long at Baidu); 500.0 is held as Decimal(500)
    day_max_frozen_amount: Decimal  # whole yuan, 0-10000
    # Later optional field (openapi-facts.md): the bank's reserved phone number.
    bank_phone_number: str | None = None

    _texts = field_validator(
        "app_name", "bank_account", "bank_name", "bank_branch", "open_province", "open_city"
    )(rules.non_empty)
    _phone = field_validator("service_phone")(rules.service_phone)
    _bank_phone = field_validator("bank_phone_number")(rules.mobile_phone)
    _card = field_validator("bank_card")(rules.bank_card)
    # Numbers are checked against their range before they become an int or a Decimal
    # (spec/numbers.py): `1e400` is a located problem, not a crash.
    _days = field_validator("payment_days", mode="before")(rules.payment_days)
    _rate = field_validator("commission_rate", mode="before")(rules.commission_rate)
    _pledge = field_validator("pool_cash_pledge", mode="before")(rules.pool_cash_pledge)
    _frozen = field_validator("day_max_frozen_amount", mode="before")(rules.day_max_frozen_amount)


class TpCredentialsSpec(_Section):
    """The third-party-platform flow (docs/credentials.md): TP token, then refresh tokens."""

    client_id: str | None = None  # the TP's key; default: the project's events.tp_client_id
    tp_token: SecretStr | None = None  # a given TP token instead of the pushed ticket


#: Keys a spec may not have because they belong to smartpay.yaml, and where they go instead.
_TP_LEVEL = (
    "belongs in smartpay.yaml's top-level `credentials:` (the third-party platform's own "
    "token, one for all mini-programs), not in a spec"
)
PROJECT_ONLY_FIELDS: dict[str, str] = {
    "credentials.tp_access_token": _TP_LEVEL,
    "credentials.tp_token_command": _TP_LEVEL,
}


class CredentialsSpec(_Section):
    """How to get this mini-program's access token (see docs/credentials.md)."""

    access_token: SecretStr | None = None
    token_command: str | None = None
    tp: TpCredentialsSpec | None = None

    _token = field_validator("access_token", "token_command")(rules.non_empty)


class AppSpec(BaseModel):
    """One mini-program: its identity, its credentials and the sections it manages.

    A section left out (None) is not managed: plan neither creates nor changes it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    app: str = Field(
        description="Unique name of this mini-program: lower-case letters, digits, dashes"
    )
    app_id: int = Field(description="The mini-program's appid (a positive integer, a Long)")
    credentials: CredentialsSpec | None = None
    account: AccountSpec | None = None
    developer_config: DeveloperConfigSpec | None = None
    payment_service: PaymentServiceSpec | None = None
    suspend: bool = Field(
        default=False,
        description="The controller leaves this mini-program alone while true (plan and apply "
        "still work)",
    )

    _source: SpecSource | None = PrivateAttr(default=None)

    _app = field_validator("app")(rules.app_name)
    _app_id = field_validator("app_id", mode="before")(rules.app_id)

    @property
    def source(self) -> SpecSource | None:
        """Where this spec was loaded from (None for specs built in code)."""
        return self._source

    def with_source(self, source: SpecSource) -> AppSpec:
        """Attach the loader's position index (models are frozen; private attrs are not)."""
        self._source = source
        return self
