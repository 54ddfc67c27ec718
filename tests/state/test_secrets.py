"""Credentials and id-card URLs: encrypted at rest, never in clear, rotated with compare-and-swap."""

from __future__ import annotations

import glob
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from smartpay_apply.errors import StateError
from smartpay_apply.state import open_store

from .conftest import KEY, dump_all, run_raw

REFRESH = "24.4f1c9e0d-refresh-token-abcdefghijklmnop"


def test_a_secret_round_trips_and_is_not_in_clear_at_rest(store, location):
    store.put_secret("app/42/refresh_token", REFRESH)
    assert store.get_secret("app/42/refresh_token") == REFRESH
    [(sealed,)] = run_raw(
        location, "SELECT sealed FROM smartpay_secrets WHERE name = 'app/42/refresh_token'"
    )
    assert sealed.startswith("v1.")
    assert REFRESH not in dump_all(location)
    assert "4f1c9e0d" not in dump_all(location)


def test_the_sqlite_files_never_contain_a_secret_in_clear(tmp_path, monkeypatch):
    monkeypatch.setenv("SMARTPAY_STATE_KEY", KEY)
    with open_store("state.db", base_dir=tmp_path) as store:
        store.put_secret("tp/ticket", REFRESH)
        store.record_image("ab" * 32, "https://upload.example/idcard-front-9f8e7d.png")
        files = b"".join(Path(path).read_bytes() for path in glob.glob(str(tmp_path / "state.db*")))
    assert REFRESH.encode() not in files
    assert b"idcard-front-9f8e7d" not in files


def test_without_the_key_nothing_is_stored(opener, monkeypatch):
    monkeypatch.delenv("SMARTPAY_STATE_KEY", raising=False)
    store = opener()
    with pytest.raises(StateError, match="set SMARTPAY_STATE_KEY to store credentials"):
        store.put_secret("app/42/refresh_token", REFRESH)
    with pytest.raises(StateError, match="SMARTPAY_STATE_KEY"):
        store.replace_secret("app/42/refresh_token", None, REFRESH)
    assert store.list_secret_keys() == []
    assert store.get_secret("app/42/refresh_token") is None


def test_reading_a_secret_without_or_with_a_wrong_key_is_a_clear_error(store, opener, monkeypatch):
    store.put_secret("app/42/refresh_token", REFRESH)
    monkeypatch.delenv("SMARTPAY_STATE_KEY")
    with pytest.raises(StateError, match="set SMARTPAY_STATE_KEY to read stored credentials"):
        opener().get_secret("app/42/refresh_token")
    monkeypatch.setenv("SMARTPAY_STATE_KEY", "another-key-entirely")
    with pytest.raises(StateError, match="different SMARTPAY_STATE_KEY"):
        opener().get_secret("app/42/refresh_token")


def test_a_ciphertext_moved_to_another_name_does_not_decrypt(store, location):
    store.put_secret("app/1/refresh_token", "one")
    store.put_secret("app/2/refresh_token", "two")
    run_raw(
        location,
        "UPDATE smartpay_secrets SET sealed = (SELECT sealed FROM smartpay_secrets WHERE name = 'app/1/refresh_token') "
        "WHERE name = 'app/2/refresh_token'",
    )
    with pytest.raises(StateError, match="tampered"):
        store.get_secret("app/2/refresh_token")


def test_list_and_delete(store):
    for key in ("app/2/refresh_token", "app/1/refresh_token", "tp/ticket", "app/1/access_token"):
        store.put_secret(key, "v")
    assert store.list_secret_keys() == [
        "app/1/access_token",
        "app/1/refresh_token",
        "app/2/refresh_token",
        "tp/ticket",
    ]
    assert store.list_secret_keys("app/1/") == ["app/1/access_token", "app/1/refresh_token"]
    store.delete_secret("app/1/access_token")
    store.delete_secret("never/there")
    assert store.get_secret("app/1/access_token") is None
    store.put_secret("tp/ticket", "w")  # overwrite
    assert store.get_secret("tp/ticket") == "w"


def test_compare_and_swap_rotation(store):
    key = "app/42/refresh_token"
    assert store.replace_secret(key, "rt-0", "rt-1") is False  # absent: nothing to replace
    assert store.replace_secret(key, None, "rt-1") is True  # absent: created
    assert store.replace_secret(key, None, "rt-x") is False  # present: not overwritten
    for step in range(1, 6):
        assert store.replace_secret(key, f"rt-{step}", f"rt-{step + 1}") is True
    assert store.replace_secret(key, "rt-3", "stale") is False
    assert store.get_secret(key) == "rt-6"


def test_concurrent_rotations_of_one_refresh_token_have_one_winner(store, opener):
    key = "app/42/refresh_token"
    store.put_secret(key, "rt-0")
    connections = [opener() for _ in range(8)]  # one connection each, as separate processes would
    with ThreadPoolExecutor(max_workers=8) as pool:
        wins = list(
            pool.map(lambda i: connections[i].replace_secret(key, "rt-0", f"rt-from-{i}"), range(8))
        )
    assert wins.count(True) == 1
    assert store.get_secret(key) == f"rt-from-{wins.index(True)}"


def test_image_urls_are_remembered_encrypted(store, location):
    digest = "ab" * 32
    assert store.get_image_url(digest) is None
    store.record_image(digest, "https://upload.example/idcard-front-9f8e7d.png")
    assert store.get_image_url(digest) == "https://upload.example/idcard-front-9f8e7d.png"
    assert "idcard-front" not in dump_all(location)


def test_without_the_key_image_urls_are_not_remembered(opener, monkeypatch):
    monkeypatch.delenv("SMARTPAY_STATE_KEY", raising=False)
    store = opener()
    store.record_image("cd" * 32, "https://upload.example/idcard-back.png")
    assert store.get_image_url("cd" * 32) is None


def test_without_the_key_the_unremembered_images_are_said_once(opener, monkeypatch, caplog):
    """A controller uploads thousands of images: one line says why none is remembered."""
    monkeypatch.delenv("SMARTPAY_STATE_KEY", raising=False)
    store = opener()
    with caplog.at_level("INFO", logger="smartpay_apply.state"):
        for n in range(3):
            store.record_image(f"{n:02d}" * 32, f"https://upload.example/{n}.png")
    said = [r for r in caplog.records if "not remembering uploaded image URLs" in r.getMessage()]
    assert len(said) == 1
