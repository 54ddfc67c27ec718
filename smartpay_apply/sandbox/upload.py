"""Image upload (`POST /file/2.0/smartapp/upload/image`): the TP's own endpoint.

The public upload doc (swan-docs third/upload.md) and both SDKs (smartapp-openapi-go
image/uploadImage.go, smartapp-openapi-php TP/Image/UploadImage.php) pass the third-party
platform's token, not a mini-program's: the app authenticates the caller as a TP
(`auth.authenticate_tp`) and the upload records, with the URL's digest, which TP uploaded it,
so account/create accepts the URL only for mini-programs of that TP (60011 otherwise).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.sandbox.errors import ApiError, success
from smartpay_apply.sandbox.store import State
from smartpay_apply.sandbox.world import digest

UPLOAD_PATH = "/file/2.0/smartapp/upload/image"
UPLOAD_LIMITS = {"1": 2 * 1024 * 1024, "2": 5 * 1024 * 1024, "3": 5 * 1024 * 1024}
UPLOAD_HOST = "https://b.bdstatic.com/searchbox/mappconsole/image/sandbox"


@dataclass
class UploadCall:
    """One upload: the world, the settings, the uploading TP, and the multipart form."""

    state: State
    config: SandboxConfig
    tp_app_id: int
    params: dict[str, str]
    files: dict[str, tuple[str, str, bytes]]


def image_format(content: bytes) -> str | None:
    """png / jpg / bmp by magic number (what the upload service accepts), else None."""
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if content.startswith(b"BM"):
        return "bmp"
    return None


def upload_image(call: UploadCall) -> dict[str, Any]:
    """The image's URL; 60000 no file / bad type, 47000 not an image, 47003 too large."""
    upload = call.files.get("multipartFile")
    if upload is None:
        raise ApiError(60000, "缺少文件 multipartFile")
    kind = call.params.get("type", "2").strip() or "2"
    if kind not in UPLOAD_LIMITS:
        raise ApiError(60000, "type 取值 1, 2, 3")
    content = upload[2]
    ext = image_format(content)
    if ext is None:
        raise ApiError(47000, "支持 bmp, jpeg, jpg, png")
    if len(content) > UPLOAD_LIMITS[kind]:
        raise ApiError(47003)
    name = hashlib.sha256(f"tp{call.tp_app_id}:".encode() + content).hexdigest()[:32]
    url = f"{UPLOAD_HOST}/{name}.{ext}"
    uploads: dict[str, int | None] = call.state["uploads"]
    uploads[digest(url)] = call.tp_app_id
    return success(url)
