"""The `smartpay-apply` entry point: global options, command registry, error handling.

Errors: a `SmartpayError` becomes one clear message on stderr and its exit code (1); a bug shows
a one-line notice and exit 1, and its traceback only with `--debug` (or SMARTPAY_DEBUG=1).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from typing import Any

import click

from smartpay_apply import __version__, gc_tuning
from smartpay_apply.cli.context import CliContext
from smartpay_apply.cli.lazy import LazyEntry, LazyGroup
from smartpay_apply.cli.options import attach, global_options
from smartpay_apply.errors import SmartpayError

#: Every subcommand, imported only when used (cli/lazy.py). Keep in sync with README's command
#: list. An entry is `"name": ("module:attribute", "summary")`: the summary is the first
#: sentence of the command's own help, word for word (tests/cli/test_global_options.py checks
#: it), and is what `smartpay-apply --help` and shell completion show without importing the
#: command. A bare "module:attribute" still works, but listing the commands then imports it.
COMMANDS: dict[str, LazyEntry] = {
    "validate": (
        "smartpay_apply.cli.validate:validate",
        "Check spec files (default: those matched by `specs:` in smartpay.yaml).",
    ),
    "schema": ("smartpay_apply.cli.schema:schema", "Print the JSON Schema of a spec file."),
    "dict": (
        "smartpay_apply.cli.dict_cmd:dict_command",
        "Show (or --refresh) the payment dictionary: banks, provinces and cities, payment "
        "days, rates.",
    ),
    "plan": (
        "smartpay_apply.cli.plan:plan",
        "Show what apply would do: observe Baidu and the state store, compare with the specs.",
    ),
    "apply": (
        "smartpay_apply.cli.apply:apply",
        "Apply the specs (or a plan saved with `plan --out FILE`) to Baidu.",
    ),
    "output": (
        "smartpay_apply.cli.output:output",
        "Print APP's payment-service outputs: pm_app_id, pm_app_key, deal_id, platform_public_key.",
    ),
    "import": (
        "smartpay_apply.cli.import_cmd:import_command",
        "Bring mini-programs opened by hand under management: one spec file each, from what "
        "Baidu reports (account/auditstatus, getbindservice; read calls only).",
    ),
    "state": (
        "smartpay_apply.cli.state:state",
        "Show what the state store knows (submissions, audit events, run history); forget it.",
    ),
    "lock": (
        "smartpay_apply.cli.lock:lock",
        "Inspect the per-mini-program locks (see also `smartpay-apply unlock`).",
    ),
    "unlock": (
        "smartpay_apply.cli.lock:unlock",
        "Remove the lock of APP (app name or app_id) whoever holds it, for a run that died.",
    ),
    "events": (
        "smartpay_apply.cli.events:events",
        "Receive Baidu's pushed audit events (and TP tickets) and show what arrived.",
    ),
    "controller": (
        "smartpay_apply.cli.controller:controller",
        "Reconcile the specs continuously: onboarding and drift repair that run themselves.",
    ),
    "approve": (
        "smartpay_apply.cli.consent:approve",
        "Consent, for the controller, to a change of APP that needs a person.",
    ),
    "suspend": (
        "smartpay_apply.cli.consent:suspend",
        "Make the controller leave APP alone until `resume APP` (plan and apply still work).",
    ),
    "resume": (
        "smartpay_apply.cli.consent:resume",
        "Let the controller reconcile APP again (after `suspend APP`).",
    ),
    "auth": (
        "smartpay_apply.cli.auth:auth",
        "Store and refresh mini-program credentials (third-party-platform flow).",
    ),
    "data": (
        "smartpay_apply.cli.data:data",
        "Export payment data (支付数据) as csv, jsonl or an aligned table.",
    ),
    "status": (
        "smartpay_apply.cli.status:status",
        "One row per mini-program: each section's sync and audit state, how long the oldest "
        "audit has been in review, the last rejection reason, the last event, the last run.",
    ),
    "sandbox": (
        "smartpay_apply.cli.sandbox:sandbox",
        "A local simulator of Baidu's payment-service openapi (see docs/sandbox.md).",
    ),
    "completion": (
        "smartpay_apply.cli.completion:completion",
        "Print the completion script for SHELL; load it from your shell's start-up file.",
    ),
}


class RootGroup(LazyGroup):
    """Turns project errors into messages and exit codes; hides bug tracebacks unless asked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        # A command whose module is not part of this build is left out of --help, not a crash.
        return [
            name
            for name in super().list_commands(ctx)
            if _module_exists(self.lazy_commands.get(name))
        ]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        return attach(command) if command is not None else None  # global options there too

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SmartpayError as error:
            click.echo(f"Error: {error.user_message()}", err=True)
            ctx.exit(error.exit_code)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:  # stdout's reader left (`| head`): it has what it wanted
            _silence_stdout()
            ctx.exit(0)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)
        except Exception as error:  # a bug: say so plainly, traceback only on request
            if interrupted_meanwhile(error):
                click.echo("Interrupted.", err=True)
                ctx.exit(130)
            if _debug_requested(ctx):
                traceback.print_exc()
            else:
                click.echo(
                    f"Internal error: {type(error).__name__}: {error}\n"
                    "This is a bug in smartpay-apply; run again with --debug for the traceback.",
                    err=True,
                )
            ctx.exit(1)


