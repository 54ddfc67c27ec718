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
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="TCP port (0: any free port).",
)
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON file holding the simulated world (default: in memory, lost on exit).",
)
@click.option(
    "--audit-delay",
    type=click.FloatRange(min=0),
    default=2.0,
    show_default=True,
    help="Seconds until a submission's audit is decided.",
)
@click.option(
    "--audit-policy",
    type=click.Choice(["approve", "reject", "manual"]),
    default="approve",
    show_default=True,
    help="How audits are decided (manual: through the admin API).",
)
@click.option("--reject-reason", help="Reason given when the policy rejects.")
@click.option("--webhook", help="URL audit events are pushed to (the TP's message-and-event URL).")
@click.option("--auth-webhook", help="URL ticket/authorization events go to (default: --webhook).")
@click.option(
    "--push-token",
    envvar="SMARTPAY_SANDBOX_PUSH_TOKEN",
    help="The TP's message-verification token (signs pushes). Env: SMARTPAY_SANDBOX_PUSH_TOKEN.",
)
@click.option(
    "--aes-key",
    "encoding_aes_key",
    envvar="SMARTPAY_SANDBOX_AES_KEY",
    help="EncodingAESKey, 43 characters [A-Za-z0-9]. Env: SMARTPAY_SANDBOX_AES_KEY.",
)
@click.option(
    "--tp-client-id", help="The TP's key: appended to encrypted pushes, asked by tp/token."
)
@click.option("--tp-app-id", type=int, help="The TP's id (tpAppId in events).")
@click.option(
    "--plaintext-push", is_flag=True, help="Push plain JSON instead of the encrypted envelope."
)
@click.option(
    "--latency", "latency_ms", type=click.FloatRange(min=0), default=0, help="Added latency (ms)."
)
@click.option(
    "--error-rate",
    type=click.FloatRange(0, 1),
    default=0,
    help="Share of requests answered with 5xx or the gateway limit errors.",
)
@click.option(
    "--drop-rate", type=click.FloatRange(0, 1), default=0, help="Share of dropped connections."
)
@click.option(
    "--slow-body",
    "slow_body_ms",
    type=click.FloatRange(min=0),
    default=0,
    help="Milliseconds to dribble each response body out.",
)
@click.option("--seed", type=int, help="Seed of generated data, ids and fault draws.")
@click.option(
    "--orders-per-day", type=click.IntRange(min=0), help="Generated orders per day per app."
)
@click.option("--data-days", type=click.IntRange(min=1), help="Days of generated data.")
@click.option(
    "--token",
    "tokens",
    multiple=True,
    metavar="TOKEN=APP_ID",
    help="Accept TOKEN for APP_ID (repeatable).",
)
@click.option(
    "--no-auto-tokens",
    is_flag=True,
    help="Refuse the automatic sandbox-<app_id> and sandbox-tp tokens.",
)
@click.option(
    "--no-service-shape",
    type=click.Choice(["60002", "60008", "60013", "null", "empty"]),
    help="Pin what getbindservice answers without a payment service (default: per app).",
)
@click.option(
    "--relax",
    "relax",
    multiple=True,
    metavar="RULE",
    help="Turn a strict rule off for a demo (repeatable; names in docs/sandbox.md).",
)
@click.option(
    "--quirk",
    "quirks",
    multiple=True,
    metavar="QUIRK",
    help="Answer with a real server's formatting: numbers_as_strings, padded_strings, "
    "decimal_amounts (repeatable; docs/sandbox.md).",
)
def serve(
    host: str,
    port: int,
    state_file: Path | None,
    tokens: tuple[str, ...],
    no_auto_tokens: bool,
    relax: tuple[str, ...],
    quirks: tuple[str, ...],
    **options: Any,
) -> None:
    """Run the sandbox on HOST:PORT until Ctrl-C.

    \b
    Any token "sandbox-<app_id>" is accepted for that mini-program, and "sandbox-tp" as the
    TP's own token (image upload, oauth), unless --no-auto-tokens.
    Admin API (approve/reject audits, faults, call log, TP tickets): /_sandbox/ (docs/sandbox.md).
    """
    from smartpay_apply.sandbox.config import SandboxConfig

    settings: dict[str, Any] = {
        k: v for k, v in options.items() if v is not None and v is not False
    }
    settings["state_file"] = state_file
    settings["tokens"] = _tokens(tokens)
    settings["auto_tokens"] = not no_auto_tokens
    settings["relax"] = list(relax)
    settings["quirks"] = list(quirks)
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
    click.echo(
        f"World: {where}; audits: {config.audit_policy} after {config.audit_delay:g} s; "
        "Ctrl-C stops.",
        err=True,
    )
    sys.stdout.flush()
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    )
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    click.echo("Sandbox stopped.", err=True)


# ------------------------------------------------------------------ admin commands
#
# They steer a sandbox through its admin API: the one at --url (a `sandbox serve`), the world
# file at --state, or else the current project's sandbox (its embedded world for
# `endpoint: sandbox`, or its endpoint URL when that is a served sandbox). sandbox/remote.py
# makes sure nothing is ever sent to Baidu itself, nor to anything that is not a sandbox.


def _target_options(func: Any) -> Any:
    func = click.option("--url", help="A running sandbox (`sandbox serve`) to talk to.")(func)
    func = click.option(
        "--state",
        "state_file",
        type=click.Path(dir_okay=False, path_type=Path),
        help="A sandbox world file to act on directly (it must exist).",
    )(func)
    return func


