"""Errors a user meets when a mini-program's access token cannot be had.

They are `SmartpayError`s: the CLI prints one line and exits 1. Messages name the mini-program
and what to do, never a token, refresh token, ticket or authorization code.
"""

from __future__ import annotations

from smartpay_apply.errors import SmartpayError


class CredentialsError(SmartpayError):
    """No usable credentials: none configured, a command failed, or Baidu refused them."""


class ReauthorizeError(CredentialsError):
    """The refresh token is gone or burnt and no new authorization code could be had."""

    def __init__(self, app: str, detail: str = "refresh token no longer valid") -> None:
        super().__init__(
            f"re-authorize the mini-program {app} ({detail}); then run "
            f"`smartpay-apply auth add {app} --authorization-code CODE`"
        )
        self.app = app
