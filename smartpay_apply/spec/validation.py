"""What `validate` checks: the loader's rules plus the offline dictionary checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from smartpay_apply.config import ProjectConfig
from smartpay_apply.spec.dictionary import (
    MISSING_HINT,
    DictionaryError,
    check_partial,
    check_specs,
    load_cached,
)
from smartpay_apply.spec.loader import LoadReport, load_report


def validate_project(
    config: ProjectConfig,
    paths: Sequence[Path] | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> LoadReport:
    """Load the specs and check payment-service names against the cached dictionary, those
    of specs with other problems too (every problem at once).

    A missing or unreadable cache is a warning, not a problem: validate must work in a fresh
    clone and in a pre-commit hook, where nobody has fetched the dictionary yet.
    """
    report = load_report(config, paths, environ=environ, cwd=cwd)
    try:
        data = load_cached(config)
    except DictionaryError as error:
        report.warnings.append(f"{error}; dictionary checks skipped")
        return report
    if data is None:
        if report.partial or any(spec.payment_service is not None for spec in report.specs):
            report.warnings.append(MISSING_HINT)
        return report
    found = check_specs(report.specs, data) + check_partial(report.partial, data)
    report.problems = sorted(set(report.problems) | set(found))
    return report
