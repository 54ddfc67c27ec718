"""Errors of the Baidu openapi, one hierarchy under `SmartpayError`.

Baidu answers in three shapes (business `errno`, gateway `error_code`, oauth `error`); each gets
its own class so callers can react (refresh a token, back off, confirm a create with a read)
without parsing messages. Every message is one readable line: endpoint, code, Baidu's text, an
English explanation, the request id when Baidu sent one — never a token or a sensitive value.
"""

from __future__ import annotations

import re
from enum import IntEnum

from smartpay_apply.errors import SmartpayError
from smartpay_apply.sensitive import mask_query, mask_tail

#: Digit runs as long as a bank card or an id-card number (15-19 digits, an id may end in X):
#: Baidu's messages may echo the input, and an error line must not carry them.
_LONG_NUMBER = re.compile(r"(?<![\dA-Za-z])\d{15,19}[Xx]?(?![\dA-Za-z])")


def mask_message(text: str) -> str:
    """Baidu's message with query secrets and card/id-like numbers masked."""
    return _LONG_NUMBER.sub(lambda m: mask_tail(m.group(0)), mask_query(text))


class ErrorCode(IntEnum):
    """The business errnos of the payment-service doc's error table (60000-60021)."""

    PARAM_ERROR = 60000
    ALREADY_BOUND = 60001
    NOT_BOUND = 60002
    LICENSE_INCOMPLETE = 60003
    LEGAL_PERSON_LENGTH = 60004
    LEGAL_ID_LENGTH = 60005
    ACCOUNT_AUDIT_INFO_MISSING = 60006
    PAYMENT_SERVICE_CREATE_FAILED = 60007
    PAYMENT_SERVICE_NOT_FOUND = 60008
    PAYMENT_SERVICE_EXISTS = 60009
    PAYMENT_SERVICE_UPDATE_FAILED = 60010
    IMAGE_URL_NOT_UPLOADED = 60011
    ACCOUNT_EXISTS = 60012
    ACCOUNT_NOT_FOUND = 60013
    DEVELOPER_CONFIG_MISSING = 60014
    ACCOUNT_ABNORMAL = 60015
    ACCOUNT_NOT_APPROVED = 60016
    ACCOUNT_IN_AUDIT = 60017
    DEVELOPER_CONFIG_IN_AUDIT = 60018
    PAYMENT_SERVICE_IN_AUDIT = 60019
    EMPTY_BODY = 60020
    NO_DATA = 60021

    @property
    def zh(self) -> str:
        """The doc's own (Chinese) description."""
        return _DESCRIPTIONS[self][0]

    @property
    def en(self) -> str:
        """What it means and what to do, in English."""
        return _DESCRIPTIONS[self][1]

    @classmethod
    def lookup(cls, errno: int) -> ErrorCode | None:
        """The named code for `errno`, or None for an errno outside the doc's table."""
        try:
            return cls(errno)
        except ValueError:
            return None


