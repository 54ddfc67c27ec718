"""The project's exception hierarchy.

Every error a user can cause or meet (bad input, an unreachable store, an API refusal) is a
`SmartpayError`. The CLI turns it into one clear line on stderr and exit code 1; anything else
is a bug and only shows a traceback behind `--debug`.
"""

from __future__ import annotations


class SmartpayError(Exception):
    """Base of every error that is the user's to fix or to know about, never a bug."""

    exit_code: int = 1

    def user_message(self) -> str:
        """What the CLI prints (one or more lines, no traceback)."""
        return str(self)


class ConfigError(SmartpayError):
    """The project configuration (smartpay.yaml, environment overrides) is wrong or missing."""


class UsageError(SmartpayError):
    """A command was called with arguments that cannot work together."""


class StateError(SmartpayError):
    """The state store is unreachable, corrupt, or written by a newer version."""


class LockHeldError(StateError):
    """Another run holds the lock of a mini-program."""
