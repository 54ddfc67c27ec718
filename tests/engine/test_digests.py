"""engine/digests.py: a local image is hashed once per version, and any change is noticed.

What the cache must never do: give the digest of an older version of a file. A plan would then
take a replaced id-card photo for the one already sent (no account change shown) — or a
re-upload would be skipped for a photo Baidu never saw.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from smartpay_apply.engine import digests
from smartpay_apply.engine.fingerprints import ImageReadError, desired_fingerprints
from smartpay_apply.state import StateStore, open_store
from tests.engine.factory import make_spec


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def settled_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Count every file as settled (no need to wait SETTLED seconds for the cache to work)."""
    monkeypatch.setattr(digests, "SETTLED", -1.0)


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return open_store("state.db", base_dir=tmp_path)


def test_a_settled_file_is_cached(tmp_path: Path, settled_at_once: None) -> None:
    image = tmp_path / "front.png"
    image.write_bytes(b"photo one")
    assert digests.cached_sha256(image) is None
    assert digests.file_sha256(image) == sha(b"photo one")
    assert digests.cached_sha256(image) == sha(b"photo one")


def test_a_rewritten_file_of_the_same_size_is_hashed_again(
    tmp_path: Path, settled_at_once: None
) -> None:
    image = tmp_path / "front.png"
    image.write_bytes(b"photo one")
    assert digests.file_sha256(image) == sha(b"photo one")
    mtime = image.stat().st_mtime_ns
    image.write_bytes(b"photo two")  # same size
    os.utime(image, ns=(mtime + 1_000_000, mtime + 1_000_000))
    assert digests.cached_sha256(image) is None
    assert digests.file_sha256(image) == sha(b"photo two")


def test_a_file_replaced_by_a_rename_with_the_same_times_is_hashed_again(
    tmp_path: Path, settled_at_once: None
) -> None:
    image = tmp_path / "front.png"
    image.write_bytes(b"photo one")
    assert digests.file_sha256(image) == sha(b"photo one")
    times = image.stat()
    other = tmp_path / "new.png"
    other.write_bytes(b"photo two")
    os.utime(other, ns=(times.st_atime_ns, times.st_mtime_ns))
    other.replace(image)  # another inode, same size and mtime
    assert digests.file_sha256(image) == sha(b"photo two")


def test_a_file_changed_just_now_is_not_cached(tmp_path: Path) -> None:
    """Timestamps are coarse: a same-size rewrite in the same tick would keep them."""
    image = tmp_path / "front.png"
    image.write_bytes(b"photo one")
    assert digests.file_sha256(image) == sha(b"photo one")
    assert digests.cached_sha256(image) is None
    old = image.stat().st_mtime_ns - 3_600 * 10**9
    os.utime(image, ns=(old, old))  # an old mtime, but the change time is now
    assert digests.file_sha256(image) == sha(b"photo one")
    assert digests.cached_sha256(image) is None


def test_a_removed_file_is_an_error_not_its_old_digest(
    tmp_path: Path, settled_at_once: None
) -> None:
    image = tmp_path / "front.png"
    image.write_bytes(b"photo one")
    digests.file_sha256(image)
    image.unlink()
    with pytest.raises(FileNotFoundError):
        digests.file_sha256(image)


def test_the_account_fingerprint_follows_a_replaced_image(
    tmp_path: Path, store: StateStore, settled_at_once: None
) -> None:
    """What plan compares: a new photo under the same name is an account change."""
    front, back = tmp_path / "front.png", tmp_path / "back.png"
    front.write_bytes(b"front one")
    back.write_bytes(b"back")
    images = {
        "id_card_front": front,
        "id_card_back": back,
        "id_card_front_url": None,
        "id_card_back_url": None,
    }
    spec = make_spec("shop-a", 1001, token="sandbox-1001", account=images)
    first = desired_fingerprints(spec, store)
    assert desired_fingerprints(spec, store) == first
    mtime = front.stat().st_mtime_ns
    front.write_bytes(b"front two")
    os.utime(front, ns=(mtime + 1_000_000, mtime + 1_000_000))
    second = desired_fingerprints(spec, store)
    assert second["account"] != first["account"]
    assert second["payment_service"] == first["payment_service"]
    front.unlink()
    with pytest.raises(ImageReadError):
        desired_fingerprints(spec, store)
