"""The states a mini-program can be in, as `status --filter` and the page name them.

Each mini-program is in exactly one state: the first of these rules that holds (docs/status.md
has the same table, with examples). "The observation" is the latest one the store kept — of a
plan, apply, controller reconcile or `status --refresh` (engine/observation.py).

1. failing     — the observation could not be made (token, network, API error); or the
                 mini-program's latest run failed for it (a step with result `failed`) and no
                 observation since shows it in sync.
2. blocked     — the observation has a `blocked` step (Baidu rejected what the spec still
                 says) or a `manual` step (a change no API can make): a person must act.
3. in-review   — an audit is in progress: a submission recorded with outcome `pending` (its
                 `submitted_at` is how long it has been in review), or a section the
                 observation saw `in review` at Baidu.
4. unobserved  — nothing observed yet (the store knows it only from a submission, an event, a
                 run or a suspension): `status --refresh` or `plan` observes it.
5. not-started — apply has work to do and nothing was ever submitted: no submission recorded
                 and no section exists at Baidu (each section `not created`, `not submitted`,
                 `initial`, `editing` or `unknown`).
6. drift       — apply has work to do otherwise (the spec and Baidu differ).
7. in-sync     — the observation has no step: everything matches the spec.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from smartpay_apply.state.records import Submission

FAILING = "failing"
BLOCKED = "blocked"
IN_REVIEW = "in-review"
UNOBSERVED = "unobserved"
NOT_STARTED = "not-started"
DRIFT = "drift"
IN_SYNC = "in-sync"

#: Every state, in the order of the rules (also the order counts are shown in).
STATES: tuple[str, ...] = (FAILING, BLOCKED, IN_REVIEW, UNOBSERVED, NOT_STARTED, DRIFT, IN_SYNC)
#: What each state means, for `--help`, the page's legend and docs/status.md.
MEANINGS: dict[str, str] = {
    FAILING: "could not be observed, or its last run failed and it is not in sync since",
    BLOCKED: "rejected by Baidu with the spec unchanged, or a change only a person can make",
    IN_REVIEW: "an audit is in progress",
    UNOBSERVED: "known to the store but never observed: status --refresh observes it",
    NOT_STARTED: "nothing submitted yet: apply will onboard it",
    DRIFT: "the spec and Baidu differ: apply has work to do",
    IN_SYNC: "everything matches the spec",
}

#: Steps after which only a person can go on.
STUCK_ACTIONS = frozenset({"blocked", "manual"})
#: What an observed section's audit state is when nothing of it exists at Baidu yet.
NOTHING_THERE = frozenset({"not created", "not submitted", "initial", "editing", "unknown", ""})
#: The audit state a section in review at Baidu is observed in (account status 2, open_status 1).
OBSERVED_IN_REVIEW = "in review"


def classify(
    summary: Mapping[str, Any] | None,
    submissions: Sequence[Submission],
    last_run_outcome: str | None,
    reviewing: Sequence[str] | None = None,
    *,
    submitted: bool | None = None,
) -> str:
    """The state of one mini-program, by the module's rules (first match wins).

    `reviewing`: `in_review_sections(summary, submissions)` when the caller has it already;
    `submitted`: whether any submission is recorded, when `submissions` holds only the open ones.
    """
    steps = list(summary.get("steps") or ()) if summary is not None else []
    if summary is not None and summary.get("error"):
        return FAILING
    if last_run_outcome == "failed" and (summary is None or steps):
        return FAILING
    for step in steps:
        if step.get("action") in STUCK_ACTIONS:
            return BLOCKED
    if reviewing is None:
        reviewing = in_review_sections(summary, submissions)
    if reviewing:
        return IN_REVIEW
    if summary is None:
        return UNOBSERVED
    if steps:
        any_submission = bool(submissions) if submitted is None else submitted
        return NOT_STARTED if nothing_started(summary, any_submission) else DRIFT
    return IN_SYNC


def in_review_sections(
    summary: Mapping[str, Any] | None, submissions: Iterable[Submission]
) -> list[str]:
    """The sections with an audit in progress: a pending submission, or seen in review."""
    found = {s.section for s in submissions if s.outcome == "pending"}
    if summary is not None and not summary.get("error"):
        for section, status in (summary.get("sections") or {}).items():
            if status.get("audit") == OBSERVED_IN_REVIEW:
                found.add(section)
    return sorted(found)


def nothing_started(summary: Mapping[str, Any], submitted: bool) -> bool:
    """No submission recorded (`submitted` false), and no section of it exists at Baidu."""
    if submitted:
        return False
    sections = summary.get("sections") or {}
    return all(status.get("audit", "") in NOTHING_THERE for status in sections.values())
