"""Telling a saved plan from a spec by its content, not its name.

`smartpay-apply plan --out p.yaml` writes a plan whatever the file is called, and the printed
`smartpay-apply apply p.yaml` must apply that plan, not read it as a spec. A plan file is a
JSON document whose `kind` is "smartpay-apply plan" (engine/planfile.py writes it first); a spec
is YAML with `app:` and never has that `kind`. Only the first bytes are read: `apply` asks this
for each path it is given.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

#: engine.planfile.KIND (not imported: that module pulls in the engine; a test keeps them equal).
PLAN_KIND = "smartpay-apply plan"
#: How much of a file is read to recognise it.
HEAD_BYTES = 4096

_KIND_JSON = re.compile(rb'"kind"\s*:\s*"' + re.escape(PLAN_KIND.encode()) + rb'"')
_KIND_YAML = re.compile(
    rb"^kind\s*:\s*[\"']?" + re.escape(PLAN_KIND.encode()) + rb"[\"']?\s*$", re.MULTILINE
)


def is_plan_file(path: Path | str) -> bool:
    """True if `path` is a saved plan (whatever its name); False for specs, directories,
    unreadable or missing files (those are reported by whoever reads them next)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES)
            rest_exists = bool(handle.read(1))
    except OSError:
        return False
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if _KIND_YAML.search(text):
        return True
    if not text.startswith(b"{"):
        return False
    if _KIND_JSON.search(text):
        return True
    if not rest_exists:
        return False
    # A JSON document whose keys were reordered (e.g. by `jq -S`): read it all, once.
    try:
        document = json.loads(Path(path).read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(document, dict) and document.get("kind") == PLAN_KIND
