"""Every endpoint the client calls, with its retry policy: the one table docs/api-client.md
describes. Keeping the rule next to the path means a new endpoint cannot forget to choose one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Policy(Enum):
    """When a failed attempt may be repeated."""

    #: No side effect (GET): retry connect errors, timeouts, 5xx and limit answers freely.
    READ = "read"
    #: A duplicate is harmless (another image URL, another authorization code): retry like READ.
    REPEATABLE = "repeatable"
    #: A duplicate is recognisable (the create answers "already exists"): retry; a duplicate
    #: answer after a possibly-delivered attempt becomes AlreadyExistsError(after_retry=True).
    CREATE = "create"
    #: A write whose duplicate is not recognisable: retry only when the request certainly did
    #: not reach Baidu (connect error, limit answer); otherwise OutcomeUnknownError.
    WRITE = "write"
    #: A read that spends a single-use input (refresh token, authorization code): like WRITE.
    SPEND_ONCE = "spend-once"


@dataclass(frozen=True)
class Endpoint:
    """One openapi endpoint: short name (used in errors and logs), method, path, policy."""

    name: str
    method: str
    path: str
    policy: Policy
    #: errnos meaning "it already exists" (a create's duplicate is recognisable by them).
    duplicate_errnos: frozenset[int] = frozenset()
    #: errnos meaning "it exists and is under audit": after an attempt that may have reached
    #: Baidu they most likely report our own create (AlreadyExistsError(after_retry=True));
    #: on a first attempt they stay plain BusinessErrors ("in review").
    in_review_errnos: frozenset[int] = frozenset()
    #: Answers without the {errno,msg,data} envelope are accepted (dict example, oauth/token).
    bare_ok: bool = False

    @property
    def retries_maybe_sent(self) -> bool:
        """May an attempt that possibly reached Baidu be repeated?"""
        return self.policy in (Policy.READ, Policy.REPEATABLE, Policy.CREATE)


PAY = "/rest/2.0/smartapp/pay"

DICT = Endpoint(
    "paymentservice/dict", "GET", f"{PAY}/paymentservice/dict", Policy.READ, bare_ok=True
)
UPLOAD_IMAGE = Endpoint(
    "upload/image", "POST", "/file/2.0/smartapp/upload/image", Policy.REPEATABLE
)
ACCOUNT_CREATE = Endpoint(
    "account/create",
    "POST",
    f"{PAY}/account/create",
    Policy.CREATE,
    duplicate_errnos=frozenset({60012}),
    in_review_errnos=frozenset({60017}),
)
ACCOUNT_AUDIT = Endpoint("account/auditstatus", "GET", f"{PAY}/account/auditstatus", Policy.READ)
DEVELOPER_CONFIG = Endpoint(
    "developconfig/submit", "POST", f"{PAY}/developconfig/submit", Policy.WRITE
)
SERVICE_CREATE = Endpoint(
    "paymentservice/create",
    "POST",
    f"{PAY}/paymentservice/create",
    Policy.CREATE,
    duplicate_errnos=frozenset({60009}),
    in_review_errnos=frozenset({60019}),
)
SERVICE_AUDIT = Endpoint(
    "paymentservice/auditstatus", "GET", f"{PAY}/paymentservice/auditstatus", Policy.READ
)
SERVICE_UPDATE = Endpoint(
    "paymentservice/update", "POST", f"{PAY}/paymentservice/update", Policy.WRITE
)
SERVICE_UPDATE_BIND = Endpoint(
    "paymentservice/updatebindservice",
    "POST",
    f"{PAY}/paymentservice/updatebindservice",
    Policy.WRITE,
)
SERVICE_GET_BIND = Endpoint(
    "paymentservice/getbindservice", "GET", f"{PAY}/paymentservice/getbindservice", Policy.READ
)
ORDER_LIST = Endpoint(
    "paymentservice/orderlist", "GET", f"{PAY}/paymentservice/orderlist", Policy.READ
)
FINANCE_BALANCE = Endpoint(
    "paymentservice/financebalance", "GET", f"{PAY}/paymentservice/financebalance", Policy.READ
)
INCOME_DETAIL = Endpoint(
    "financebalance/incomedetail",
    "GET",
    f"{PAY}/paymentservice/financebalance/incomedetail",
    Policy.READ,
)
OTHER_DETAIL = Endpoint(
    "financebalance/otherdetail",
    "GET",
    f"{PAY}/paymentservice/financebalance/otherdetail",
    Policy.READ,
)
FINANCE_EXPENSE = Endpoint(
    "paymentservice/financeexpense", "GET", f"{PAY}/paymentservice/financeexpense", Policy.READ
)
PAY_DETAIL = Endpoint(
    "financeexpense/paydetail",
    "GET",
    f"{PAY}/paymentservice/financeexpense/paydetail",
    Policy.READ,
)
TP_TOKEN = Endpoint("auth/tp/token", "GET", "/public/2.0/smartapp/auth/tp/token", Policy.READ)
OAUTH_EXCHANGE = Endpoint(
    "oauth/token (authorization code)",
    "GET",
    "/rest/2.0/oauth/token",
    Policy.SPEND_ONCE,
    bare_ok=True,
)
OAUTH_REFRESH = Endpoint(
    "oauth/token (refresh)", "GET", "/rest/2.0/oauth/token", Policy.SPEND_ONCE, bare_ok=True
)
RETRIEVE_CODE = Endpoint(
    "auth/retrieve/authorizationcode",
    "POST",
    "/rest/2.0/smartapp/auth/retrieve/authorizationcode",
    Policy.REPEATABLE,
)

ALL: tuple[Endpoint, ...] = (
    DICT,
    UPLOAD_IMAGE,
    ACCOUNT_CREATE,
    ACCOUNT_AUDIT,
    DEVELOPER_CONFIG,
    SERVICE_CREATE,
    SERVICE_AUDIT,
    SERVICE_UPDATE,
    SERVICE_UPDATE_BIND,
    SERVICE_GET_BIND,
    ORDER_LIST,
    FINANCE_BALANCE,
    INCOME_DETAIL,
    OTHER_DETAIL,
    FINANCE_EXPENSE,
    PAY_DETAIL,
    TP_TOKEN,
    OAUTH_EXCHANGE,
    OAUTH_REFRESH,
    RETRIEVE_CODE,
)
