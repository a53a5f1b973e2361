"""The local web app (`rifkb serve`): screening, corrections, the evidence map, the forest
plots and the links query of one corpus, in a browser on 127.0.0.1.

Pages are GET and read only, each made once per state of the corpus and the heavy ones
one at a time (`rifkb.web.cache`): many requests at once wait for one page, not for as
many. The heavy ones are kept on disk too, in the corpus's .cache folder, so that a
server started again on an unchanged corpus has them at once (`rifkb.web.shelf`). The
forest plots are images of their own (`/forest/figure`), drawn one at a time in a lane of
their own when the browser asks for them, so that no page waits for their drawing.

Every write is a POST of a form carrying the session's CSRF token (refused with 403
without it), made by the same library calls as the CLI (`rifkb.corpus.reviews.decide`,
`rifkb.kb.corrections`), each in a transaction, then redirected to a page that shows it
(POST-redirect-GET). An expected failure (`RifkbError`: an exclusion without a reason, a
sample size of "abc") shows the page again with the message in one line and status 400;
anything else is a bug, answered with a bare 500 (never a traceback in the page). A
client that leaves in the middle of its post is let go quietly: nothing was written, and
nobody reads the answer.
"""

from __future__ import annotations

import getpass
import secrets
from collections.abc import Awaitable, Callable, Iterable
from importlib.resources import files
from pathlib import Path

import jinja2
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from rifkb.corpus.folder import load_corpus
from rifkb.errors import RifkbError
from rifkb.web import figures, links, queue, record
from rifkb.web.cache import Busy, Pages
from rifkb.web.highlight import Segment
from rifkb.web.security import CSRF_FIELD, Sessions, csrf_ok, csrf_token, flash, take_flashes
from rifkb.web.shelf import FOLDER, shelf_for
from rifkb.web.views import Done, Made, Page, Site, View, record_url

# Host names the app answers to: a page of another site that gets its name resolved to
# 127.0.0.1 (DNS rebinding) sends its own name, and is refused.
LOCAL_HOSTS = ("127.0.0.1", "localhost")
# The heavy pages as a browser first asks for them, made before the server answers anyone
# (rifkb.web.server.prepare) so that the first visitors do not wait for their drawing.
WARM_PAGES = ("/forest", "/evidence-map", "/links")
Action = Callable[[Site, dict[str, str]], Done]
Fallback = Callable[[Site, dict[str, str]], View]


def create_app(corpus_dir: Path, reviewer: str | None = None, allowed_hosts: Iterable[str] = LOCAL_HOSTS,
               secret: bytes | None = None, keep_on_disk: bool = True) -> Starlette:  # fmt: skip
    """The app of one corpus; decisions and corrections are made as `reviewer` (default:
    the login name). `secret` signs the session cookies (default: drawn anew, so a
    restart ends every session). Raises CorpusError now if the folder is not a corpus.
    The pages made are kept in `app.state.pages` (one heavy page made at a time); the
    heavy ones and their figures on disk too, unless `keep_on_disk` is false
    (`rifkb.web.shelf`)."""
    corpus = load_corpus(Path(corpus_dir))
    cache = Path(corpus_dir) / FOLDER if keep_on_disk else None
    site = Site(Path(corpus_dir), corpus.name, reviewer or _login_name(), cache)
    app = Starlette(
        routes=[
            Route("/", page(queue.QUEUE), name="queue"),
            Route("/record/{uid:path}", page(record.RECORD), name="record"),
            Route("/evidence-map", page(figures.EVIDENCE_MAP), name="evidence_map"),
            Route("/forest", page(figures.FOREST), name="forest"),
            Route("/forest/figure", forest_figure, name="forest_figure"),
            Route("/links", page(links.LINKS), name="links"),
            Route("/decide", action(queue.decide, queue.decide_again), methods=["POST"]),
            *(
                Route(f"/correct/{name}", action(act, record.record_again), methods=["POST"])
                for name, act in record.ACTIONS.items()
            ),
            Route("/favicon.ico", favicon),  # browsers ask for it whatever the page links
            Mount("/static", StaticFiles(packages=[("rifkb.web", "static")]), name="static"),
        ],  # fmt: skip
        middleware=[
            Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)),
            Middleware(Sessions, secret=secret),
        ],
    )
    app.state.site = site
    app.state.pages = Pages(site.state, shelf=shelf_for(site))
    app.state.templates = _templates()
    return app


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "unknown"


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("rifkb.web", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )  # fmt: skip
    env.filters["record_url"] = record_url
    env.filters["marked"] = marked
    env.filters["num"] = lambda value, digits=2: "" if value is None else f"{value:.{digits}f}"
    env.filters["brief"] = brief
    env.filters["when"] = lambda at: at[:16].replace("T", " ") if at else ""  # '2026-11-22 04:49' (UTC)
    return Jinja2Templates(env=env)


def marked(pieces: list[Segment]) -> Markup:
    """Segments of highlighted text as HTML: a marked piece is a <span> with its classes,
    what was read there as its title, and its offset in the text read."""
    out = []
    for s in pieces:
        if not s.css:
            out.append(escape(s.text))
            continue
        note = f' title="{escape("; ".join(s.notes))}"' if s.notes else ""
        out.append(f'<span class="hl {" ".join(s.css)}"{note} data-start="{s.start}">{escape(s.text)}</span>')
    return Markup("".join(out))


def brief(value: object) -> str:
    """A correction's value or `was` in a table cell: an item's fields without its evidence."""
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items() if k != "evidence" and v not in (None, False))
    return "—" if value is None else str(value)


# --- requests ----------------------------------------------------------------------------


