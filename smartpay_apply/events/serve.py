"""Serving the receiver: bind first, then run uvicorn; SIGINT/SIGTERM end it cleanly.

Why bind here rather than let uvicorn do it: a busy port must be one clear error *before*
"listening on …" is printed (uvicorn would log its own error after it and exit 3). Why our own
signal handlers: uvicorn shuts down gracefully on SIGINT/SIGTERM (in-flight pushes are answered,
`--on-event` hooks finish) but then re-raises the signal, so the process died of SIGTERM (exit
143) after a perfectly clean shutdown. A service manager stopping the receiver must see exit 0.
"""

from __future__ import annotations

import signal
import socket
from types import FrameType
from typing import Any

from smartpay_apply.errors import SmartpayError


class ListenError(SmartpayError):
    """The address cannot be listened on (port in use, no permission, unknown host)."""


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port, or ListenError naming the address and the reason."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as error:
        sock.close()
        shown = f"[{host}]" if ":" in host else host
        raise ListenError(f"cannot listen on {shown}:{port}: {error.strerror or error}") from None
    sock.setblocking(False)
    return sock


def serve(app: Any, sock: socket.socket) -> None:
    """Run `app` on `sock` until SIGINT or SIGTERM, then shut down gracefully and return."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))

    def stop(_sig: int, _frame: FrameType | None) -> None:
        # Before uvicorn installs its handlers (start-up), and when it re-raises the signal
        # after its graceful shutdown: ask it to stop / do nothing, never die of the signal.
        server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
