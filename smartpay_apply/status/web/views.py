"""The pages: read the store in a worker thread, render a template there, answer.

Reading and rendering run off the event loop (the store is synchronous; rendering 100 rows of
5,000 is CPU work), so a slow store never stalls other requests. Every link is the mount's
`root_path` plus a path of this app's own router, so the page works under any prefix.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from importlib import resources
from typing import TYPE_CHECKING, Any

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Router

from smartpay_apply.state.records import EVENT_OUTCOMES, SECTIONS
from smartpay_apply.status.detail import read_app
from smartpay_apply.status.document import oldest_in_review, render_json, status_document
from smartpay_apply.status.filters import Selection, checked_states, counts, select
from smartpay_apply.status.fleet import read_fleet, with_events
from smartpay_apply.status.gcpause import collector_paused
from smartpay_apply.status.rows import age, build_row, build_rows
from smartpay_apply.status.states import MEANINGS, STATES
from smartpay_apply.status.text import cut, section_cell
from smartpay_apply.status.web.paging import PER_PAGE, OverviewQuery, paginate, sort_rows
from smartpay_apply.timeutil import now, text_time

if TYPE_CHECKING:
    from smartpay_apply.status.web.app import StoreOpener

log = logging.getLogger(__name__)

#: Events and runs per page of their lists.
FEED_PAGE = 100
RUNS_PAGE = 25
SECTION_TITLES = {
    "account": "Payment account",
    "developer_config": "Developer config",
    "payment_service": "Payment service",
}
HTML = "text/html; charset=utf-8"


def environment() -> jinja2.Environment:
    """The templates, from the package; every value autoescaped, undefined names an error."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("smartpay_apply.status.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        when=text_time,
        age=age,
        cut=cut,
        section_cell=section_cell,
        event_label=event_label,
        section_title=lambda name: SECTION_TITLES.get(name, name),
    )
    env.globals.update(STATES=STATES, MEANINGS=MEANINGS, SECTIONS=SECTIONS, PER_PAGE=PER_PAGE)
    return env


def event_label(name: str) -> str:
    """APP_PAYMENT_CREATE_ACCOUNT_FAIL -> "account rejected"; other events as they are."""
    known = EVENT_OUTCOMES.get(name)
    return f"{SECTION_TITLES.get(known[0], known[0]).lower()} {known[1]}" if known else name


