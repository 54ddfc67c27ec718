"""Running a case in a fresh interpreter: whether the forking helpers fork depends on the
process having a single thread, which a test process cannot promise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from typing import Any

#: Prelude code: `children_left()` says whether this process still has a child ("some").
CHILDREN_LEFT = """
def children_left():
    try:
        os.waitpid(-1, os.WNOHANG)
        return "some"
    except ChildProcessError:
        return "none"
"""


def run_fresh(prelude: str, body: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `prelude` + `body` in a new interpreter; its last line of output, as JSON."""
    process = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(body)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]