# Where each session's token and messages go in a page made for all (see Made); random,
# so that no text of the corpus can hold them.
_TOKEN_MARK = f"csrf-mark-{secrets.token_hex(16)}"
_FLASHES_MARK = f"<!-- flashes {secrets.token_hex(16)} -->"


def page(shown: Page) -> Callable[[Request], Awaitable[Response]]:
    """A page's GET: made (or taken as made already) for its query, then sent with this
    session's token and messages; a RifkbError is a message of its own (400), and a
    server with too many pages to make says so (503)."""

    async def endpoint(request: Request) -> Response:
        app, path = request.app, request.url.path
        try:
            query = shown.query(request)
            made = await app.state.pages.get(
                (shown.name, query), lambda: _made(app, path, shown.make(app.state.site, *query)),
                "heavy" if shown.heavy else "light",
            )  # fmt: skip
        except RifkbError as exc:
            return await _message(request, "Cannot show this page", 400, str(exc))
        except Busy as exc:
            return await _busy(request, exc)
        return _sent(request, made)

    return endpoint


# Kept by the browser for good: the address names what the figure is drawn from.
IMMUTABLE = "public, max-age=31536000, immutable"


async def forest_figure(request: Request) -> Response:
    """A forest plot as an image of its own (GET /forest/figure?population=&method=&n=&v=):
    of the corpus as it is now, drawn in the figures' lane (pages never wait for it). When
    `v` names the figure drawn, the browser keeps it for good; else (a page older than the
    corpus) it is the figure of now, asked again next time."""
    app = request.app
    try:
        query = figures.forest_figure_query(request)
        drawing = await app.state.pages.get(
            ("forest_figure", query), lambda: figures.forest_drawing(app.state.site, *query), "figures"
        )
    except RifkbError as exc:
        return await _message(request, "Cannot show this figure", 400, str(exc))
    except figures.NotFound as exc:
        return await _message(request, "Not found", 404, str(exc))
    except Busy as exc:
        return await _busy(request, exc)
    cache = IMMUTABLE if request.query_params.get("v") == drawing.version else "no-cache"
    return Response(drawing.svg, media_type="image/svg+xml", headers={"cache-control": cache})


async def _message(request: Request, title: str, status: int, text: str) -> Response:
    return await run_in_threadpool(render, request, View("message.html", {"title": title}, status), text)


async def _busy(request: Request, exc: Busy) -> Response:
    busy = await _message(request, "Busy", 503, str(exc))
    busy.headers["retry-after"] = "5"
    return busy


def _made(app: Starlette, path: str, view: View) -> Made:
    context = {**view.context, "site": app.state.site, "csrf": _TOKEN_MARK, "path": path,
               "flashes": Markup(_FLASHES_MARK)}  # fmt: skip
    html = app.state.templates.get_template(view.template).render(context).encode()
    return Made(html, _TOKEN_MARK, _FLASHES_MARK, view.status, view.error)


def _sent(request: Request, made: Made) -> Response:
    errors = [{"kind": "error", "text": made.error}] if made.error else []
    flashes = _flashes(request.app, take_flashes(request) + errors)
    html = made.html.replace(made.token_mark.encode(), csrf_token(request).encode(), -1)
    return HTMLResponse(html.replace(made.flashes_mark.encode(), flashes.encode(), 1), made.status)


def _flashes(app: Starlette, flashes: list[dict[str, str]]) -> str:
    return app.state.templates.get_template("_flashes.html").render(flashes=flashes) if flashes else ""


async def favicon(request: Request) -> Response:
    icon = files("rifkb.web").joinpath("static", "favicon.svg").read_bytes()
    return Response(icon, media_type="image/svg+xml", headers={"cache-control": "max-age=86400"})


def action(act: Action, again: Fallback) -> Callable[[Request], Awaitable[Response]]:
    """A form's POST: its token checked, the write done, then a redirect; on a RifkbError
    the page the form was on, again, with the message (400)."""

    async def endpoint(request: Request) -> Response:
        try:
            async with request.form() as form:
                fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        except ClientDisconnect:  # gone before its form arrived whole: nothing to write, no one to answer
            return Response(status_code=400)
        if not csrf_ok(request, fields.get(CSRF_FIELD)):
            message = "the form's security token is missing or out of date: reload the page and post it again"
            return render(request, View("message.html", {"title": "Refused"}, 403), message)
        return await run_in_threadpool(_act, request, act, again, fields)

    return endpoint


def _act(request: Request, act: Action, again: Fallback, fields: dict[str, str]) -> Response:
    try:
        done = act(request.app.state.site, fields)
    except RifkbError as exc:
        return show(request, lambda site: again(site, fields), str(exc), 400)
    flash(request, done.kind, done.message)
    return RedirectResponse(done.url, status_code=303)


def show(request: Request, make: Callable[[Site], View], error: str | None = None,
         status: int | None = None) -> Response:  # fmt: skip
    """A page made in this thread (the store is opened and closed here); a RifkbError
    while making it is the message of a page of its own (400)."""
    try:
        view = make(request.app.state.site)
    except RifkbError as exc:
        view, error, status = View("message.html", {"title": "Cannot show this page"}, 400), str(exc), None
    return render(request, view, error, status)


def render(request: Request, view: View, error: str | None = None, status: int | None = None) -> Response:
    site: Site = request.app.state.site
    errors = [e for e in (view.error, error) if e]
    flashes = take_flashes(request) + [{"kind": "error", "text": e} for e in errors]
    context = {**view.context, "site": site, "csrf": csrf_token(request), "path": request.url.path,
               "flashes": Markup(_flashes(request.app, flashes))}  # fmt: skip
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, view.template, context, status_code=status or view.status)
