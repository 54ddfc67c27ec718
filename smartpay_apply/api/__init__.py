"""The Baidu openapi client: `OpenApi` (shared), `AppApi` (one mini-program), models, errors.

Importing this package imports neither aiohttp nor httpx; the default transport (aiohttp) is
built when the first `OpenApi` without a transport of its own is made.
"""
