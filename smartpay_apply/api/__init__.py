"""The Baidu openapi client: `OpenApi` (shared), `AppApi` (one mini-program), models, errors.

Importing this package does not import httpx-aiohttp; the default transport is built lazily.
"""
