"""What `validate` checks beyond the loader's rules: the offline dictionary checks, and a
warning for local id-card images that apply could not upload.

Given the loader's report, the project's dictionary cache and a rule saying whether a spec's
images can be uploaded (whether the TP's own token is configured, a question of smartpay.yaml),
so that this module needs nothing of the project config (`smartpay_apply.project` wires them).
"""

from __future__ import annotations

from collections.abc import Callable

from smartpay_apply.spec.dictionary import (
    MISSING_HINT,
    DictCache,
    DictionaryError,
    check_partial,
    check_specs,
)
from smartpay_apply.spec.images import uses_local_images
from smartpay_apply.spec.loader import LoadReport
from smartpay_apply.spec.models import AppSpec
from smartpay_apply.yamldoc.problems import Problem

#: Said at a spec's local id-card image when nothing can give the TP's own token to upload it.
TP_TOKEN_HINT = (
    "local id-card images are uploaded with the third-party platform's own token: set "
    "credentials.tp_access_token or credentials.tp_token_command in smartpay.yaml, or use the "
    "tp: flow"
)


def check_report(
    report: LoadReport, cache: DictCache, uploads_possible: Callable[[AppSpec], bool]
) -> LoadReport:
    """`report` with the payment-service names checked against the cached dictionary, those
    of specs with other problems too (every problem at once), and the upload warnings.

    A missing or unreadable cache is a warning, not a problem: validate must work in a fresh
    clone and in a pre-commit hook, where nobody has fetched the dictionary yet.
    """
    report.located_warnings.extend(tp_token_warnings(report.specs, uploads_possible))
    try:
        data = cache.load()
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


def tp_token_warnings(
    specs: list[AppSpec], uploads_possible: Callable[[AppSpec], bool]
) -> list[Problem]:
    """A warning at the first local id-card image of each spec that apply could not upload
    (no source of the TP's own token): validate says so now rather than apply later."""
    warnings: list[Problem] = []
    for spec in specs:
        images = uses_local_images(spec)
        if not images or uploads_possible(spec):
            continue
        field = f"account.{images[0]}"
        where = spec.source.locate(field) if spec.source is not None else None
        warnings.append(Problem.at(where, f"spec {spec.app}", field, TP_TOKEN_HINT))
    return sorted(warnings)
