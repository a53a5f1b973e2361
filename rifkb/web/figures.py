"""The evidence map (`/evidence-map`) and the forest plots with their pooled estimates
(`/forest`): the figures `rifkb export figures` writes, drawn for the corpus as it is
now (excluded records left out, corrections applied).

Drawing is the slow part (a sixth of a second a forest plot, 39 on the bundled corpus's
page of all populations), so the forest page draws none: it shows the pooled estimates
and, for each plot, an image of its own (`/forest/figure`), which the browser asks for as
it scrolls to it. Its address names the figure by what it is drawn from (`v`), so that a
browser keeps it for as long as that is what the page shows. Figures are drawn one at a
time in a lane of their own (`rifkb.web.cache.Pages`), so that pages never wait for them.

Figures and syntheses are kept by what they are made from (`Memo`): a write that leaves
a figure's data as it was does not draw it again, nor does a server started again (the
figures are kept on disk too, `rifkb.web.shelf.Drawings`). They are made from the papers'
records and extractions only, never their screening state, so that screening a record in
that counted as included already changes nothing drawn. matplotlib draws one figure at a
time (pyplot is not thread-safe), so drawing is serialised. The evidence map's two
figures are inline in its page: its SVGs name their parts with ids (clip paths, glyphs)
that two figures on one page may share, so each figure's ids get a prefix of their own.
"""

from __future__ import annotations

import re
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from markupsafe import Markup
from starlette.requests import Request

from rifkb.errors import BadInputError
from rifkb.kb.papers import Paper, Reviewed
from rifkb.review.meta import METHODS
from rifkb.review.synthesis import FAMILIES, POPULATIONS, Analysis, labels_of, synthesis_rows, synthesize
from rifkb.web.cache import Memo, digest, digest_each
from rifkb.web.shelf import drawings_for
from rifkb.web.views import Page, Site, View

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_DRAWING = threading.Lock()
_POOLING = threading.Lock()
# Bounded: every forest plot of every population and method is ~25 MB of SVG on the bundled corpus.
SVGS = Memo(64_000_000, weight=len)
SYNTHESES = Memo(16)
# The forest plots of the last states asked (a few kilobytes each, with their analyses).
FORESTS = Memo(16)
METHOD_NAMES = {"dl": "DerSimonian–Laird", "reml": "REML", "pm": "Paule–Mandel"}
POPULATION_NAMES = {"rif": "RIF populations", "rpl": "recurrent pregnancy loss", "all": "all populations"}


def evidence_map_view(site: Site) -> View:
    from rifkb.review.figures import evidence_map_figure, rif_definitions_figure

    reviewed, rules = site.reviewed()
    labels = labels_of(rules.concepts)
    papers, read = drawn_from(reviewed.papers)
    drawn = _figure(site, digest("map", read, labels), lambda: evidence_map_figure(papers, labels), "map")
    rif = _figure(site, digest("rif", read), lambda: rif_definitions_figure(papers), "rif")
    context = {"title": "Evidence map", "map": drawn, "rif": rif, **_counts(reviewed)}
    return View("evidence_map.html", context)


def forest_query(request: Request) -> tuple[str, str]:
    population = request.query_params.get("population", "rif")
    method = request.query_params.get("method", "dl")
    if population not in POPULATIONS or method not in METHODS:
        raise BadInputError(f"population {population!r} or method {method!r} unknown: population one of "
                            f"{', '.join(POPULATIONS)}, method one of {', '.join(METHODS)}")  # fmt: skip
    return population, method


@dataclass(frozen=True)
class Forest:
    """The forest plots of one population and method, as of one state of the corpus: the
    analyses, what each figure is drawn from (a digest: its `v`), and how it is labelled."""

    analyses: list[Analysis]
    keys: list[bytes]
    labels: dict[str, str]
    harms: frozenset[str]
    counts: dict


