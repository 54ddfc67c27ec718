"""Id-card images given as local files: uploaded once, their URL remembered.

account/create only takes id-card URLs that Baidu's upload service issued (errno 60011
otherwise). A spec may name a local file instead (`id_card_front: ids/front.png`); apply uploads
it before the account step and keeps the URL in the state store (encrypted: it grants access to
an id card) under the file's SHA-256, so the same file is not uploaded again by a later run, by
another mini-program, or after a crash. Without SMARTPAY_STATE_KEY the store keeps nothing and
the image is simply uploaded again.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from pydantic import SecretStr

from smartpay_apply.engine import digests
from smartpay_apply.errors import UsageError

if TYPE_CHECKING:
    from smartpay_apply.api.app import TpApi
    from smartpay_apply.spec.models import AccountSpec, AppSpec
    from smartpay_apply.state.base import StateStore

#: What to do when a local image must be uploaded and no TP token is configured.
NO_TP_TOKEN = (
    "local id-card images are uploaded with the third-party platform's own token (Baidu's "
    "upload doc and SDKs), not the mini-program's: set credentials.tp_access_token or "
    "credentials.tp_token_command in smartpay.yaml, or use the tp: flow (docs/credentials.md)"
)

#: (local-file field, URL field) pairs of the account section.
IMAGE_FIELDS: tuple[tuple[str, str], ...] = (
    ("id_card_front", "id_card_front_url"),
    ("id_card_back", "id_card_back_url"),
)


class ImageCache(Protocol):
    """Where uploaded URLs are remembered (the state store, through the run's Recorder)."""

    async def image_url(self, sha256: str) -> str | None:
        """The URL an earlier upload of this content got, if any."""
        ...

    async def remember_image(self, sha256: str, url: str) -> None:
        """Keep the URL of an upload."""
        ...


@dataclass(frozen=True)
class ImageUse:
    """How one id-card image reached a URL: uploaded now, or reused from an earlier upload."""

    field: str
    uploaded: bool


def _resolve(spec: AppSpec, path: Path) -> Path:
    """A relative image path is relative to the spec file that names it."""
    if path.is_absolute():
        return path
    source = spec.source
    if source is not None:
        return Path(source.document.path).parent / path
    return path


def read_image(spec: AppSpec, field: str, path: Path) -> bytes:
    """The file's bytes, or a clear error naming the spec position and the file."""
    full = _resolve(spec, path)
    try:
        return full.read_bytes()
    except OSError as error:
        where = spec.source.locate(f"account.{field}") if spec.source else spec.app
        raise UsageError(
            f"{where}: account.{field}: cannot read {full}: {error.strerror or error}"
        ) from None


def image_sha256(spec: AppSpec, field: str, path: Path) -> str:
    """The file's SHA-256 (engine/digests.py: hashed once per version), or read_image's error."""
    full = _resolve(spec, path)
    try:
        return digests.file_sha256(full)
    except OSError as error:
        where = spec.source.locate(f"account.{field}") if spec.source else spec.app
        raise UsageError(
            f"{where}: account.{field}: cannot read {full}: {error.strerror or error}"
        ) from None


def pending_uploads(spec: AppSpec, store: StateStore | None) -> list[str]:
    """The local-image fields of the account that an account/create would upload now.

    A file uploaded before (its URL in the store under the file's SHA-256) needs no upload;
    an unreadable file counts (the upload would be tried and fail with the file's name).
    """
    account = spec.account
    if account is None:
        return []
    pending = []
    for file_field, url_field in IMAGE_FIELDS:
        path = getattr(account, file_field)
        if getattr(account, url_field) is not None or path is None:
            continue
        try:
            digest = image_sha256(spec, file_field, path)
        except UsageError:
            pending.append(file_field)
            continue
        if store is None or not store.get_image_url(digest):
            pending.append(file_field)
    return pending


async def image_urls(
    spec: AppSpec, tp_api: TpApi | None, cache: ImageCache | None
) -> tuple[dict[str, SecretStr], list[ImageUse]]:
    """The id-card URLs account/create needs: given ones as they are, local files uploaded.

    Returns the URL field -> URL mapping and, per local file, whether it was uploaded now.
    `tp_api` carries the TP's own token (None: none configured, and an upload is refused with
    what to set — before anything is sent).
    """
    account: AccountSpec | None = spec.account
    urls: dict[str, SecretStr] = {}
    uses: list[ImageUse] = []
    if account is None:
        return urls, uses
    for file_field, url_field in IMAGE_FIELDS:
        given: SecretStr | None = getattr(account, url_field)
        path: Path | None = getattr(account, file_field)
        if given is not None:
            urls[url_field] = given
            continue
        if path is None:
            where = spec.source.locate("account") if spec.source else spec.app
            raise UsageError(
                f"{where}: account: give {url_field} or {file_field} (a local image file)"
            )
        digest = digests.cached_sha256(_resolve(spec, path))
        if digest is None:
            digest = await asyncio.to_thread(image_sha256, spec, file_field, path)
        known = await cache.image_url(digest) if cache is not None else None
        if known:
            urls[url_field] = SecretStr(known)
            uses.append(ImageUse(file_field, uploaded=False))
            continue
        if tp_api is None:
            where = spec.source.locate(f"account.{file_field}") if spec.source else spec.app
            raise UsageError(f"{where}: account.{file_field}: {NO_TP_TOKEN}")
        content = await asyncio.to_thread(read_image, spec, file_field, path)
        digest = hashlib.sha256(content).hexdigest()  # of what is uploaded, whatever happened
        url = await tp_api.upload_image(content, path.name, image_type=2)
        if cache is not None:
            await cache.remember_image(digest, url)
        urls[url_field] = SecretStr(url)
        uses.append(ImageUse(file_field, uploaded=True))
    return urls, uses
