"""`smartpay-apply completion bash|zsh|fish`: the shell completion script.

Click's shell completion does the work; this prints its script so users need not know the
`_SMARTPAY_APPLY_COMPLETE` variable. Commands, options and choices complete, and so do the app
names and app_ids of the specs for every APP argument and `--app` (cli/options.py).
"""

from __future__ import annotations

import click

PROG = "smartpay-apply"
COMPLETE_VAR = "_SMARTPAY_APPLY_COMPLETE"


@click.command("completion")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the completion script for SHELL; load it from your shell's start-up file.

    \b
    bash:  eval "$(smartpay-apply completion bash)"        (in ~/.bashrc)
    zsh:   eval "$(smartpay-apply completion zsh)"         (in ~/.zshrc)
    fish:  smartpay-apply completion fish > ~/.config/fish/completions/smartpay-apply.fish
    """
    from click.shell_completion import get_completion_class

    root = ctx.find_root().command
    cls = get_completion_class(shell)
    assert cls is not None  # every choice above is a shell click supports
    click.echo(cls(root, {}, PROG, COMPLETE_VAR).source())