@dataclass(frozen=True)
class Drawing:
    """A forest plot as a file of its own, and the version its address names."""

    svg: str
    version: str


def forest_view(site: Site, population: str, method: str) -> View:
    forest = forest_of(site, population, method)
    plots = [_plot(a, n, _figure_url(population, method, n, key), forest.labels)
             for n, (a, key) in enumerate(zip(forest.analyses, forest.keys, strict=True))]  # fmt: skip
    context = {"title": "Forest plots", "plots": plots, "population": population, "method": method,
               "populations": POPULATION_NAMES, "methods": METHOD_NAMES, **forest.counts}  # fmt: skip
    return View("forest.html", context)


def forest_of(site: Site, population: str, method: str) -> Forest:
    """The forest plots of the corpus as it is now: synthesised once for all of one state
    (the page and each of its figures ask), and kept by what they are made from."""
    state = site.state()  # first: what is read after is at least as new

    def made() -> Forest:
        reviewed, rules = site.reviewed()
        labels, harms = labels_of(rules.concepts), frozenset(rules.with_role("harm"))
        papers, read = drawn_from(reviewed.papers)
        analyses = _pooled(papers, read, population, method)
        seen = digest(labels, sorted(harms))
        keys = [digest("forest", a, seen) for a in analyses]
        return Forest(analyses, keys, labels, harms, _counts(reviewed))

    return FORESTS.get(digest(str(site.corpus_dir), state, population, method), made)


def _pooled(papers: list[Paper], read: bytes, population: str, method: str) -> list[Analysis]:
    """The synthesis of `papers`, kept by what it is made from, one at a time: the page (in
    the heavy lane) and its figures (in theirs) may ask at once, and synthesize silences
    statsmodels' warnings with `warnings.catch_warnings`, which is not thread-safe. The
    second to ask takes the first's."""
    key = digest(read, population, method)

    def pooled() -> list[Analysis]:
        with _POOLING:
            return SYNTHESES.get(key, lambda: synthesize(papers, population=population, method=method))

    return SYNTHESES.get(key, pooled)


def forest_figure_query(request: Request) -> tuple[str, str, int]:
    """A figure's population and method (a BadInputError as the page's), and its number
    (NotFound unless a small whole number)."""
    population, method = forest_query(request)
    n = request.query_params.get("n", "")
    if not (n.isascii() and n.isdigit() and len(n) <= 4):
        raise NotFound(f"no forest plot number {n!r}")
    return population, method, int(n)


def forest_drawing(site: Site, population: str, method: str, n: int) -> Drawing:
    """Forest plot `n` of the corpus as it is now, as an SVG file: drawn unless one drawn
    from the same data is kept, in memory or on disk. NotFound past the last."""
    from rifkb.review.forest import forest_figure, title_of

    forest = forest_of(site, population, method)
    if n >= len(forest.analyses):
        raise NotFound(f"{POPULATION_NAMES[population]}: {len(forest.analyses)} forest plots, no number {n}")
    a, key = forest.analyses[n], forest.keys[n]
    title = f"Forest plot: {title_of(a, lambda c: forest.labels.get(c, c))}"
    svg = _svg(site, key + b"file", lambda: forest_figure(a, forest.labels, forest.harms), title)
    return Drawing(svg, version_of(key))


def version_of(key: bytes) -> str:
    """What a figure's address names it by: its key, cut short (a collision would take
    2^64 figures of one corpus)."""
    return key.hex()[:16]


EVIDENCE_MAP = Page("evidence_map", lambda request: (), evidence_map_view, heavy=True)
FOREST = Page("forest", forest_query, forest_view, heavy=True)


class NotFound(Exception):
    """No such figure (404)."""


