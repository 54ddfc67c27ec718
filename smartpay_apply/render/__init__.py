"""Renderers: each a small function of a Plan (text for terminals, markdown for pull
requests, json for pipelines). None of them sees a secret: a Plan holds display values only."""

from __future__ import annotations

from smartpay_apply.render.json import render_json
from smartpay_apply.render.markdown import render_markdown
from smartpay_apply.render.text import render_text

FORMATS = ("text", "markdown", "json")

__all__ = ["FORMATS", "render_json", "render_markdown", "render_text"]