def _admin(
    url: str | None,
    state_file: Path | None,
    method: str,
    path: str,
    body: Any = None,
    params: dict[str, Any] | None = None,
    *,
    create: bool = False,
) -> Any:
    """One admin call to the chosen sandbox; refusals become a clear error (exit 1).

    `create`: a world that does not exist yet may be made (reset, policy); otherwise a missing
    --state file is an error, and a read of a project's missing world creates nothing.
    """
    from smartpay_apply.sandbox import remote

    transport: Any = None
    if url is None and state_file is None:
        url, transport = _project_target(create or method != "GET")
    elif url is None:
        assert state_file is not None
        url, transport = remote.IN_PROCESS_URL, remote.file_transport(state_file, create)
    return remote.call(url, transport, method, path, body, params)


def _project_target(writes: bool) -> tuple[str, Any]:
    """The current project's sandbox: its embedded world, or its endpoint URL (None transport).

    A read (`writes` False) of an embedded world that does not exist yet looks at an empty
    world in memory: `sandbox show` / `calls` in a fresh project create nothing.
    """
    import httpx

    from smartpay_apply.cli.context import CliContext
    from smartpay_apply.runtime import SANDBOX_ENDPOINT, sandbox_state_dir
    from smartpay_apply.sandbox import remote
    from smartpay_apply.sandbox.embedded import (
        EMBEDDED_BASE_URL,
        STATE_FILE_NAME,
        embedded_transport,
    )

    ctx = click.get_current_context().find_object(CliContext) or CliContext()
    project = ctx.project()
    if project.endpoint != SANDBOX_ENDPOINT:
        return project.endpoint, None
    if not writes and not (sandbox_state_dir(project) / STATE_FILE_NAME).is_file():
        return remote.IN_PROCESS_URL, remote.world_transport(None)

    transport = embedded_transport(sandbox_state_dir(project), **dict(project.sandbox))
    assert isinstance(transport, httpx.AsyncBaseTransport)
    return EMBEDDED_BASE_URL, transport


def _echo_json(data: Any) -> None:
    import json

    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


SECTION_CHOICE = click.Choice(["account", "developer_config", "payment_service"])


@sandbox.command("show")
@click.argument("app_id", type=int)
@_target_options
def show(app_id: int, url: str | None, state_file: Path | None) -> None:
    """Print what the sandbox holds for APP_ID (JSON; secrets only as digests or masks).

    \b
    bank_card and bank_phone_number, legal_id, id-card URLs, pm_app_key and tokens are shown
    as `sha256:<16 hex>` digests or masked (`110****0510`), never in clear.
    """
    from smartpay_apply.sandbox.display import conceal

    _echo_json(conceal(_admin(url, state_file, "GET", f"apps/{app_id}")))


@sandbox.command("approve")
@click.argument("app_id", type=int)
@click.argument("section", type=SECTION_CHOICE)
@_target_options
def approve(app_id: int, section: str, url: str | None, state_file: Path | None) -> None:
    """Approve the pending SECTION audit of APP_ID (and push its event)."""
    event = _admin(url, state_file, "POST", f"apps/{app_id}/{section}/approve")["event"]
    click.echo(f"{app_id}: {event['event']}")


@sandbox.command("reject")
@click.argument("app_id", type=int)
@click.argument("section", type=SECTION_CHOICE)
@click.option("--reason", required=True, help="The rejection reason Baidu gives.")
@_target_options
def reject(
    app_id: int, section: str, reason: str, url: str | None, state_file: Path | None
) -> None:
    """Reject the pending SECTION audit of APP_ID with REASON."""
    event = _admin(url, state_file, "POST", f"apps/{app_id}/{section}/reject", {"reason": reason})[
        "event"
    ]
    click.echo(f"{app_id}: {event['event']} ({event.get('reason', '')})")


@sandbox.command("policy")
@click.argument("app_id", type=int)
@click.argument("policy", type=click.Choice(["approve", "reject", "manual", "default"]))
@click.option(
    "--section",
    type=SECTION_CHOICE,
    help="Only this section (default: the whole app, replacing per-section policies).",
)
@click.option("--reason", help="Reason used when this policy rejects.")
@_target_options
def policy(
    app_id: int,
    policy: str,
    section: str | None,
    reason: str | None,
    url: str | None,
    state_file: Path | None,
) -> None:
    """Decide APP_ID's audits by POLICY from now on ("default": back to the configured one)."""
    body = {"policy": None if policy == "default" else policy, "section": section, "reason": reason}
    _admin(url, state_file, "PUT", f"apps/{app_id}/policy", body)
    click.echo(f"{app_id}: {section or 'all sections'} -> {policy}")


@sandbox.command("calls")
@click.option("--app-id", type=int, help="Only calls of this mini-program.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: one line per call; json: an array of {method, path, app_id, time}.",
)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@_target_options
def calls(
    app_id: int | None, fmt: str, as_json: bool, url: str | None, state_file: Path | None
) -> None:
    """List the API calls the sandbox received (method, path, app, time), oldest first.

    Times are Beijing time, ISO 8601 with +08:00 (milliseconds), in text and JSON alike.
    """
    from smartpay_apply.sandbox.display import call_rows

    params = {} if app_id is None else {"app_id": app_id}
    rows = call_rows(_admin(url, state_file, "GET", "calls", params=params)["calls"])
    if as_json or fmt == "json":
        _echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['time']} {row['method']:4} {row['path']} app={row['app_id']}")


@sandbox.command("reset")
@_target_options
def reset(url: str | None, state_file: Path | None) -> None:
    """Forget everything: an empty world (--state FILE: created if it does not exist)."""
    _admin(url, state_file, "POST", "reset", create=True)
    click.echo("Sandbox reset.")
