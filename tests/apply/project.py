"""A throwaway project for the apply tests: smartpay.yaml pointing at a sandbox, specs with
local id-card images (so apply uploads them), and readers of the state store and call log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from smartpay_apply.state import StateStore, open_store
from tests.engine.factory import BANK_CARD, LEGAL_ID, OTHER_BANK_CARD  # noqa: F401 - the apply tests take them from here
from tests.support.files import PNG
from tests.support.projects import spec_document as base_spec_document
from tests.support.projects import write_config

NEW_BANK_CARD = OTHER_BANK_CARD
CREATES = ("/account/create", "/paymentservice/create")


def spec_document(app: str, app_id: int, **payment: Any) -> dict[str, Any]:
    """A complete spec whose id cards are local images (so apply uploads them)."""
    document = base_spec_document(app, app_id, payment=payment)
    account = {
        k: v
        for k, v in document["account"].items()
        if k not in ("id_card_front_url", "id_card_back_url")
    }
    document["account"] = {
        **account,
        "id_card_front": f"images/{app}-front.png",
        "id_card_back": f"images/{app}-back.png",
    }
    return document


class Project:
    """A project directory bound to one sandbox and one state store location."""

    def __init__(
        self, root: Path, base_url: str, state: str = ".smartpay/state.db", **settings: Any
    ) -> None:
        self.root = root
        self.state = state
        (root / "specs" / "images").mkdir(parents=True, exist_ok=True)
        write_config(root, base_url, state=state, **settings)
        self.documents: dict[str, dict[str, Any]] = {}

    def write_spec(self, document: dict[str, Any]) -> Path:
        app = document["app"]
        for side in ("front", "back"):
            image = self.root / "specs" / "images" / f"{app}-{side}.png"
            if not image.exists():
                image.write_bytes(PNG + f"{app}-{side}".encode())
        path = self.root / "specs" / f"{app}.yaml"
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
        self.documents[app] = document
        return path

    def add(self, app: str, app_id: int, **payment: Any) -> dict[str, Any]:
        document = spec_document(app, app_id, **payment)
        self.write_spec(document)
        return document

    def change_payment(self, app: str, **changes: Any) -> None:
        document = self.documents[app]
        document["payment_service"].update(changes)
        self.write_spec(document)

    def store(self) -> StateStore:
        return open_store(self.state, base_dir=self.root)


def paths(calls: list[dict[str, Any]]) -> list[str]:
    """The endpoint paths of sandbox calls, shortened to what follows /pay (or /file)."""
    out = []
    for call in calls:
        path = call["path"]
        for prefix in ("/rest/2.0/smartapp/pay", "/file/2.0/smartapp"):
            if path.startswith(prefix):
                path = path[len(prefix) :]
        out.append(path)
    return out


def writes(calls: list[dict[str, Any]]) -> list[str]:
    """The POSTs Baidu accepted (what changed something), in order. A refused write (say
    paymentservice/create answered 60014 while the developer config is in review) changed
    nothing: see `refused`."""
    return paths([call for call in calls if call["method"] == "POST" and call["errno"] == 0])


def refused(calls: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """The POSTs Baidu refused, with the errno, in order."""
    return [
        (paths([call])[0], call["errno"])
        for call in calls
        if call["method"] == "POST" and call["errno"] not in (0, None)
    ]
