"""The controller as a process: start, serve, reconcile, stop cleanly.

Start-up, in an order that makes every mistake one clear line before anything runs: the
settings (a bad --resync), the receiver's token and key, the port (bound before anything is
said), the state store, the SQLite single-replica guard, the specs. Then the HTTP app (uvicorn,
in this event loop) and the controller run side by side.

Signals: SIGTERM and SIGINT stop it — /readyz turns 503, each reconcile under way finishes the
write it is sending and records it (the executor's interruption handling), locks are released,
the server answers what is in flight and closes — and the process exits 0. SIGHUP loads the
specs again. uvicorn's own signal capture is switched off: it would re-raise the signal after
its graceful shutdown and the process would die of it (exit 143).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smartpay_apply.config import ProjectConfig
    from smartpay_apply.controller.loop import Controller
    from smartpay_apply.controller.metrics import Metrics
    from smartpay_apply.controller.settings import Settings
    from smartpay_apply.controller.triggers import SpecSet
    from smartpay_apply.engine.results import ApplyResult
    from smartpay_apply.events.app import ReceiverSettings
    from smartpay_apply.runtime import Runtime

log = logging.getLogger("smartpay_apply.controller")


async def serve_controller(
    config: ProjectConfig, *, host: str, port: int, resync: str | None
) -> int:
    """Run the controller until SIGTERM/SIGINT; 0 after a clean stop, 1 if a part broke.

    The signal handlers are installed first: a SIGTERM during start-up (a rollout replacing a
    replica that is still starting) also ends in a clean exit 0.
    """
    from smartpay_apply.controller.replicas import ReplicaGuard
    from smartpay_apply.controller.report import replica_name
    from smartpay_apply.controller.settings import Settings
    from smartpay_apply.controller.triggers import load_spec_set
    from smartpay_apply.controller.web import status_page_open
    from smartpay_apply.events.serve import bind
    from smartpay_apply.events.settings import receiver_settings
    from smartpay_apply.runtime import open_runtime
    from smartpay_apply.state.locks import LockOwner

    settings = Settings.from_config(config, resync)
    receiver = receiver_settings(config.events, command="controller")
    status_page_open(config, host)  # status credentials resolved before binding
    parts = _Parts()
    with _signals(parts.stop, parts.reload):
        sock = bind(host, port)
        try:
            async with open_runtime(config, receiver=True) as runtime:
                guard = ReplicaGuard(runtime.store, config.state, LockOwner.current(replica_name()))
                await asyncio.to_thread(guard.acquire)
                try:
                    specs = await asyncio.to_thread(load_spec_set, config, runtime.store, None)
                    for problem in specs.problems:
                        log.warning("specs: %s (this file's mini-programs are left alone)", problem)
                    if parts.stop.is_set():
                        return 0
                    return await _run(runtime, settings, specs, receiver, sock, parts)
                finally:
                    await asyncio.to_thread(guard.release)
        finally:
            sock.close()


class _Parts:
    """What the signal handlers reach: the stop flag, and the controller once it exists."""

    def __init__(self) -> None:
        self.stop = asyncio.Event()
        self.controller: Controller | None = None

    def reload(self) -> None:
        if self.controller is not None:
            self.controller.reload()


async def _run(
    runtime: Runtime,
    settings: Settings,
    specs: SpecSet,
    receiver: ReceiverSettings,
    sock: socket.socket,
    parts: _Parts,
) -> int:
    from smartpay_apply.controller.loop import Controller
    from smartpay_apply.controller.replicas import on_sqlite
    from smartpay_apply.controller.web import create_controller_app, status_page

    metrics = _metrics(runtime)
    controller = parts.controller = Controller(runtime, settings, specs, metrics)
    _watch_fleet(metrics, runtime, controller)
    app = create_controller_app(
        receiver,
        runtime.store,
        on_event=controller.on_event,
        readiness=lambda: _readiness(controller),
        metrics=metrics,
        status_app=status_page(runtime.config, runtime.store, sock.getsockname()[0]),
    )
    server = _server(app)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    running = asyncio.create_task(controller.run())
    address = sock.getsockname()
    log.info(
        "controller: listening on http://%s:%s (receiver /, /tp/auth; /healthz, /readyz, "
        "/metrics, /ui/); %d mini-program(s), resync every %gs; state store %s%s",
        address[0],
        address[1],
        len(controller.specs.specs),
        controller.settings.resync,
        runtime.store.name,
        " (SQLite: this is the only replica)" if on_sqlite(runtime.config.state) else "",
    )
    waiting = asyncio.create_task(parts.stop.wait())
    done, _ = await asyncio.wait({serving, running, waiting}, return_when=asyncio.FIRST_COMPLETED)
    broken = _broken(done - {waiting})
    log.info("controller: stopping")
    await controller.stop()
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    server.should_exit = True
    await asyncio.gather(serving, return_exceptions=True)
    waiting.cancel()
    log.info("controller: stopped")
    return 1 if broken else 0


def _broken(finished: set[asyncio.Task[None]]) -> bool:
    """A part that ended by itself (the server, the loop) is a failure: say why."""
    for task in finished:
        error = None if task.cancelled() else task.exception()
        log.error("controller: %s ended unexpectedly: %r", task.get_coro(), error)
    return bool(finished)


def _readiness(controller: Controller) -> str | None:
    if controller.stopping:
        return "stopping"
    if not controller.started:
        return "starting"
    return None


def _metrics(runtime: Runtime) -> Metrics:
    from smartpay_apply.controller.metrics import Metrics

    metrics = Metrics()
    runtime.api.on_error = lambda error: metrics.api_error(error.endpoint, error.code)
    return metrics


def _watch_fleet(metrics: Metrics, runtime: Runtime, controller: Controller) -> None:
    from smartpay_apply.controller.metrics import FleetCollector

    metrics.watch_fleet(
        FleetCollector(
            runtime.store, lambda: controller.managed, lambda: controller.suspended_by_spec()
        )
    )


def _server(app: Any) -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn without its signal capture (the controller handles the signals)."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))


@contextlib.contextmanager
def _signals(stop: asyncio.Event, reload: Callable[[], None]) -> Iterator[None]:
    """SIGTERM/SIGINT set `stop`, SIGHUP calls `reload`; afterwards SIGTERM gets back the
    handler it had (the CLI's: an interrupt) and SIGHUP is ignored, never the default death by
    the signal."""
    loop = asyncio.get_running_loop()
    previous_term = signal.getsignal(signal.SIGTERM)
    installed = []
    handlers = {signal.SIGTERM: stop.set, signal.SIGINT: stop.set, signal.SIGHUP: reload}
    for signum, handler in handlers.items():
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, handler)
            installed.append(signum)
    try:
        yield
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)
        with contextlib.suppress(ValueError, TypeError):  # not the main thread; None: not Python's
            signal.signal(signal.SIGTERM, previous_term)
        with contextlib.suppress(ValueError):
            signal.signal(signal.SIGHUP, signal.SIG_IGN)


async def run_once(config: ProjectConfig, *, resync: str | None) -> ApplyResult:
    """`--once`: every mini-program reconciled once, as `apply --auto-approve` would without
    waiting — but with the controller's policy (controller.actions, payout consents). No
    receiver runs, so outcomes arrive as pushes only if `events:` is configured (as for apply).
    SIGTERM/SIGINT: the writes under way finish and are recorded; the result says interrupted.
    """
    from smartpay_apply.controller.loop import Controller
    from smartpay_apply.controller.settings import Settings
    from smartpay_apply.controller.triggers import SpecSet, digest
    from smartpay_apply.engine.results import ApplyResult
    from smartpay_apply.events.settings import receiver_configured
    from smartpay_apply.project import load_specs
    from smartpay_apply.runtime import open_runtime

    settings = Settings.from_config(config, resync)
    loaded = load_specs(config)
    async with open_runtime(config) as runtime:
        specs = SpecSet(
            {s.app_id: s for s in loaded}, {s.app_id: digest(s, runtime.store) for s in loaded}
        )
        controller = Controller(runtime, settings, specs, _metrics(runtime))
        controller.options = replace(
            controller.options, events_configured=receiver_configured(config)
        )
        task = asyncio.create_task(controller.once())
        stop = asyncio.Event()
        with _signals(stop, controller.reload):
            waiting = asyncio.create_task(stop.wait())
            await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
            waiting.cancel()
            if not task.done():
                controller.stopping = True
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                return ApplyResult(apps=list(controller.results), interrupted=True)
        return task.result()
