"""Spec problems: collected, sorted and reported all at once (`SpecError`).

`Problem` itself lives in `smartpay_apply.yamldoc.problems` (smartpay.yaml reports the same
kind); it is re-exported here for the code that catches a SpecError and reads its problems.
"""

from __future__ import annotations

from smartpay_apply.errors import SmartpayError
from smartpay_apply.yamldoc.problems import Problem

__all__ = ["Problem", "SpecError"]


class SpecError(SmartpayError):
    """One or more specs are invalid; carries every problem found, sorted."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__(self.user_message())

    def __reduce__(self) -> tuple[type[SpecError], tuple[list[Problem]]]:
        """Pickled with its problems (`plan` reads specs in a child process, which sends the
        error back); Exception's own pickling would rebuild it from its message."""
        return (SpecError, (self.problems,))

    def user_message(self) -> str:
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the specs:"
        return "\n".join([head, *(str(problem) for problem in self.problems)])