def interrupted_meanwhile(error: BaseException) -> bool:
    """Whether Ctrl-C or SIGTERM caused `error`: Python 3.11 wraps an exception raised while a
    class is being made (a KeyboardInterrupt arriving during a module's import, in a field's
    `__set_name__`) in a RuntimeError. That is an interruption, not a bug."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return False


def _silence_stdout() -> None:
    """Point stdout at /dev/null: the interpreter's final flush must not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _module_exists(target: str | None) -> bool:
    if target is None:
        return True
    import importlib.util

    return importlib.util.find_spec(target.split(":")[0]) is not None


def _debug_requested(ctx: click.Context) -> bool:
    obj = ctx.find_object(CliContext)
    return bool(obj and obj.debug) or os.environ.get("SMARTPAY_DEBUG") == "1"


@click.group(
    cls=RootGroup,
    lazy_commands=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="smartpay-apply")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Plan and apply Baidu smart-program payment services from YAML specs.

    \b
    Exit codes: 0 success; 1 error; 2 changes pending (plan --detailed-exitcode)
    or audits still in review (apply); 130 interrupted (Ctrl-C). See the README for details.
    The global options (-C, --config, -v, --debug, --color) also work after the subcommand.
    """
    ctx.ensure_object(CliContext)


# The global options (cli/options.py): declared once, here and on every subcommand.
cli.params.extend(global_options())


def run(args: Sequence[str] | None = None) -> int:
    """Run the CLI with `args` (default: sys.argv[1:]) and return the exit code.

    Usage errors exit 1, not click's 2: exit code 2 means "changes pending" to
    `plan --detailed-exitcode` and "audits still in review" to `apply`, and a pipeline must
    never mistake a mistyped flag for either. A closed stdout (`smartpay-apply … | head`) ends
    the command quietly with exit 0: the reader has what it wanted.
    """
    try:
        code = cli.main(
            args=list(args) if args is not None else None,
            prog_name="smartpay-apply",
            standalone_mode=False,
        )
    except click.ClickException as error:
        error.show()
        code = 1
    except click.Abort:
        click.echo("Aborted!", err=True)
        code = 1
    except BrokenPipeError:  # while click itself wrote (help, usage)
        _silence_stdout()
        code = 0
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM outside a command's own handling
        click.echo("Interrupted.", err=True)
        code = INTERRUPTED
    return code if isinstance(code, int) else 0


#: The exit code of an interrupted command (Ctrl-C, SIGTERM): the shell's 128 + SIGINT.
INTERRUPTED = 130


def terminate_as_interrupt() -> None:
    """SIGTERM (a cancelled CI job, `kill`) ends the command like Ctrl-C: exit 130, never death
    by the signal. Commands with work to finish (apply) install their own handling on top."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    with contextlib.suppress(ValueError):  # not the main thread (an embedding program)
        signal.signal(signal.SIGTERM, interrupt)


def main() -> None:
    """Console-script entry point."""
    gc_tuning.for_batch()  # before the commands' imports: see gc_tuning.py
    terminate_as_interrupt()
    code = run()
    ignore_signals_while_exiting()
    gc_tuning.before_exit()
    sys.exit(code)


def ignore_signals_while_exiting() -> None:
    """The command has ended: a Ctrl-C or SIGTERM now must not turn its exit code into death
    by the signal (the interpreter restores the default handlers while it shuts down)."""
    with contextlib.suppress(AttributeError, ValueError):  # no pthread_sigmask (Windows)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


logging.getLogger("smartpay_apply").addHandler(logging.NullHandler())
