"""The controller's log: one line per event worth knowing, as text or as JSON objects.

A daemon's log is read by people (`journalctl`) and by machines (Loki, Elasticsearch):
`--log-format json` writes one JSON object per line with `time`, `level`, `logger`, `message`
and, where they apply, `app`, `app_id`, `outcome`, `trigger`, `event`, `duration_s`. Secrets
never reach it: call sites log no spec values, API errors are masked where they are made, and
`MaskSecretsFilter` masks tokens in any URL that slips through — in both formats.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from smartpay_apply.logging_setup import MaskSecretsFilter
from smartpay_apply.sensitive import mask_query

#: Structured fields a record may carry (`extra=`), copied into the JSON object.
FIELDS = ("app", "app_id", "outcome", "trigger", "event", "duration_s")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per record (UTC times, ISO 8601)."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            if hasattr(record, name):
                data[name] = getattr(record, name)
        if record.exc_info:
            data["error"] = mask_query(self.formatException(record.exc_info))
        return json.dumps(data, ensure_ascii=False, default=str)


def configure(log_format: str, verbose: int = 0, *, quiet: bool = False) -> None:
    """Log to stderr: INFO by default (a daemon says what it does), DEBUG with -v; `quiet`
    (`--once`, which prints its result) only warnings unless -v."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)
    )
    handler.addFilter(MaskSecretsFilter())
    ours = logging.getLogger("smartpay_apply")
    ours.handlers[:] = [handler]
    if verbose:
        ours.setLevel(logging.DEBUG if verbose > 1 or not quiet else logging.INFO)
    else:
        ours.setLevel(logging.WARNING if quiet else logging.INFO)
    ours.propagate = False
    for name in ("uvicorn", "uvicorn.error"):  # the server's own complaints, same format
        server = logging.getLogger(name)
        server.handlers[:] = [handler]
        server.setLevel(logging.WARNING)
        server.propagate = False
