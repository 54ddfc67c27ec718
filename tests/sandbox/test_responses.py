"""The sandbox's JSON bodies are byte for byte what Starlette's JSONResponse writes."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.responses import JSONResponse as StarletteJSONResponse

from smartpay_apply.sandbox.responses import JSONResponse


@pytest.mark.parametrize(
    "content",
    [
        {
            "errno": 0,
            "msg": "success",
            "data": {"status": 3, "verify_message": '法人信息不符\n"x"\t\u2028'},
        },
        {"data": [{"total_money": "12.30", "phone": None, "n": 12345678901234, "f": 0.1}]},
        {1: "integer keys", "x": True},  # orjson refuses: Starlette's encoder writes it
        {"big": 2**70},  # beyond 64 bits: likewise
    ],
)
def test_same_bytes_as_starlette(content: Any) -> None:
    assert JSONResponse(content).body == StarletteJSONResponse(content).body


def test_a_body_starlette_cannot_encode_fails_the_same_way() -> None:
    with pytest.raises(UnicodeEncodeError):
        StarletteJSONResponse({"lone": "\ud800"})
    with pytest.raises(UnicodeEncodeError):
        JSONResponse({"lone": "\ud800"})
