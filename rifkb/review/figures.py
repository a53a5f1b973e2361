"""Figures for a review, as PNG and SVG (matplotlib, no display needed):

- a forest plot per intervention and outcome, as RevMan draws them (`rifkb.review.forest`);
- an evidence map: interventions x outcomes, marker size the number of studies, colour
  the direction their findings point;
- the spread of RIF definitions: minimum failed transfers by study and year;
- the PRISMA 2020 flow diagram (`rifkb.review.prisma`).

Each is drawn by a `*_figure` function and written by its namesake (PNG and SVG), or
given as SVG text for the HTML report (`rifkb.review.drawing.svg_text`).
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from rifkb.files import output_folder, record_outputs
from rifkb.kb.papers import Paper
from rifkb.review.drawing import save_figure
from rifkb.review.forest import forest_plot
from rifkb.review.labels import study_label
from rifkb.review.plan import Plan, plan_figures
from rifkb.review.prisma import PrismaFlow, prisma_figure
from rifkb.review.synthesis import Analysis

DIRECTION_COLOURS = {
    "increase": "#1b9e77",
    "decrease": "#d95f02",
    "no_difference": "#7f7f7f",
    "mixed": "#7570b3",
}


def evidence_map(papers: list[Paper], directory: Path, labels: Mapping[str, str] | None = None) -> list[Path]:
    return _save(evidence_map_figure(papers, labels), directory / "evidence_map")


def evidence_map_figure(papers: list[Paper], labels: Mapping[str, str] | None = None) -> plt.Figure:
    name = _namer(labels)
    cells: dict[tuple[str, str], list[str]] = {}
    studies: dict[tuple[str, str], set[str]] = {}
    for p in papers:
        for f in p.extraction.findings:
            if f.kind == "treatment":
                cells.setdefault((f.subject, f.object), []).append(f.direction)
                studies.setdefault((f.subject, f.object), set()).add(p.extraction.doc_id)
    interventions = sorted({i for i, _ in cells}, key=lambda c: (name(c).lower(), c))
    outcomes = sorted({o for _, o in cells}, key=lambda c: (name(c).lower(), c))
    # room for the longest intervention label on the left, about 0.08 inch a character
    margin = 0.08 * max((len(name(i)) for i in interventions), default=0)
    fig, ax = plt.subplots(figsize=(3.5 + margin + 0.8 * max(len(outcomes), 1),
                                    2 + 0.45 * max(len(interventions), 1)))  # fmt: skip
    for (i, o), directions in sorted(cells.items()):
        kinds = set(directions)
        colour = DIRECTION_COLOURS[kinds.pop() if len(kinds) == 1 else "mixed"]
        ax.scatter(outcomes.index(o), interventions.index(i), s=80 * len(studies[(i, o)]), color=colour)
    ax.set_xticks(range(len(outcomes)), [name(o) for o in outcomes], rotation=45, ha="right")
    ax.set_yticks(range(len(interventions)), [name(i) for i in interventions])
    for name, colour in DIRECTION_COLOURS.items():
        ax.scatter([], [], color=colour, label=name.replace("_", " "))
    ax.legend(loc="upper left", bbox_to_anchor=(1, 1), fontsize=8, title="findings")
    ax.set_title("Evidence map: interventions × outcomes (size = studies)")
    if not cells:
        ax.text(0.5, 0.5, "no treatment findings", ha="center", va="center", transform=ax.transAxes)
    fig.tight_layout()
    return fig


def rif_definitions_plot(papers: list[Paper], directory: Path) -> list[Path]:
    return _save(rif_definitions_figure(papers), directory / "rif_definitions")


def rif_definitions_figure(papers: list[Paper]) -> plt.Figure:
    points = [
        (p.record.year, rif.min_failed_transfers, study_label(p))
        for p in papers
        if (rif := p.extraction.rif_definition) and rif.min_failed_transfers and p.record.year
    ]
    fig, ax = plt.subplots(figsize=(8, 4))
    together = Counter((year, transfers) for year, transfers, _ in points)
    for (year, transfers), count in sorted(together.items()):
        ax.scatter(year, transfers, s=60 * count, color=DIRECTION_COLOURS["mixed"])
        if count > 1:
            ax.annotate(str(count), (year, transfers), ha="center", va="center", color="white", fontsize=8)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if points:
        low, high = min(t for _, t, _ in points), max(t for _, t, _ in points)
        ax.set_ylim(low - 0.5, high + 0.5)
    ax.set_xlabel("year")
    ax.set_ylabel("minimum failed transfers defining RIF")
    ax.set_title(f"RIF definitions in {len(points)} studies")
    if not points:
        ax.text(0.5, 0.5, "no RIF definitions", ha="center", va="center", transform=ax.transAxes)
    fig.tight_layout()
    return fig


def write_figures(
    papers: list[Paper], directory: Path, analyses: Sequence[Analysis] = (),
    labels: Mapping[str, str] | None = None, harms: frozenset[str] = frozenset(),
    prisma: PrismaFlow | None = None, plans: Sequence[Plan] = (), complete: bool = True,
) -> list[Path]:  # fmt: skip
    """Every figure: a RevMan-style forest plot per analysis (see `forest`), the evidence map,
    the spread of RIF definitions, given the counts, the PRISMA flow diagram and, given the
    plans, each one's trial sequential analysis, cumulative and funnel plots (`plan`);
    `labels` (concept id -> label, from concepts.tsv) names concepts, `harms` are the
    outcomes less of which is better. The folder's manifest (`record_outputs`) then lists
    them, and the figures an earlier run drew that this one did not are removed, unless
    the figures are not `complete` (of one intervention only)."""
    output_folder(directory)
    plots = [path for a in analyses for path in forest_plot(a, directory, labels, harms)]
    plots += [*evidence_map(papers, directory, labels), *rif_definitions_plot(papers, directory)]
    if prisma is not None:
        plots += prisma_figure(prisma, directory)
    plots += plan_figures(plans, directory, labels, harms)
    record_outputs(directory, plots, complete)
    return plots


def _namer(labels: Mapping[str, str] | None):  # noqa: ANN202 - id -> label
    """Concepts are shown by their label, as concepts.tsv writes it, never by their id
    (shortened to fit beside an axis)."""
    return lambda concept: textwrap.shorten((labels or {}).get(concept, concept), 40, placeholder="…")


def _save(fig: plt.Figure, stem: Path) -> list[Path]:
    return save_figure(fig, stem)
