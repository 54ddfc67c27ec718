"""`smartpay-apply output APP` when there is no payment service: what it would take to get one.

The served sandbox answers 60008; what a stricter Baidu may answer instead (60002, 60013, or a
success with null data, see openapi-facts.md) comes from a canned HTTP server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.canned import canned_server
from tests.support.cli import invoke
from tests.support.projects import spec_document, write_config

GETBIND = "/rest/2.0/smartapp/pay/paymentservice/getbindservice"


def _project(root: Path, endpoint: str, *, managed: bool) -> Path:
    (root / "specs").mkdir(parents=True)
    write_config(root, endpoint)
    document = spec_document("cafe", 2001)
    if not managed:
        del document["payment_service"]
    (root / "specs" / "cafe.yaml").write_text(json.dumps(document, ensure_ascii=False))
    return root


def test_a_spec_without_payment_service_says_so(sandbox_factory: Any, tmp_path: Path) -> None:
    sandbox = sandbox_factory()
    project = _project(tmp_path / "p", sandbox.base_url, managed=False)
    result = invoke("output", "cafe", cwd=project)
    assert result.returncode == 1
    assert result.stderr == (
        "Error: cafe: no payment service is bound (Baidu reports none), and the spec does not manage "
        "one: add a payment_service section to specs/cafe.yaml, run `smartpay-apply apply`, and "
        "wait for Baidu's audit (it needs an approved account and developer config first)\n"
    )


def test_a_managed_service_not_created_yet_says_to_apply(
    sandbox_factory: Any, tmp_path: Path
) -> None:
    sandbox = sandbox_factory()
    project = _project(tmp_path / "p", sandbox.base_url, managed=True)
    result = invoke("output", "2001", cwd=project)
    assert result.returncode == 1
    assert result.stderr == (
        "Error: cafe: no payment service is bound yet (Baidu reports none); "
        "run `smartpay-apply apply` and wait for its audit\n"
    )


@pytest.fixture
def canned() -> Iterator[tuple[str, dict[str, Any]]]:
    with canned_server() as served:
        yield served


@pytest.mark.parametrize(
    "answer",
    [
        {"errno": 60002, "msg": "该账号未绑定支付账号", "data": None},
        {"errno": 60013, "msg": "支付账号不存在,请先创建支付账号"},
        {"errno": 0, "msg": "success", "data": None},
        {"errno": 0, "msg": "success", "data": {}},
    ],
)
def test_every_no_service_answer_is_no_service(
    canned: tuple[str, dict[str, Any]], tmp_path: Path, answer: dict[str, Any]
) -> None:
    url, answers = canned
    answers[GETBIND] = answer
    project = _project(tmp_path / "p", url, managed=False)
    result = invoke("output", "cafe", cwd=project)
    assert result.returncode == 1
    assert result.stderr.startswith(
        "Error: cafe: no payment service is bound (Baidu reports none), and"
    )