_DESCRIPTIONS: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.PARAM_ERROR: ("参数错误", "invalid parameter: check the request fields"),
    ErrorCode.ALREADY_BOUND: ("该账号已经绑定过了", "this account is already bound"),
    ErrorCode.NOT_BOUND: ("该账号未绑定支付账号", "no payment account is bound to this app"),
    ErrorCode.LICENSE_INCOMPLETE: (
        "该账号营业执照信息不完整",
        "the business-license information of this app is incomplete",
    ),
    ErrorCode.LEGAL_PERSON_LENGTH: (
        "法人姓名限定在 2 - 50 字符",
        "legal_person must be 2-50 characters",
    ),
    ErrorCode.LEGAL_ID_LENGTH: ("身份证号必须为 18 位", "legal_id must be 18 characters"),
    ErrorCode.ACCOUNT_AUDIT_INFO_MISSING: (
        "支付账号审核信息不存在",
        "no audit record exists for the payment account",
    ),
    ErrorCode.PAYMENT_SERVICE_CREATE_FAILED: (
        "创建支付服务失败",
        "creating the payment service failed",
    ),
    ErrorCode.PAYMENT_SERVICE_NOT_FOUND: ("支付服务不存在", "the payment service does not exist"),
    ErrorCode.PAYMENT_SERVICE_EXISTS: (
        "支付服务已经存在,请勿重复创建",
        "the payment service already exists: do not create it again",
    ),
    ErrorCode.PAYMENT_SERVICE_UPDATE_FAILED: (
        "更新支付服务信息失败",
        "updating the payment service failed",
    ),
    ErrorCode.IMAGE_URL_NOT_UPLOADED: (
        "图片 Url 不是来自于我们的图片上传服务",
        "id-card image URLs must come from the openapi image upload",
    ),
    ErrorCode.ACCOUNT_EXISTS: (
        "支付账号已经存在,请勿重复创建",
        "the payment account already exists: do not create it again",
    ),
    ErrorCode.ACCOUNT_NOT_FOUND: (
        "支付账号不存在,请先创建支付账号",
        "no payment account: create it first",
    ),
    ErrorCode.DEVELOPER_CONFIG_MISSING: (
        "开发者设置未提交,请先提交开发者设置",
        "developer config not submitted: submit it first",
    ),
    ErrorCode.ACCOUNT_ABNORMAL: ("账号异常", "the account is abnormal (blocked or invalid)"),
    ErrorCode.ACCOUNT_NOT_APPROVED: (
        "创建账号审核未通过,请查看创建账号的审核状态",
        "the payment account is not approved (still in review, or rejected): "
        "this step needs an approved account; read the account audit status",
    ),
    ErrorCode.ACCOUNT_IN_AUDIT: (
        "支付账号审核中,无法再次创建",
        "the payment account is under audit: wait for the result",
    ),
    ErrorCode.DEVELOPER_CONFIG_IN_AUDIT: (
        "开发者设置审核中,无法再次修改",
        "the developer config is under audit: wait for the result",
    ),
    ErrorCode.PAYMENT_SERVICE_IN_AUDIT: (
        "支付服务审核中,无法再次修改",
        "the payment service is under audit: wait for the result",
    ),
    ErrorCode.EMPTY_BODY: ("Request Body 不能为空", "the request body must not be empty"),
    ErrorCode.NO_DATA: ("未获取到有效数据", "no valid data was found"),
}

#: errnos meaning "this mini-program has no payment account (yet)": not a failure, an answer.
NO_ACCOUNT_ERRNOS: frozenset[int] = frozenset({60002, 60006, 60013})
#: errnos meaning "no payment service is bound": which one a fresh mini-program gets is not
#: documented (openapi-facts.md), so every plausible one counts.
NO_SERVICE_ERRNOS: frozenset[int] = frozenset({60002, 60008, 60013})

#: Gateway codes meaning "the access token is not valid" (110 invalid, 111 expired).
TOKEN_ERROR_CODES: frozenset[int] = frozenset({110, 111})
#: Gateway (and business) codes meaning "you are calling too often": back off and retry.
RATE_LIMIT_CODES: frozenset[int] = frozenset({4, 17, 18, 19, 50029})

_GATEWAY_EXPLANATIONS: dict[int, str] = {
    4: "request limit reached: slow down",
    17: "daily request limit reached",
    18: "requests-per-second limit reached: slow down",
    19: "total request limit reached",
    50029: "call-count limit exceeded",
    110: "access token invalid",
    111: "access token expired",
    5: "client IP not whitelisted for the third-party platform",
    40008: "client IP not whitelisted for the third-party platform",
}


