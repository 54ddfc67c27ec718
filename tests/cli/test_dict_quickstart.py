"""The quick start's first step, `dict --refresh` against the sandbox, so that the first
`validate` checks banks and cities instead of warning "dictionary checks skipped"."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.api.doc_examples import DICT_BARE
from tests.support.canned import canned_server
from tests.support.cli import invoke

QUICKSTART = Path(__file__).resolve().parents[2] / "examples" / "quickstart"
SKIPPED = "dictionary checks skipped"


def test_the_quick_start_refreshes_the_dictionary_first(tmp_path: Path) -> None:
    project = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART, project, ignore=shutil.ignore_patterns(".smartpay"))
    assert SKIPPED in invoke("validate", cwd=project).stderr  # why the quick start needs it
    refreshed = invoke("dict", "--refresh", cwd=project)
    assert refreshed.returncode == 0, refreshed.stderr
    validated = invoke("validate", cwd=project)
    assert validated.returncode == 0, validated.stderr
    assert validated.stdout == "3 specs valid\n"
    assert SKIPPED not in validated.stderr


def test_dict_refresh_takes_the_bare_answer_of_the_doc_example(tmp_path: Path) -> None:
    """The doc's dict example has no {errno, msg, data} envelope; a strict server answers so."""
    (tmp_path / "specs").mkdir()
    with canned_server() as (url, answers):
        answers["/rest/2.0/smartapp/pay/paymentservice/dict"] = DICT_BARE
        (tmp_path / "smartpay.yaml").write_text(
            f"version: 1\nendpoint: {url}\nspecs: ['specs/*.yaml']\n"
            "credentials:\n  access_token: any\n"
        )
        result = invoke("dict", "--refresh", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "北京银行" in result.stdout and "澳门" in result.stdout
