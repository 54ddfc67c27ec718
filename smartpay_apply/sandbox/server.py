"""The sandbox as a real HTTP server: uvicorn in a background thread, on a free port.

`running_server(config)` is what tests, benchmarks and `sandbox serve` use: it yields the base
URL once the server accepts connections and stops it cleanly (lifespan shutdown) on exit.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn

from smartpay_apply.sandbox.app import create_app
from smartpay_apply.sandbox.config import SandboxConfig

STARTUP_TIMEOUT = 15.0


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free one (no race between choosing and binding)."""
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets that say they are
    # TCP; without it every response waits ~40 ms for a delayed ACK (Nagle).
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


@contextlib.contextmanager
def running_server(config: SandboxConfig, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `config` on host:port (0 = free port) in a thread; yields "http://host:port"."""
    sock = bind(host, port)
    actual_port = sock.getsockname()[1]
    app = create_app(config)
    app.state.sandbox.served = True
    # http/loop "auto" pick httptools and uvloop (dependencies): half the server CPU per request
    # of h11 on asyncio (bench/README.md, Sandbox), which the client shares 2 cores with.
    server = uvicorn.Server(
        uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="on", http="auto", loop="auto"
        )
    )
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="sandbox-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise RuntimeError("the sandbox server did not start")
        time.sleep(0.01)
    shown = f"[{host}]" if ":" in host else host
    try:
        yield f"http://{shown}:{actual_port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