class ApiError(SmartpayError):
    """Baidu (or the way to it) refused or failed a call.

    `endpoint` is the short path (`paymentservice/create`), `code` the errno / error_code /
    oauth error, `msg` Baidu's own text, `request_id` Baidu's request id when it sent one.
    """

    label = "error"

    def __init__(
        self,
        endpoint: str,
        code: int | str | None,
        msg: str,
        *,
        request_id: str | None = None,
        http_status: int | None = None,
        explanation: str | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.code = code
        self.msg = mask_message(msg)
        self.request_id = request_id
        self.http_status = http_status
        self.explanation = explanation
        super().__init__(self._line())

    def _line(self) -> str:
        parts = [f"{self.endpoint}:"] if self.endpoint else []
        if self.code is not None:
            parts.append(f"{self.label} {self.code}")
        if self.msg:
            parts.append(self.msg)
        if self.explanation:
            parts.append(f"({self.explanation})")
        if self.request_id:
            parts.append(f"[request id {self.request_id}]")
        return " ".join(parts)


class BusinessError(ApiError):
    """`{"errno": != 0, "msg": ...}`: the payment service refused the request."""

    label = "errno"

    def __init__(
        self,
        endpoint: str,
        errno: int,
        msg: str,
        *,
        request_id: str | None = None,
        http_status: int | None = None,
    ) -> None:
        self.errno = errno
        self.error_code = ErrorCode.lookup(errno)
        explanation = self.error_code.en if self.error_code else None
        if explanation is None and errno in _GATEWAY_EXPLANATIONS:
            explanation = _GATEWAY_EXPLANATIONS[errno]
        text = msg or (self.error_code.zh if self.error_code else "")
        super().__init__(
            endpoint,
            errno,
            text,
            request_id=request_id,
            http_status=http_status,
            explanation=explanation,
        )


class AlreadyExistsError(BusinessError):
    """A create answered "already exists": 60009 (payment service) or 60012 (account); after a
    possibly-delivered earlier attempt also 60019 / 60017 ("under audit, cannot create again").

    `after_retry` is True when an earlier attempt of the same call may have reached Baidu: then
    the object may well be the one this call created. Either way, confirm with a read.
    """

    def __init__(
        self,
        endpoint: str,
        errno: int,
        msg: str,
        *,
        after_retry: bool,
        request_id: str | None = None,
        http_status: int | None = None,
    ) -> None:
        self.after_retry = after_retry
        super().__init__(endpoint, errno, msg, request_id=request_id, http_status=http_status)
        if after_retry:
            self.args = (
                f"{self.args[0]}; an earlier attempt of this call may have created it: "
                "confirm with a read",
            )


class GatewayError(ApiError):
    """`{"error_code": ..., "error_msg": ...}`: the openapi gateway refused the call."""

    label = "error_code"

    def __init__(
        self,
        endpoint: str,
        error_code: int | None,
        error_msg: str,
        *,
        request_id: str | None = None,
        http_status: int | None = None,
    ) -> None:
        self.error_code = error_code
        explanation = _GATEWAY_EXPLANATIONS.get(error_code) if error_code is not None else None
        super().__init__(
            endpoint,
            error_code,
            error_msg,
            request_id=request_id,
            http_status=http_status,
            explanation=explanation,
        )


class TokenError(GatewayError):
    """The access token was rejected (110 invalid / 111 expired) and could not be replaced."""


class RateLimitError(GatewayError):
    """A call limit was hit (4, 17, 18, 19, 50029) and retries did not get through."""


class OAuthError(ApiError):
    """`{"error": "invalid_grant", "error_description": ...}` from /oauth/token."""

    label = "oauth error"

    def __init__(
        self,
        endpoint: str,
        error: str,
        error_description: str,
        *,
        request_id: str | None = None,
        http_status: int | None = None,
    ) -> None:
        self.error = error
        self.error_description = error_description
        super().__init__(
            endpoint, error, error_description, request_id=request_id, http_status=http_status
        )


class TransportError(ApiError):
    """The network failed (connect error, timeout, 5xx, unreadable answer) after all retries."""

    label = "transport"


class OutcomeUnknownError(ApiError):
    """A write may or may not have happened (timeout or 5xx after it was sent).

    It is not repeated blindly: read the current state (audit status, bind service) and decide.
    """

    label = "outcome unknown"


class PaginationError(ApiError):
    """A paged endpoint does not end (repeats a page, or exceeds the page limit)."""

    label = "pagination"


class ResponseError(ApiError):
    """Baidu answered success, but with a body that does not fit the documented shape."""

    label = "bad response"
