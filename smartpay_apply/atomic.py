"""Replace a file in one step: a new file beside it, written and fsync'd, renamed over it.

A crash or a full disk leaves either the old file or the new one, never half of one, and no
temporary file behind. Used for what a person keeps (spec files, the secrets file) and caches.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def replace_text(path: Path, text: str, *, mode: int | None = None) -> None:
    """Write `text` (UTF-8) as the new content of `path`, with `mode` (None: mkstemp's 0600)."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        if mode is not None:
            os.fchmod(handle, mode)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
