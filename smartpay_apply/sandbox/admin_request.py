"""What every admin handler shares: its refusal (AdminError: HTTP 4xx with `{"error"}`) and the
reading of its JSON body and path parameters."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from smartpay_apply.sandbox.config import SECTIONS


class AdminError(Exception):
    """A refusal of the admin API: HTTP `status` with `{"error": message}`."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


async def read_json(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except ValueError:
        raise AdminError("body must be JSON") from None
    if not isinstance(data, dict):
        raise AdminError("body must be a JSON object")
    return data


def as_int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise AdminError(f"{name} must be an integer") from None


def as_section(value: Any) -> str:
    if value not in SECTIONS:
        raise AdminError(f"section must be one of {', '.join(SECTIONS)}")
    return str(value)


def path_app_id(request: Request) -> int:
    return as_int(request.path_params["app_id"], "app_id")
