"""The TLS context of the openapi client: made only when an https endpoint is used.

Why its own module: making a verified context loads a CA bundle (~45 ms of CPU), and httpx,
whose `create_ssl_context` the client used to call, takes ~0.1 s to import; a run against an
http:// sandbox needs neither, and a run against Baidu needs only the context. The trust is
httpx's default, so that nothing changes for anyone who configured it: `SSL_CERT_FILE`, else
`SSL_CERT_DIR`, else certifi's bundle.
"""

from __future__ import annotations

import os
import ssl
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

#: The variables OpenSSL reads for its default trust (the system's CA bundle otherwise).
_TRUST_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR")


@cache
def verified_context() -> ssl.SSLContext:
    """A client context that verifies the server, trusting what httpx trusts by default."""
    cafile = os.environ.get("SSL_CERT_FILE")
    if cafile:
        return ssl.create_default_context(cafile=cafile)
    capath = os.environ.get("SSL_CERT_DIR")
    if capath:
        return ssl.create_default_context(capath=capath)
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


@contextmanager
def aiohttp_without_default_trust() -> Iterator[None]:
    """Import aiohttp (inside this block) without its two import-time TLS contexts loading
    the system's CA bundle.

    Why: aiohttp's connector makes a verified and an unverified default context when it is
    imported, each parsing the system's bundle (~50 ms of CPU together, on every command that
    talks to Baidu: issue 16). The client never uses them: every https request carries
    `verified_context()`. With OpenSSL's trust variables pointing at nothing while aiohttp is
    imported, they load no certificate; were one of them ever used it would trust nothing, so
    a mistake fails closed (a verification error), never open. The variables are restored at
    once (a value the user set is kept), before anything reads them for real. Only while the
    process has a single thread, as the CLI's commands have when they open the client: the
    variables are the process's, and another thread could be opening a TLS connection of its
    own meanwhile.
    """
    if "aiohttp" in sys.modules or threading.active_count() > 1:
        yield
        return
    saved = {name: os.environ.get(name) for name in _TRUST_VARIABLES}
    os.environ.update(dict.fromkeys(_TRUST_VARIABLES, os.devnull))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
