"""The review as one self-contained HTML file, to hand to a colleague: the PRISMA 2020 flow,
the evidence map, the forest plots with their pooled estimates, the evidence table
(sortable and filterable), the RIF definitions and their spread, and the consistency
flags; every number linked to the sentence it was read from, every study to PubMed or
its DOI.

It opens offline and loads nothing: CSS, SVG figures (matplotlib's, glyphs as paths) and
a little script are inline, and a Content-Security-Policy forbids any request should
something slip in. Everything comes from `reviewed_papers` (excluded records are absent,
counted in the PRISMA flow with their reasons; unscreened ones flagged when they count),
every value is escaped (Jinja2 autoescape), and the same corpus gives the same bytes:
the date shown is the corpus's last change, never the time of writing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

import rifkb
from rifkb.corpus.folder import Corpus
from rifkb.corpus.status import last_change
from rifkb.corpus.store import Store
from rifkb.files import output_file, write_text_atomic
from rifkb.kb.papers import Reviewed, reviewed_papers
from rifkb.kb.rulesets import rules_of_extraction
from rifkb.review.certainty import SoFRow, sof_table_rows
from rifkb.review.drawing import svg_text
from rifkb.review.figures import evidence_map_figure, rif_definitions_figure
from rifkb.review.forest import forest_figure
from rifkb.review.plan import Plan, corpus_plans, plan_summary, plan_tables
from rifkb.review.prisma import describe, prisma_flow, prisma_svg
from rifkb.review.report_studies import StudyView, design_label, flag_rows, rif_rows, study_views
from rifkb.review.sequential import sequential_figure
from rifkb.review.stewardship import dose_rows
from rifkb.review.synthesis import FAMILIES, Analysis, synthesize
from rifkb.review.tables import evidence_table
from rifkb.rules import RuleSet

TEMPLATE = "report.html.j2"
_RIF_ALT = "The minimum number of failed transfers each study's RIF definition asks for, by publication year"


def write_report(corpus: Corpus, store: Store, path: Path, *, reviewed: Reviewed | None = None,
                 analyses: Sequence[Analysis] | None = None, rules: RuleSet | None = None,
                 plans: Sequence[Plan] | None = None) -> Path:  # fmt: skip
    """report.html, written atomically (see `report_html`); a path that cannot be written
    is said before any work is done."""
    path = output_file(path)
    html = report_html(corpus, store, reviewed=reviewed, analyses=analyses, rules=rules, plans=plans)
    return write_text_atomic(path, html)


def report_html(corpus: Corpus, store: Store, *, reviewed: Reviewed | None = None,
                analyses: Sequence[Analysis] | None = None, rules: RuleSet | None = None,
                plans: Sequence[Plan] | None = None) -> str:  # fmt: skip
    """The report of a corpus as it stands. `reviewed`, `analyses` (rifkb's default
    synthesis otherwise: RIF populations, DerSimonian–Laird), `rules` (those of the
    extraction otherwise) and `plans` (of the analyses otherwise) when the caller has them
    already, as `refresh` does."""
    rules = rules if rules is not None else rules_of_extraction(corpus, store)
    reviewed = reviewed if reviewed is not None else reviewed_papers(store, corpus.unscreened_included)
    analyses = list(synthesize(reviewed.papers) if analyses is None else analyses)
    if plans is None:
        plans = corpus_plans(analyses, reviewed.papers, rules.with_role("harm"), corpus.stewardship)
    labels = {c.id: c.label for c in rules.concepts.values()}
    flow = prisma_flow(corpus, store, reviewed, analyses)
    studies = study_views(reviewed.papers, labels)
    rows = _table_rows(reviewed, studies)  # the evidence table's order, also the studies'
    context = {
        "title": f"{corpus.name}: evidence report",
        "description": corpus.description,
        "state": _state(last_change(store)),
        "version": rifkb.__version__,
        "flow": flow,
        "reviewed": reviewed,
        "prisma": _figure(prisma_svg(flow), "prisma", describe(flow)),
        "evidence_map": _evidence_map(reviewed, labels),
        "syntheses": _syntheses(analyses, labels, rules.with_role("harm"), studies, plans),
        "rows": rows,
        "designs": [(d, design_label(d)) for d in sorted({s.design for s in studies.values() if s.design})],
        "rif_figure": _figure(svg_text(rif_definitions_figure(reviewed.papers)), "rif", _RIF_ALT),
        "rif_rows": rif_rows(rows),
        "flags": flag_rows(rows),
        "doses": dose_rows(reviewed.papers, body_weight_kg=corpus.stewardship.body_weight_kg),
        "stewardship": [r for r in plan_tables(plans, labels)["stewardship"] if r["NNT (95% CI)"]],
        "body_weight": corpus.stewardship.body_weight_kg,
        "studies": rows,
    }
    return _environment().get_template(TEMPLATE).render(**context)


def _environment() -> Environment:
    """Templates from the package (rifkb/review/templates, package data), every value
    escaped, a missing one an error rather than a blank."""
    return Environment(loader=PackageLoader("rifkb.review", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)  # fmt: skip


def _state(changed: str | None) -> str:
    """'2025-03-01 14:02 UTC' from the store's ISO time; '' for an empty corpus."""
    if not changed:
        return ""
    return datetime.fromisoformat(changed).strftime("%Y-%m-%d %H:%M UTC")


