"""TLS trust of the client: httpx's default (SSL_CERT_FILE, SSL_CERT_DIR, certifi), and
aiohttp imported without loading the system's bundle for contexts the client never uses.

Each case runs in a new interpreter: what matters happens when aiohttp is first imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = """
import json, os, sys, threading, time
if "--thread" in sys.argv:
    threading.Thread(target=time.sleep, args=(5,), daemon=True).start()
import smartpay_apply.api.transport_aiohttp
import aiohttp.connector as connector
from smartpay_apply.api.tls import verified_context
print(json.dumps({
    "default_contexts_trust": [
        connector._SSL_CONTEXT_VERIFIED.cert_store_stats()["x509_ca"],
        connector._SSL_CONTEXT_UNVERIFIED.cert_store_stats()["x509_ca"],
    ],
    "env": {name: os.environ.get(name) for name in ("SSL_CERT_FILE", "SSL_CERT_DIR")},
    "verified_trusts": verified_context().cert_store_stats()["x509_ca"],
}))
"""


def probe(env: dict[str, str], *args: str) -> dict:  # type: ignore[type-arg]
    clean = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    process = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**clean, **env},
    )
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout)  # type: ignore[no-any-return]


def test_aiohttp_defaults_load_nothing_and_the_environment_is_left_as_it_was() -> None:
    result = probe({})
    assert result["default_contexts_trust"] == [0, 0]  # nothing parsed, nothing trusted
    assert result["env"] == {"SSL_CERT_FILE": None, "SSL_CERT_DIR": None}
    assert result["verified_trusts"] > 50  # certifi's bundle


def test_a_trust_file_the_user_set_is_kept_and_used(tmp_path: Path) -> None:
    import certifi

    bundle = tmp_path / "company-ca.pem"
    bundle_text = Path(certifi.where()).read_text(encoding="ascii")
    first = bundle_text.split("-----END CERTIFICATE-----")[0]
    bundle.write_text(first + "-----END CERTIFICATE-----\n", encoding="ascii")
    result = probe({"SSL_CERT_FILE": str(bundle)})
    assert result["env"] == {"SSL_CERT_FILE": str(bundle), "SSL_CERT_DIR": None}
    assert result["verified_trusts"] == 1  # exactly the user's file


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_an_empty_trust_variable_is_restored_too(variable: str) -> None:
    result = probe({variable: ""})
    assert result["env"][variable] == ""


def test_with_another_thread_running_the_environment_is_not_touched() -> None:
    """The trust variables are the process's: another thread might be making a TLS connection
    of its own while aiohttp is imported, so then aiohttp's defaults load the bundle as usual."""
    result = probe({}, "--thread")
    assert result["default_contexts_trust"][0] > 50
    assert result["env"] == {"SSL_CERT_FILE": None, "SSL_CERT_DIR": None}
