"""The evidence map (`/evidence-map`) and the forest plots with their pooled estimates
(`/forest`): the figures `rifkb export figures` writes, drawn for the corpus as it is
now (excluded records left out, corrections applied), inline in the page as SVG.

matplotlib draws one figure at a time (pyplot is not thread-safe), so drawing is
serialised. Its SVGs name their parts with ids (clip paths, glyphs) that two figures on
one page may share; each figure's ids get a prefix of their own.
"""

from __future__ import annotations

import re
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from markupsafe import Markup
from starlette.requests import Request

from rifkb.errors import BadInputError
from rifkb.kb.papers import Reviewed, reviewed_papers
from rifkb.kb.rulesets import rules_of_extraction
from rifkb.review.meta import METHODS
from rifkb.review.synthesis import FAMILIES, POPULATIONS, Analysis, labels_of, synthesis_rows, synthesize
from rifkb.rules import RuleSet
from rifkb.web.views import Site, View

_DRAWING = threading.Lock()
METHOD_NAMES = {"dl": "DerSimonian–Laird", "reml": "REML", "pm": "Paule–Mandel"}
POPULATION_NAMES = {"rif": "RIF populations", "rpl": "recurrent pregnancy loss", "all": "all populations"}


def evidence_map_view(site: Site, request: Request) -> View:
    from rifkb.review.figures import evidence_map, rif_definitions_plot

    reviewed, rules = _reviewed(site)
    labels = labels_of(rules.concepts)
    drawn = _draw(
        lambda d: [*evidence_map(reviewed.papers, d, labels), *rif_definitions_plot(reviewed.papers, d)]
    )
    context = {"title": "Evidence map", "map": inline_svg(drawn["evidence_map"], "map"),
               "rif": inline_svg(drawn["rif_definitions"], "rif"), **_counts(reviewed)}  # fmt: skip
    return View("evidence_map.html", context)


def forest_view(site: Site, request: Request) -> View:
    from rifkb.review.forest import forest_plot

    population = request.query_params.get("population", "rif")
    method = request.query_params.get("method", "dl")
    if population not in POPULATIONS or method not in METHODS:
        raise BadInputError(f"population {population!r} or method {method!r} unknown: population one of "
                            f"{', '.join(POPULATIONS)}, method one of {', '.join(METHODS)}")  # fmt: skip
    reviewed, rules = _reviewed(site)
    labels = labels_of(rules.concepts)
    analyses = synthesize(reviewed.papers, population=population, method=method)
    harms = rules.with_role("harm")
    drawn = _draw(lambda d: [p for a in analyses for p in forest_plot(a, d, labels, harms)])
    plots = [_plot(a, drawn[f"forest_{a.name}"], n, labels) for n, a in enumerate(analyses)]
    context = {"title": "Forest plots", "plots": plots, "population": population, "method": method,
               "populations": POPULATION_NAMES, "methods": METHOD_NAMES, **_counts(reviewed)}  # fmt: skip
    return View("forest.html", context)


def _plot(a: Analysis, svg: str, n: int, labels: dict[str, str]) -> dict:
    return {
        "analysis": a, "svg": inline_svg(svg, f"forest{n}"), "rows": synthesis_rows([a]),
        "intervention": labels.get(a.intervention, a.intervention),
        "outcome": labels.get(a.outcome, a.outcome),
        "comparator": labels.get(a.comparator, a.comparator), "design": FAMILIES[a.design],
        "anchor": a.name.replace("_", "-"),
    }  # fmt: skip


def _reviewed(site: Site) -> tuple[Reviewed, RuleSet]:
    with site.open() as (corpus, store):
        rules = rules_of_extraction(corpus, store)
        return reviewed_papers(store, corpus.unscreened_included), rules


def _counts(reviewed: Reviewed) -> dict:
    return {"n_papers": len(reviewed.papers), "n_excluded": len(reviewed.excluded),
            "n_unscreened": sum(p.screening != "include" for p in reviewed.papers),
            "n_left_out": len(reviewed.unscreened_left_out)}  # fmt: skip


def _draw(draw: Callable[[Path], list[Path]]) -> dict[str, str]:
    """The SVGs a drawing function writes into a folder, by name."""
    with _DRAWING, tempfile.TemporaryDirectory(prefix="rifkb-web-") as folder:
        return {p.stem: p.read_text(encoding="utf-8") for p in draw(Path(folder)) if p.suffix == ".svg"}


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
