"""A local simulator of Baidu's payment-service openapi (see docs/sandbox.md).

It plays Baidu, so it imports nothing from the client, engine, spec, state, events or
credentials packages: it is written from payment-service-api.zh.txt and openapi-facts.md.
"""

from smartpay_apply.sandbox.config import SandboxConfig

__all__ = ["SandboxConfig"]