class Views:
    """The route handlers of one status app."""

    def __init__(self, store_opener: StoreOpener, *, auto_refresh: int) -> None:
        self.opener = store_opener
        self.auto_refresh = auto_refresh
        self.env = environment()
        self.router: Router | None = None  # set by create_status_app

    # -------------------------------------------------------------- helpers

    def url(self, request: Request, name: str, **params: Any) -> str:
        """A link to route `name` under this app's mount (its ASGI root_path)."""
        assert self.router is not None
        root = request.scope.get("root_path", "")
        return root + str(self.router.url_path_for(name, **params))

    def render(self, request: Request, template: str, status: int = 200, **values: Any) -> Response:
        def url(name: str, **params: Any) -> str:
            return self.url(request, name, **params)

        html = self.env.get_template(template).render(
            url=url, auto_refresh=self.auto_refresh, generated=text_time(now()), **values
        )
        return HTMLResponse(html, status_code=status, media_type=HTML)

    # -------------------------------------------------------------- pages

    async def overview(self, request: Request) -> Response:
        query = OverviewQuery.parse(request.query_params)
        return await run_in_threadpool(self._overview, request, query)

    def _overview(self, request: Request, query: OverviewQuery) -> Response:
        """Every row is classified from a partial read; only the rows of the page shown get
        their events (module docstring of status/fleet.py) — unless the table is sorted by
        the last rejection, which needs every row's."""
        at = now()
        with collector_paused(), self.opener() as store:
            fleet = read_fleet(store, at=at, complete=False)
            if query.sort == "rejection":
                fleet = with_events(fleet, store)
            rows = build_rows(fleet)
            selection = Selection(states=(query.state,) if query.state else (), search=query.q)
            page = paginate(sort_rows(select(rows, selection), query), query)
            if query.sort != "rejection":
                shown = with_events(fleet, store, [row.app_id for row in page.rows])
                page = replace(page, rows=[build_row(shown, row.app_id) for row in page.rows])
        return self.render(
            request,
            "overview.html",
            query=query,
            page=page,
            total=len(rows),
            counts=counts(rows),
            oldest=oldest_in_review(rows),
            now=at,
        )

    async def app_page(self, request: Request) -> Response:
        app_id = int(request.path_params["app_id"])
        return await run_in_threadpool(self._app_page, request, app_id)

    def _app_page(self, request: Request, app_id: int) -> Response:
        at = now()
        with self.opener() as store:
            detail = read_app(store, app_id, at=at)
        if detail is None:
            raise HTTPException(404, f"The state store knows no mini-program {app_id}.")
        return self.render(request, "app.html", detail=detail, row=detail.row, now=at)

    async def events(self, request: Request) -> Response:
        page = max(1, _int(request.query_params.get("page"), 1))
        return await run_in_threadpool(self._events, request, page)

    def _events(self, request: Request, page: int) -> Response:
        with self.opener() as store:
            found = store.recent_events(FEED_PAGE + 1, (page - 1) * FEED_PAGE) if store else []
            names = _names(store.recorded_apps()) if store else {}
        return self.render(
            request,
            "events.html",
            events=found[:FEED_PAGE],
            names=names,
            number=page,
            more=len(found) > FEED_PAGE,
            first=(page - 1) * FEED_PAGE + 1,
        )

    async def runs(self, request: Request) -> Response:
        page = max(1, _int(request.query_params.get("page"), 1))
        return await run_in_threadpool(self._runs, request, page)

    def _runs(self, request: Request, page: int) -> Response:
        with self.opener() as store:
            found = (
                store.list_runs(limit=RUNS_PAGE + 1, offset=(page - 1) * RUNS_PAGE) if store else []
            )
        return self.render(
            request, "runs.html", runs=found[:RUNS_PAGE], number=page, more=len(found) > RUNS_PAGE
        )

    async def api_status(self, request: Request) -> Response:
        return await run_in_threadpool(self._api_status, request)

    def _api_status(self, request: Request) -> Response:
        """`status --format json`, byte for byte in shape: `state` and `app` (name or app_id)
        repeat like --filter and --app; `q` searches names and app_ids as the page does."""
        from smartpay_apply.errors import UsageError
        from smartpay_apply.selection import STORE, KnownApp, select_known

        with collector_paused(), self.opener() as store:
            fleet = read_fleet(store, at=now())
            rows = build_rows(fleet)
        wanted = request.query_params.getlist("app")
        chosen = None
        if wanted:
            known = [KnownApp(app_id, fleet.name(app_id)) for app_id in fleet.app_ids()]
            try:
                picked = select_known(known, wanted, option="app", where=STORE)
            except UsageError as error:
                return JSONResponse({"error": error.user_message()}, status_code=400)
            chosen = frozenset(app.app_id for app in picked)
        selection = Selection(
            states=checked_states(request.query_params.getlist("state")),
            app_ids=chosen,
            search=request.query_params.get("q", "").strip(),
        )
        with collector_paused():
            document = status_document(rows, select(rows, selection), selection, fleet.read_at)
            text = render_json(document)
        return Response(text, media_type="application/json")

    async def favicon(self, request: Request) -> Response:
        """Browsers ask for /favicon.ico where a page names none (the JSON): the same icon."""
        icon = resources.files("smartpay_apply.status.web").joinpath("static/favicon.svg")
        return Response(icon.read_bytes(), media_type="image/svg+xml")

    async def unavailable(self, request: Request, exc: Exception) -> Response:
        """The store cannot be read (unreachable, newer schema...): say so, in one line."""
        from smartpay_apply.errors import SmartpayError

        message = exc.user_message() if isinstance(exc, SmartpayError) else str(exc)
        log.warning("status page: %s", message)
        return self.render(request, "error.html", status=503, message=message)

    async def not_found(self, request: Request, exc: Exception) -> Response:
        detail = getattr(exc, "detail", None) or "No such page."
        if self.router is None:
            return Response(detail, status_code=404)
        return self.render(request, "not_found.html", status=404, message=detail)


def _int(text: str | None, default: int) -> int:
    if text is None or not text.isascii() or not text.isdigit() or len(text) > 9:
        return default
    return int(text)


def _names(recorded: Mapping[int, str | None]) -> dict[int, str]:
    return {app_id: name for app_id, name in recorded.items() if name}
