"""Logging to stderr, with a last-line-of-defence filter that masks secrets in query strings.

Call sites mask values themselves (see `smartpay_apply.sensitive`); the filter catches the one
that forgot, so an `access_token=` in a logged URL never reaches a CI log.
"""

from __future__ import annotations

import logging

from smartpay_apply.sensitive import mask_query


class MaskSecretsFilter(logging.Filter):
    """Rewrites every record's message with secrets in URLs masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_query(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def configure_logging(verbose: int, debug: bool) -> None:
    """-v: info, -vv or --debug: debug, else warnings only. Always to stderr."""
    level = logging.WARNING
    if verbose == 1:
        level = logging.INFO
    elif verbose >= 2 or debug:
        level = logging.DEBUG
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskSecretsFilter())
    root = logging.getLogger("smartpay_apply")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
