"""`smartpay-apply sandbox serve`: the Baidu simulator as a local HTTP server.

Prints the base URL once it listens; Ctrl-C (or SIGTERM) stops it cleanly with exit 0. Every
option maps to a SandboxConfig field (docs/sandbox.md).
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Any

import click

from smartpay_apply.errors import UsageError

DEFAULT_PORT = 8765


def _tokens(values: tuple[str, ...]) -> dict[str, int]:
    tokens: dict[str, int] = {}
    for value in values:
        token, sep, app_id = value.rpartition("=")
        if not sep or not token or not app_id.isdigit():
            raise UsageError(f"--token {value!r}: expected TOKEN=APP_ID (APP_ID a number)")
        tokens[token] = int(app_id)
    return tokens


@click.group("sandbox")
def sandbox() -> None:
    """A local simulator of Baidu's payment-service openapi (see docs/sandbox.md)."""


@sandbox.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=DEFAULT_PORT, show_default=True,
              help="TCP port (0: any free port).")
@click.option("--state", "state_file", type=click.Path(dir_okay=False, path_type=Path),
              help="JSON file holding the simulated world (default: in memory, lost on exit).")
@click.option("--audit-delay", type=click.FloatRange(min=0), default=2.0, show_default=True,
              help="Seconds until a submission's audit is decided.")
@click.option("--audit-policy", type=click.Choice(["approve", "reject", "manual"]), default="approve",
              show_default=True, help="How audits are decided (manual: through the admin API).")
@click.option("--reject-reason", help="Reason given when the policy rejects.")
@click.option("--webhook", help="URL audit events are pushed to (the TP's message-and-event URL).")
@click.option("--auth-webhook", help="URL ticket/authorization events go to (default: --webhook).")
@click.option("--push-token", envvar="SMARTPAY_SANDBOX_PUSH_TOKEN",
              help="The TP's message-verification token (signs pushes). Env: SMARTPAY_SANDBOX_PUSH_TOKEN.")
@click.option("--aes-key", "encoding_aes_key", envvar="SMARTPAY_SANDBOX_AES_KEY",
              help="EncodingAESKey, 43 characters [A-Za-z0-9]. Env: SMARTPAY_SANDBOX_AES_KEY.")
@click.option("--tp-client-id", help="The TP's key: appended to encrypted pushes, asked by tp/token.")
@click.option("--tp-app-id", type=int, help="The TP's id (tpAppId in events).")
@click.option("--plaintext-push", is_flag=True, help="Push plain JSON instead of the encrypted envelope.")
@click.option("--latency", "latency_ms", type=click.FloatRange(min=0), default=0, help="Added latency (ms).")
@click.option("--error-rate", type=click.FloatRange(0, 1), default=0,
              help="Share of requests answered with 5xx or the gateway limit errors.")
@click.option("--drop-rate", type=click.FloatRange(0, 1), default=0, help="Share of dropped connections.")
@click.option("--slow-body", "slow_body_ms", type=click.FloatRange(min=0), default=0,
              help="Milliseconds to dribble each response body out.")
@click.option("--seed", type=int, help="Seed of generated data, ids and fault draws.")
@click.option("--orders-per-day", type=click.IntRange(min=0), help="Generated orders per day per app.")
@click.option("--data-days", type=click.IntRange(min=1), help="Days of generated data.")
@click.option("--token", "tokens", multiple=True, metavar="TOKEN=APP_ID",
              help="Accept TOKEN for APP_ID (repeatable).")
@click.option("--no-auto-tokens", is_flag=True, help="Refuse the automatic sandbox-<app_id> tokens.")
def serve(
    host: str, port: int, state_file: Path | None, tokens: tuple[str, ...], no_auto_tokens: bool, **options: Any
) -> None:
    """Run the sandbox on HOST:PORT until Ctrl-C.

    \b
    Any token "sandbox-<app_id>" is accepted for that mini-program unless --no-auto-tokens.
    Admin API (approve/reject audits, faults, call log, TP tickets): /_sandbox/ (docs/sandbox.md).
    """
    from smartpay_apply.sandbox.config import SandboxConfig

    settings: dict[str, Any] = {k: v for k, v in options.items() if v is not None and v is not False}
    settings["state_file"] = state_file
    settings["tokens"] = _tokens(tokens)
    settings["auto_tokens"] = not no_auto_tokens
    config = SandboxConfig.from_settings(settings, where="sandbox serve")
    _serve(config, host, port)


def _serve(config: Any, host: str, port: int) -> None:
    import uvicorn

    from smartpay_apply.sandbox.app import create_app
    from smartpay_apply.sandbox.server import bind

    try:
        sock = bind(host, port)
    except OSError as error:
        raise UsageError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    shown = f"[{host}]" if ":" in host else host
    app = create_app(config)
    app.state.sandbox.served = True

    def terminate(_sig: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    click.echo(f"Sandbox listening on http://{shown}:{sock.getsockname()[1]}", nl=True)
    where = str(config.state_file) if config.state_file else "memory (lost on exit)"
    click.echo(f"World: {where}; audits: {config.audit_policy} after {config.audit_delay:g} s; "
               "Ctrl-C stops.", err=True)
    sys.stdout.flush()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    click.echo("Sandbox stopped.", err=True)
