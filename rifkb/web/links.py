"""The links query (`/links`): what links two concepts in the knowledge graph (a mechanism,
an intervention, an outcome), directly and through paths, with the papers and their
sentences; `rifkb query links` in a form. Concepts are named by id, label or any name
of the lexicon, resolved as the CLI resolves them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request

from rifkb.errors import RifkbError
from rifkb.kb.graph import build_graph
from rifkb.kb.papers import Paper
from rifkb.kb.query import Step, query_links, resolve_concept
from rifkb.rules import RuleSet
from rifkb.web.cache import Memo, digest
from rifkb.web.figures import drawn_from
from rifkb.web.views import Page, Site, View

if TYPE_CHECKING:
    import networkx as nx

EXAMPLES = (("nk_uterine", "live birth"), ("chronic endometritis", "clinical pregnancy"), ("th1_th2", "ivig"))
MAX_PATHS = 25


def links_query(request: Request) -> tuple[str, str, int, bool]:
    source, target = (request.query_params.get(k, "").strip() for k in ("from", "to"))
    steps = request.query_params.get("steps", "3")
    steps = int(steps) if steps in ("2", "3", "4") else 3
    populations = request.query_params.get("populations") == "1"  # paths through rif, rpl, ...
    return source, target, steps, populations


def links_view(site: Site, source: str, target: str, steps: int, populations: bool) -> View:
    asked = {"from": source, "to": target}
    reviewed, rules = site.reviewed()
    papers = reviewed.papers
    concepts = sorted((c.type, c.label, c.id) for c in rules.concepts.values())
    context = {"title": "Links", "asked": asked, "steps": steps, "concepts": concepts, "examples": EXAMPLES,
               "links": None, "names": {c.id: c.label for c in rules.concepts.values()},
               "max_paths": MAX_PATHS, "arrow": arrow, "populations": populations}  # fmt: skip
    if not (asked["from"] and asked["to"]):
        return View("links.html", context)
    try:
        source, target = resolve_concept(asked["from"], rules), resolve_concept(asked["to"], rules)
        found = query_links(_graph(papers, rules), source, target, steps, populations)
    except RifkbError as exc:
        return View("links.html", context, 400, str(exc))
    return View("links.html", {**context, "links": found})


LINKS = Page("links", links_query, links_view, heavy=True)
# The graph by what it is built from: the papers' records and extractions (not their
# screening state, which it does not read) and every rule file (contexts.tsv too)
GRAPHS = Memo(4)


def _graph(papers: list[Paper], rules: RuleSet) -> nx.MultiDiGraph:
    _, read = drawn_from(papers)
    return GRAPHS.get(digest(read, sorted(rules.texts.items())), lambda: build_graph(papers, rules))


def arrow(step: Step) -> str:
    """'—evidence (3 papers)→', pointing as the edge points."""
    label = (
        f"{step.relation.replace('_', ' ')} ({len(step.papers)} paper{'s' if len(step.papers) != 1 else ''})"
    )
    return f"←{label}—" if step.backwards else f"—{label}→"
