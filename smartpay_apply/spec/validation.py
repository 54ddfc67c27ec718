"""What `validate` checks: the loader's rules plus the offline dictionary checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from smartpay_apply.config import ProjectConfig, tp_token_configured, uses_local_images
from smartpay_apply.spec.dictionary import (
    MISSING_HINT,
    DictionaryError,
    check_partial,
    check_specs,
    load_cached,
)
from smartpay_apply.spec.errors import Problem
from smartpay_apply.spec.loader import LoadReport, load_report
from smartpay_apply.spec.models import AppSpec

#: Said at a spec's local id-card image when nothing can give the TP's own token to upload it.
TP_TOKEN_HINT = (
    "local id-card images are uploaded with the third-party platform's own token: set "
    "credentials.tp_access_token or credentials.tp_token_command in smartpay.yaml, or use the "
    "tp: flow"
)


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
    report.located_warnings.extend(tp_token_warnings(config, report.specs))
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


def tp_token_warnings(config: ProjectConfig, specs: list[AppSpec]) -> list[Problem]:
    """A warning at the first local id-card image of each spec that apply could not upload
    (no source of the TP's own token): validate says so now rather than apply later."""
    warnings: list[Problem] = []
    for spec in specs:
        images = uses_local_images(spec)
        if not images or tp_token_configured(config, spec):
            continue
        field = f"account.{images[0]}"
        where = spec.source.locate(field) if spec.source is not None else None
        warnings.append(Problem.at(where, f"spec {spec.app}", field, TP_TOKEN_HINT))
    return sorted(warnings)
