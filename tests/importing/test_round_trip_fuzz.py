"""Fuzz of the round trip: any valid payment service opened in the console, served with any
mix of a real server's quirks, imports into a spec plan finds in sync; any console change to
it, accepted with `import --update`, leaves plan in sync again.

Fast on purpose: the sandbox runs in-process (`endpoint: sandbox`, its console steered through
the admin API of an app over the same world file) and the CLI runs in this process; a bounded
number of examples (a few seconds; 1,500 examples passed when it was written).
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smartpay_apply.sandbox import dictionary
from smartpay_apply.sandbox.app import create_app
from smartpay_apply.sandbox.config import SandboxConfig
from smartpay_apply.sandbox.quirks import QUIRKS
from tests.importing.fleet import secrets_env
from tests.support.cli import invoke

APP_ID = 7001

#: Text as a person types it into a console: any printable character, spaces anywhere.
texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Co", "Cn")), min_size=1, max_size=24
).filter(lambda text: text.strip() != "")
phones = st.one_of(
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    st.from_regex(r"0[1-9][0-9]{1,2}-?[2-9][0-9]{6,7}(-[0-9]{1,6})?", fullmatch=True),
    st.from_regex(r"[48]00-?[0-9]{3}-?[0-9]{4}", fullmatch=True),
)
places = st.sampled_from(
    sorted(
        (province, city)
        for province, cities in dictionary.cities_by_province().items()
        for city in cities
    )
)
services = st.builds(
    lambda place, **values: {**values, "open_province": place[0], "open_city": place[1]},
    place=places,
    app_name=texts,
    service_phone=phones,
    bank_account=texts,
    bank_card=st.from_regex(r"[0-9]{8,30}", fullmatch=True),
    bank_name=st.sampled_from(sorted(dictionary.bank_names())),
    bank_branch=texts,
    payment_days=st.sampled_from([1, 7, 14, 28]),
    commission_rate=st.just(6),
    pool_cash_pledge=st.integers(min_value=0, max_value=2**63 - 1),
    day_max_frozen_amount=st.integers(min_value=0, max_value=10000),
)
#: A console edit of fields the spec file holds as values (the card is reported, not written).
EDITABLE: dict[str, st.SearchStrategy[Any]] = {
    "app_name": texts,
    "service_phone": phones,
    "bank_account": texts,
    "bank_branch": texts,
    "payment_days": st.sampled_from([1, 7, 14, 28]),
    "pool_cash_pledge": st.integers(min_value=0, max_value=2**63 - 1),
    "day_max_frozen_amount": st.integers(min_value=0, max_value=10000),
}
edits = st.sets(st.sampled_from(sorted(EDITABLE)), min_size=1).flatmap(
    lambda names: st.fixed_dictionaries({name: EDITABLE[name] for name in names})
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(service=services, edit=edits, quirks=st.sets(st.sampled_from(sorted(QUIRKS))))
def test_import_then_update_leave_plan_in_sync(
    service: dict[str, Any], edit: dict[str, Any], quirks: set[str]
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        root = Path(directory) / "project"
        world = project(root, sorted(quirks))
        console(world, f"apps/{APP_ID}/account/status", {"status": 4})
        console(world, f"apps/{APP_ID}/payment_service", {"values": service})

        secrets = Path(directory) / "secrets.env"
        imported = invoke("import", str(APP_ID), "--secrets-file", str(secrets), cwd=root)
        assert imported.returncode == 0, imported.stdout + imported.stderr
        env = secrets_env(secrets)
        assert env == {f"SMARTPAY_APP_{APP_ID}_BANK_CARD": service["bank_card"]}
        spec = (root / "specs" / f"app-{APP_ID}.yaml").read_text(encoding="utf-8")
        assert f"  bank_card: ${{env:SMARTPAY_APP_{APP_ID}_BANK_CARD}}\n" in spec
        in_sync(root, env)

        console(world, f"apps/{APP_ID}/payment_service", {"values": edit})
        updated = invoke("import", "--update", "--yes", cwd=root, env=env)
        assert updated.returncode == 0, updated.stdout + updated.stderr
        in_sync(root, env)


def project(root: Path, quirks: list[str]) -> Path:
    """smartpay.yaml at the embedded sandbox with `quirks`; returns the sandbox's world file."""
    (root / "specs").mkdir(parents=True)
    (root / "smartpay.yaml").write_text(
        "version: 1\nendpoint: sandbox\n"
        f"sandbox: {{quirks: {quirks}, audit_delay: 0}}\n"
        f"credentials: {{access_token: sandbox-{APP_ID}}}\n",
        encoding="utf-8",
    )
    world = root / ".smartpay" / "sandbox" / "sandbox.json"
    world.parent.mkdir(parents=True)
    return world


def console(world: Path, path: str, body: Any) -> None:
    """One PUT of the sandbox's admin API (its console) on the world the CLI's sandbox uses."""

    async def put() -> httpx.Response:
        app = create_app(SandboxConfig(state_file=world))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://console") as http:
            return await http.put(f"/_sandbox/{path}", json=body)

    response = asyncio.run(put())
    assert response.status_code == 200, response.text


def in_sync(root: Path, env: dict[str, str]) -> None:
    plan = invoke("plan", "--detailed-exitcode", cwd=root, env=env)
    assert plan.returncode == 0, plan.stdout + plan.stderr
