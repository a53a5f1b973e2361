"""The evidence map (`/evidence-map`) and the forest plots with their pooled estimates
(`/forest`): the figures `rifkb export figures` writes, drawn for the corpus as it is
now (excluded records left out, corrections applied), inline in the page as SVG.

Drawing is the slow part (a third of a second a forest plot), so figures and syntheses
are kept by what they are made from (`Memo`): a write that leaves a figure's data as
it was does not draw it again, nor does a server started again (the figures are kept on
disk too, `rifkb.web.shelf.Drawings`). They are made from the papers' records and extractions
only, never their screening state, so that screening a record in that counted as
included already changes nothing drawn. matplotlib draws one figure at a time (pyplot is
not thread-safe), so drawing is serialised. Its SVGs name their parts with ids (clip
paths, glyphs) that two figures on one page may share; each figure's ids get a prefix
of their own.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
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
# Bounded: every forest plot of every population and method is ~25 MB of SVG on the bundled corpus.
SVGS = Memo(64_000_000, weight=len)
SYNTHESES = Memo(16)
METHOD_NAMES = {"dl": "DerSimonian–Laird", "reml": "REML", "pm": "Paule–Mandel"}
POPULATION_NAMES = {"rif": "RIF populations", "rpl": "recurrent pregnancy loss", "all": "all populations"}


def evidence_map_view(site: Site) -> View:
    from rifkb.review.figures import evidence_map_figure, rif_definitions_figure

    reviewed, rules = site.reviewed()
    labels = labels_of(rules.concepts)
    papers = _drawn_from(reviewed.papers)
    read = digest_each(papers)
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


def forest_view(site: Site, population: str, method: str) -> View:
    from rifkb.review.forest import forest_figure

    reviewed, rules = site.reviewed()
    labels = labels_of(rules.concepts)
    harms = rules.with_role("harm")
    papers = _drawn_from(reviewed.papers)
    analyses = SYNTHESES.get(
        digest(digest_each(papers), population, method),
        lambda: synthesize(papers, population=population, method=method),
    )
    seen = digest(labels, sorted(harms))
    svgs = [_figure(site, digest("forest", a, seen), lambda a=a: forest_figure(a, labels, harms),
                    f"forest{n}") for n, a in enumerate(analyses)]  # fmt: skip
    plots = [_plot(a, svg, n, labels) for n, (a, svg) in enumerate(zip(analyses, svgs, strict=True))]
    context = {"title": "Forest plots", "plots": plots, "population": population, "method": method,
               "populations": POPULATION_NAMES, "methods": METHOD_NAMES, **_counts(reviewed)}  # fmt: skip
    return View("forest.html", context)


EVIDENCE_MAP = Page("evidence_map", lambda request: (), evidence_map_view, heavy=True)
FOREST = Page("forest", forest_query, forest_view, heavy=True)


def _plot(a: Analysis, svg: Markup, n: int, labels: dict[str, str]) -> dict:
    return {
        "analysis": a, "svg": svg, "rows": synthesis_rows([a]),
        "intervention": labels.get(a.intervention, a.intervention),
        "outcome": labels.get(a.outcome, a.outcome),
        "comparator": labels.get(a.comparator, a.comparator), "design": FAMILIES[a.design],
        "anchor": a.name.replace("_", "-"),
    }  # fmt: skip


def _counts(reviewed: Reviewed) -> dict:
    return {"n_papers": len(reviewed.papers), "n_excluded": len(reviewed.excluded),
            "n_unscreened": sum(p.screening != "include" for p in reviewed.papers),
            "n_left_out": len(reviewed.unscreened_left_out)}  # fmt: skip


def _drawn_from(papers: list[Paper]) -> list[Paper]:
    """The papers as the figures and syntheses see them: records and extractions, without
    the screening state that no figure shows (what they are kept by is what they read)."""
    return [Paper(p.record, p.extraction) for p in papers]


def _figure(site: Site, key: bytes, draw: Callable[[], Figure], prefix: str) -> Markup:
    """A figure as an SVG element of the page, its ids prefixed: drawn unless one drawn from
    the same data (and prefixed alike) is kept, in memory or on disk."""
    from rifkb.review.drawing import svg_text

    def drawn() -> str:
        with _DRAWING:
            svg = svg_text(draw())  # closes the figure: pyplot keeps none
        return inline_svg(svg, prefix)

    def kept() -> Markup:
        drawings = drawings_for(site)
        return Markup(drawn() if drawings is None else drawings.get(key + prefix.encode(), drawn))

    return SVGS.get(key + prefix.encode(), kept)


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