def _plot(a: Analysis, n: int, url: str, labels: dict[str, str]) -> dict:
    return {
        "analysis": a, "figure": url, "rows": synthesis_rows([a]), "n": n,
        "intervention": labels.get(a.intervention, a.intervention),
        "outcome": labels.get(a.outcome, a.outcome),
        "comparator": labels.get(a.comparator, a.comparator), "design": FAMILIES[a.design],
        "anchor": a.name.replace("_", "-"),
    }  # fmt: skip


def _figure_url(population: str, method: str, n: int, key: bytes) -> str:
    query = urllib.parse.urlencode({"population": population, "method": method, "n": n, "v": version_of(key)})
    return f"/forest/figure?{query}"


def _counts(reviewed: Reviewed) -> dict:
    return {"n_papers": len(reviewed.papers), "n_excluded": len(reviewed.excluded),
            "n_unscreened": sum(p.screening != "include" for p in reviewed.papers),
            "n_left_out": len(reviewed.unscreened_left_out)}  # fmt: skip


def _drawn_from(papers: list[Paper]) -> list[Paper]:
    """The papers as the figures and syntheses see them: records and extractions, without
    the screening state that no figure shows (what they are kept by is what they read)."""
    return [Paper(p.record, p.extraction) for p in papers]


# The papers as drawn from, and their digest, by the papers read at one state (the same
# list for every page of that state, Site.reviewed): digested once, not by every page.
_READ_AS_DRAWN: dict[int, tuple[list[Paper], list[Paper], bytes]] = {}
_READ_AS_DRAWN_KEPT = 4
_READ_AS_DRAWN_LOCK = threading.Lock()


def drawn_from(papers: list[Paper]) -> tuple[list[Paper], bytes]:
    """`_drawn_from(papers)` and its digest, made once for one list of papers read."""
    with _READ_AS_DRAWN_LOCK:
        kept = _READ_AS_DRAWN.get(id(papers))
    if kept is not None and kept[0] is papers:
        return kept[1], kept[2]
    drawn = _drawn_from(papers)
    read = digest_each(drawn)
    with _READ_AS_DRAWN_LOCK:
        _READ_AS_DRAWN[id(papers)] = (papers, drawn, read)
        while len(_READ_AS_DRAWN) > _READ_AS_DRAWN_KEPT:
            del _READ_AS_DRAWN[next(iter(_READ_AS_DRAWN))]
    return drawn, read


def _figure(site: Site, key: bytes, draw: Callable[[], Figure], prefix: str) -> Markup:
    """A figure as an SVG element of the page, its ids prefixed: drawn unless one drawn from
    the same data (and prefixed alike) is kept, in memory or on disk."""
    return Markup(_svg(site, key + prefix.encode(), draw, None, lambda svg: inline_svg(svg, prefix)))


def _svg(site: Site, key: bytes, draw: Callable[[], Figure], title: str | None,
         made: Callable[[str], str] = lambda svg: svg) -> str:  # fmt: skip
    """The SVG of a figure as `made` makes it of the drawing, kept by `key`: drawn unless
    one is kept, in memory or on disk."""
    from rifkb.review.drawing import svg_text

    def drawn() -> str:
        with _DRAWING:
            svg = svg_text(draw(), title)  # closes the figure: pyplot keeps none
        return made(svg)

    def kept() -> str:
        drawings = drawings_for(site)
        return drawn() if drawings is None else drawings.get(key, drawn)

    return SVGS.get(key, kept)


_ID = re.compile(r'\bid="([^"]+)"')
_REF = re.compile(r'(url\(#|href="#)([^")]+)')


def inline_svg(svg: str, prefix: str) -> Markup:
    """An SVG file as an element of the page: without its XML prologue and metadata, its
    ids prefixed (and every reference to them); the page's CSS scales it down to fit."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = _ID.sub(lambda m: f'id="{prefix}-{m[1]}"', svg)
    svg = _REF.sub(lambda m: f"{m[1]}{prefix}-{m[2]}", svg)
    svg = svg.replace("<svg ", '<svg class="figure" role="img" ', 1)
    return Markup(svg)
