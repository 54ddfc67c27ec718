"""The desired state of one mini-program, as written in a spec file.

Field names are the openapi's own, so a spec reads like the API documentation and the engine
sends sections without renaming. Sensitive values are `SecretStr`: they print as `**********`
wherever a model is repr'd or logged by accident.

Each model remembers where it came from (`AppSpec.source`): the loader fills it so that the
plan, validation errors and the money guard can point at file:line:column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict, PrivateAttr, SecretStr

SECTIONS: tuple[str, ...] = ("account", "developer_config", "payment_service")


@dataclass(frozen=True)
class Location:
    """A position in a spec file (1-based line and column)."""

    path: Path
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


@dataclass
class SpecSource:
    """Where an AppSpec came from: its document, and the position of every field path in it."""

    document: Location
    fields: dict[str, Location] = field(default_factory=dict)

    def locate(self, field_path: str) -> Location:
        """The position of `field_path` (e.g. "payment_service.bank_card"), or of its nearest parent."""
        path = field_path
        while path:
            if path in self.fields:
                return self.fields[path]
            path = path.rpartition(".")[0]
        return self.document


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


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


class DeveloperConfigSpec(_Section):
    """developconfig/submit. Write-only, like the account; its audit outcome arrives only as an event."""

    tp_public_key: str
    pay_notify_url: str
    refund_audit_url: str
    refund_succ_url: str


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
    pool_cash_pledge: Decimal  # yuan
    day_max_frozen_amount: Decimal  # yuan, at most 10000


class TpCredentialsSpec(_Section):
    """The third-party-platform flow (docs/credentials.md): TP token, then refresh tokens."""

    client_id: str | None = None  # the TP's key; default: the project's events.tp_client_id
    tp_token: SecretStr | None = None  # a given TP token instead of the pushed ticket


class CredentialsSpec(_Section):
    """How to get this mini-program's access token (see docs/credentials.md)."""

    access_token: SecretStr | None = None
    token_command: str | None = None
    tp: TpCredentialsSpec | None = None


class AppSpec(BaseModel):
    """One mini-program: its identity, its credentials and the sections it manages.

    A section left out (None) is not managed: plan neither creates nor changes it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    app: str
    app_id: int
    credentials: CredentialsSpec | None = None
    account: AccountSpec | None = None
    developer_config: DeveloperConfigSpec | None = None
    payment_service: PaymentServiceSpec | None = None

    _source: SpecSource | None = PrivateAttr(default=None)

    @property
    def source(self) -> SpecSource | None:
        """Where this spec was loaded from (None for specs built in code)."""
        return self._source

    def with_source(self, source: SpecSource) -> AppSpec:
        """Attach the loader's position index (models are frozen; private attrs are not)."""
        self._source = source
        return self