def _evidence_map(reviewed: Reviewed, labels: dict[str, str]) -> Markup:
    alt = ("Evidence map: interventions (rows) by outcomes (columns); a marker's size is the number of "
           "studies with a treatment finding, its colour the direction they report")  # fmt: skip
    return _figure(svg_text(evidence_map_figure(reviewed.papers, labels)), "map", alt)


@dataclass(frozen=True)
class ForestView:
    """One analysis in the report: its heading, its forest plot, the pooled estimate in
    words, and its studies linked to their details."""

    anchor: str
    heading: str
    analysis: Analysis
    figure: Markup
    pooled: str
    studies: tuple[StudyView, ...]
    left_out: tuple[tuple[StudyView | None, str], ...]  # (study, why)
    plan: PlanView | None = None


@dataclass(frozen=True)
class PlanView:
    """Before the next trial, for one analysis: the plan in sentences, its trial sequential
    analysis drawn, women per arm by RIF severity, GRADE's row with its footnotes."""

    lines: tuple[str, ...]
    figure: Markup | None
    trials: tuple[dict, ...]
    sof: SoFRow | None
    sof_cells: dict | None
    stewardship: tuple[dict, ...] = ()


def _plan_view(p: Plan, labels: dict[str, str], i: int) -> PlanView:
    figure = None
    if p.sequential.why_not is None:
        alt = f"Trial sequential analysis: {p.sequential.verdict_text}"
        figure = _figure(svg_text(sequential_figure(p.sequential, labels)), f"tsa{i}", alt)
    tables = plan_tables([p], labels)
    cells = sof_table_rows([p.summary], labels)[0] if p.summary else None
    return PlanView(tuple(plan_summary(p)), figure, tuple(tables["next_trial"]), p.summary, cells,
                    tuple(tables["stewardship"]))  # fmt: skip


def _syntheses(analyses: Sequence[Analysis], labels: dict[str, str], harms: frozenset[str],
               studies: dict[str, StudyView], plans: Sequence[Plan] = ()) -> list[ForestView]:  # fmt: skip
    out = []
    planned = {p.analysis.name: p for p in plans}
    for i, a in enumerate(analyses):
        named = (a.intervention, a.comparator, a.outcome)
        intervention, comparator, outcome = (labels.get(c, c) for c in named)
        heading = f"{intervention} versus {comparator}: {outcome} ({FAMILIES[a.design]})"
        figure = _figure(svg_text(forest_figure(a, labels, harms)), f"forest{i}",
                         f"Forest plot: {heading}; {_pooled_text(a)}")  # fmt: skip
        out.append(ForestView(
            f"forest-{_slug(a.name)}", heading, a, figure, _pooled_text(a),
            tuple(studies[s.doc_id] for s in a.studies if s.doc_id in studies),
            tuple((studies.get(doc), why) for doc, why in a.left_out),
            _plan_view(planned[a.name], labels, i) if a.name in planned else None,
        ))  # fmt: skip
    return out


def _pooled_text(a: Analysis) -> str:
    """'pooled OR 2.10 [1.20, 3.50] from 4 studies, I² 30%' (random effects); '1 study
    (Peero 2024): OR 3.64 [1.78, 7.67], not pooled'; or why not."""
    p = a.pooled
    if p is None:
        return "not pooled: subgroups only"
    if p.k == 1:
        value, low, high = a.studies[0].interval
        return f"1 study ({a.studies[0].label}): {a.measure} {value:.2f} [{low:.2f}, {high:.2f}], not pooled"
    warned = "; ".join(a.warnings)
    text = f"pooled {a.measure} {p.estimate:.2f} [{p.ci_low:.2f}, {p.ci_high:.2f}] from {p.k} studies"
    return text + f", I² {100 * p.i2:.0f}%" + (f" (warning: {warned})" if warned else "")


def _table_rows(reviewed: Reviewed, studies: dict[str, StudyView]) -> list[StudyView]:
    """The evidence table's rows in its order (`tables.evidence_table`: by year, then study)."""
    frame = evidence_table(reviewed.papers)
    return [studies[reviewed.papers[i].extraction.doc_id] for i in frame.index]


def _figure(svg: str, prefix: str, alt: str) -> Markup:
    """An SVG of matplotlib's made fit to sit in a page beside others: its ids made unique
    (`prefix-`), its comments dropped, named for screen readers (role img, aria-label).
    Trusted markup: matplotlib escapes every text it writes."""
    svg = re.sub(r"<!--.*?-->\s*", "", svg, flags=re.DOTALL)
    svg = re.sub(r'(\bid="|href="#|url\(#)([^")]+)', lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", svg)
    opening = f'<svg role="img" aria-label="{Markup.escape(alt)}" class="plot"'
    return Markup(svg.replace("<svg", opening, 1))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "x"
