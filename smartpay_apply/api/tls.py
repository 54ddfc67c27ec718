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
from functools import cache


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
