"""smartpay.yaml's `sandbox:` settings, checked by the sandbox's own rules at load time."""

from __future__ import annotations

import dataclasses
import difflib
from decimal import Decimal
from pathlib import Path
from typing import Any

from smartpay_apply.config.models import SANDBOX_NUMBER
from smartpay_apply.errors import ConfigError
from smartpay_apply.yamldoc.problems import Problem
from smartpay_apply.yamldoc.tree import Entry, MapNode, to_python


def sandbox_problems(entry: Entry | None, display: Path) -> list[Problem]:
    """Each `sandbox:` setting checked by the sandbox's own rules, one key at a time, each
    ConfigError located at that key's value (an unknown key at the key itself).

    Why through `SandboxConfig.from_settings`: the sandbox owns its settings and their rules;
    asking it key by key stays in step with whatever settings it gains.
    """
    if entry is None or not isinstance(entry.value, MapNode) or not entry.value.entries:
        return []  # not a mapping: the model says so
    from smartpay_apply.sandbox.config import SandboxConfig

    known = [item.name for item in dataclasses.fields(SandboxConfig)]
    problems: list[Problem] = []
    for key, setting in entry.value.entries.items():
        field = f"sandbox.{key}"
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            message = (
                f"unknown field (did you mean '{close[0]}'?)"
                if close
                else f"unknown field (allowed: {', '.join(known)})"
            )
            problems.append(Problem.at(setting.key_loc, display, field, message))
            continue
        value = to_python(setting.value)
        try:
            _check_sandbox_numbers(value)
            SandboxConfig.from_settings({key: value})
        except (ConfigError, ValueError) as error:
            message = str(error).removeprefix(field).removeprefix(":").strip()
            problems.append(Problem.at(setting.value.loc, display, field, message))
    return problems


def _check_sandbox_numbers(value: Any) -> None:
    """ValueError for a non-finite or huge number anywhere in a sandbox setting's value."""
    if isinstance(value, dict):
        for item in value.values():
            _check_sandbox_numbers(item)
    elif isinstance(value, list):
        for item in value:
            _check_sandbox_numbers(item)
    elif isinstance(value, int | Decimal) and not isinstance(value, bool):
        SANDBOX_NUMBER.check(value)
