"""Baidu's answers for refusals: the business errno table and the gateway/oauth shapes.

Handlers raise `ApiError`; the app turns it into the documented JSON. The sandbox has its own
table (not the client's) so a misunderstanding on one side cannot hide on the other.
"""

from __future__ import annotations

from typing import Any

#: The doc's error table (错误码列表), verbatim.
ERRNO_MESSAGES: dict[int, str] = {
    60000: "参数错误",
    60001: "该账号已经绑定过了",
    60002: "该账号未绑定支付账号",
    60003: "该账号营业执照信息不完整",
    60004: "法人姓名限定在 2 - 50 字符",
    60005: "身份证号必须为 18 位",
    60006: "支付账号审核信息不存在",
    60007: "创建支付服务失败",
    60008: "支付服务不存在",
    60009: "支付服务已经存在,请勿重复创建",
    60010: "更新支付服务信息失败",
    60011: "图片 Url 不是来自于我们的图片上传服务",
    60012: "支付账号已经存在,请勿重复创建",
    60013: "支付账号不存在,请先创建支付账号",
    60014: "开发者设置未提交,请先提交开发者设置",
    60015: "账号异常",
    60016: "创建账号审核未通过,请查看创建账号的审核状态",
    60017: "支付账号审核中,无法再次创建",
    60018: "开发者设置审核中,无法再次修改",
    60019: "支付服务审核中,无法再次修改",
    60020: "Request Body 不能为空",
    60021: "未获取到有效数据",
    47000: "图片格式错误",
    47003: "图片大小超过限制",
    47008: "非法的图片来源",
    50032: "小程序未授权给该第三方平台",
}

GATEWAY_MESSAGES: dict[int, str] = {
    4: "Open api request limit reached",
    110: "Access token invalid or no longer valid",
    111: "Access token expired",
    50029: "Open api daily request limit reached",
}


class ApiError(Exception):
    """A business refusal: `{"errno": N, "msg": ..., "data": {}}` with HTTP 200."""

    def __init__(self, errno: int, detail: str | None = None) -> None:
        self.errno = errno
        self.msg = ERRNO_MESSAGES.get(errno, "error")
        if detail:
            self.msg = f"{self.msg}: {detail}"
        super().__init__(self.msg)

    def body(self) -> dict[str, Any]:
        return {"errno": self.errno, "msg": self.msg, "data": {}}


class GatewayError(Exception):
    """A gateway refusal (bad token, limits): `{"error_code", "error_msg"}`, no errno."""

    def __init__(self, code: int) -> None:
        self.code = code
        super().__init__(GATEWAY_MESSAGES.get(code, "error"))

    def body(self) -> dict[str, Any]:
        return {"error_code": self.code, "error_msg": GATEWAY_MESSAGES.get(self.code, "error")}


class OAuthError(Exception):
    """An oauth refusal: HTTP 400 `{"error": "invalid_grant", "error_description": ...}`."""

    def __init__(self, error: str, description: str) -> None:
        self.error = error
        self.description = description
        super().__init__(description)

    def body(self) -> dict[str, Any]:
        return {"error": self.error, "error_description": self.description}


def success(data: Any = None) -> dict[str, Any]:
    """The documented success envelope (`data` left out when the doc shows none)."""
    body: dict[str, Any] = {"errno": 0, "msg": "success"}
    if data is not None:
        body["data"] = data
    return body
