"""The status page: server-rendered HTML (Starlette + Jinja2), usable without JavaScript.

`create_status_app(config, store_opener, *, auth=None, auto_refresh=None)` builds the ASGI
app; mount it anywhere (`Mount("/ui", app=...)`): every link it renders starts with the ASGI
`root_path` its mount gives it. `status serve` (serve.py) serves it at `/` and `/ui/`.
"""

from smartpay_apply.status.web.app import StoreOpener, create_status_app
from smartpay_apply.status.web.auth import StatusAuth

__all__ = ["StatusAuth", "StoreOpener", "create_status_app"]
