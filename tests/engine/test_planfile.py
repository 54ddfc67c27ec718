"""Saved plans: a round trip keeps everything apply needs; anything else is refused clearly."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from smartpay_apply.engine.planfile import PlanFileError, load_plan, save_plan
from tests.engine.factory import SECRETS
from tests.render.example import example_plan

CREATED = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_round_trip(tmp_path: Path) -> None:
    plan = example_plan()
    path = tmp_path / "plan.json"
    checksum = save_plan(path, plan, created_at=CREATED)
    saved = load_plan(path)
    assert saved.plan == plan
    assert saved.created_at == CREATED
    assert saved.checksum == checksum
    text = path.read_text()
    for secret in SECRETS:
        assert secret not in text


def test_a_modified_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    save_plan(path, example_plan(), created_at=CREATED)
    document = json.loads(path.read_text())
    (app,) = [a for a in document["apps"] if a["app"] == "moving-bank"]
    app["steps"] = app["steps"][:1]  # e.g. someone drops the audited bank change by hand
    path.write_text(json.dumps(document))
    with pytest.raises(PlanFileError, match="modified after it was written"):
        load_plan(path)


def test_an_unknown_format_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    save_plan(path, example_plan(), created_at=CREATED)
    document = json.loads(path.read_text())
    document["format_version"] = 99
    path.write_text(json.dumps(document))
    with pytest.raises(
        PlanFileError, match=r"format_version 99 is not supported.*reads format_version 1"
    ):
        load_plan(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json {", "not a plan file \\(invalid JSON"),
        ('{"apps": []}', "not a plan file \\(write one with"),
        ("[1, 2]", "not a plan file"),
    ],
)
def test_not_a_plan(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "plan.json"
    path.write_text(content)
    with pytest.raises(PlanFileError, match=message):
        load_plan(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError, match="cannot read the plan file"):
        load_plan(tmp_path / "nope.json")
