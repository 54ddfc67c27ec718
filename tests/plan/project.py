"""A throwaway project for end-to-end plan tests: smartpay.yaml pointing at a sandbox, specs
written as YAML files, and a helper that onboards a mini-program at the sandbox through the
real API client (the way a previous apply would have), recording it in the state store."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from smartpay_apply.api.client import OpenApi
from smartpay_apply.api.models import (
    AccountCreateRequest,
    DeveloperConfigRequest,
    PaymentServiceRequest,
)
from smartpay_apply.config import load_project_config
from smartpay_apply.engine.fingerprints import desired_fingerprints
from smartpay_apply.project import load_specs
from smartpay_apply.state import open_store
from smartpay_apply.timeutil import now
from tests.support.files import PNG
from tests.support.projects import write_config


class Project:
    """A project directory: write specs, read the config, onboard apps at the sandbox."""

    def __init__(self, root: Path, base_url: str) -> None:
        self.root = root
        self.base_url = base_url
        (root / "specs").mkdir(parents=True, exist_ok=True)
        write_config(root, base_url)

    def write_spec(self, document: dict[str, Any]) -> Path:
        path = self.root / "specs" / f"{document['app']}.yaml"
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
        return path

    def onboard(self, sandbox: Any, document: dict[str, Any]) -> dict[str, Any]:
        """Create and approve everything for `document` at the sandbox (as a previous apply
        would have), record the submissions in the state store, and rewrite the spec with the
        uploaded image URLs. Returns the new document."""
        app_id = document["app_id"]
        urls = asyncio.run(self._create(sandbox, document))
        document = {**document, "account": {**document["account"], **urls}}
        self.write_spec(document)
        config = load_project_config(self.root, None)
        (spec,) = [s for s in load_specs(config) if s.app_id == app_id]
        with open_store(config.state, base_dir=config.root) as store:
            prints = desired_fingerprints(spec, store)
            for section in ("account", "developer_config"):
                store.record_submission(app_id, section, prints[section], app=spec.app, at=now())
        return document

    async def _create(self, sandbox: Any, document: dict[str, Any]) -> dict[str, str]:
        app_id = document["app_id"]
        async with OpenApi(self.base_url) as api:
            app = api.app(f"sandbox-{app_id}")
            tp = api.tp("sandbox-tp")  # uploads take the TP's own token
            front = await tp.upload_image(PNG + b"front" + str(app_id).encode(), "front.png")
            back = await tp.upload_image(PNG + b"back" + str(app_id).encode(), "back.png")
            account = {**document["account"], "id_card_front_url": front, "id_card_back_url": back}
            await app.create_account(AccountCreateRequest(**account))
            sandbox.approve(app_id, "account")  # the developer config needs it approved first
            await app.submit_developer_config(
                DeveloperConfigRequest(**document["developer_config"])
            )
            sandbox.approve(app_id, "developer_config")
            payment = {
                k: Decimal(str(v)) if k in ("pool_cash_pledge", "day_max_frozen_amount") else v
                for k, v in document["payment_service"].items()
            }
            await app.create_payment_service(PaymentServiceRequest(**payment))
            sandbox.approve(app_id, "payment_service")
        return {"id_card_front_url": front, "id_card_back_url": back}
