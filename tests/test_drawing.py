"""The texts a figure is cleaned of control characters in: found without asking an axes
switched off for its ticks (which makes them), yet none missed, in every kind of figure
rifkb draws."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace

import matplotlib.pyplot as plt
import pytest
from matplotlib.axis import Axis
from matplotlib.text import Text

from rifkb.corpus.folder import load_corpus
from rifkb.kb.papers import reviewed_papers
from rifkb.kb.rulesets import rules_of_extraction
from rifkb.review.drawing import svg_text, texts_drawn
from rifkb.review.figures import evidence_map_figure, rif_definitions_figure
from rifkb.review.forest import forest_figure
from rifkb.review.living import cumulative, cumulative_figure, funnel_figure
from rifkb.review.metaregression import bubble_figure, meta_regression
from rifkb.review.prisma import draw_prisma, prisma_flow
from rifkb.review.sequential import sequential_analysis, sequential_figure
from rifkb.review.synthesis import labels_of, synthesize
from tests.analyses import analysis, bcg_studies

ABLAT = [44, 55, 42, 52, 13, 44, 19, 13, 27, 42, 18, 33, 33]  # dat.bcg's latitudes


@pytest.fixture(scope="module")
def drawings(extracted_bundle) -> dict[str, Callable[[], plt.Figure]]:
    """Every kind of figure rifkb draws, of the bundled corpus or of BCG's trials."""
    corpus = load_corpus(extracted_bundle)
    with corpus.open_store() as store:
        reviewed = reviewed_papers(store)
        rules = rules_of_extraction(corpus, store)
        flow = prisma_flow(corpus, store, reviewed)
    labels, harms, papers = labels_of(rules.concepts), rules.with_role("harm"), reviewed.papers
    analyses = synthesize(papers) + synthesize(papers, population="all", method="reml")
    bcg = analysis(bcg_studies(), measure="RR")
    latitudes = [replace(s, rif_min_failed_transfers=a) for s, a in zip(bcg_studies(), ABLAT, strict=True)]
    regression = meta_regression(analysis(latitudes, measure="RR"), "rif_min_failed_transfers")
    found = {f"forest {n}": (lambda a=a: forest_figure(a, labels, harms)) for n, a in enumerate(analyses)}
    return found | {
        "evidence map": lambda: evidence_map_figure(papers, labels),
        "rif definitions": lambda: rif_definitions_figure(papers),
        "funnel": lambda: funnel_figure(bcg),
        "cumulative": lambda: cumulative_figure(bcg, cumulative(bcg)),
        "sequential": lambda: sequential_figure(sequential_analysis(bcg, control_risk=0.05)),
        "bubble": lambda: bubble_figure(regression),
        "prisma": lambda: draw_prisma(flow),
    }  # fmt: skip


def test_the_walk_finds_every_text_findobj_finds_and_every_text_drawn(drawings):
    for name, draw in drawings.items():
        fig = draw()
        walked = set(texts_drawn(fig))
        found = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text()]  # after: it makes ticks
        assert found and [t.get_text() for t in found if t not in walked] == [], name
        shown = _drawn(fig)
        assert [t.get_text() for t in shown if t not in walked] == [], name
        plt.close(fig)


def test_a_control_character_in_a_tick_label_is_gone_when_drawn():
    """Drawing sets each tick's label from the axis's formatter again: cleaning the label
    alone would leave the BEL to be drawn."""
    fig, ax = plt.subplots()
    ax.set_yticks([0, 1], ["Bell\x07 2016", "Smith 2020"])
    svg = svg_text(fig)
    assert "Bell 2016" in svg and "\x07" not in svg


def _drawn(fig: plt.Figure) -> list[Text]:
    """The texts drawing the figure draws with something to show."""
    drawn: list[Text] = []
    real = Text.draw

    def draw(self: Text, renderer) -> None:  # noqa: ANN001
        if self.get_visible() and self.get_text():
            drawn.append(self)
        real(self, renderer)

    Text.draw = draw
    try:
        fig.savefig(io.BytesIO(), format="svg")
    finally:
        Text.draw = real
    return drawn


def test_an_axis_is_walked_through_its_labels_not_its_children():
    fig, ax = plt.subplots()
    ax.set_axis_off()
    calls = []
    real = Axis.get_children
    Axis.get_children = lambda self: calls.append(self) or real(self)
    try:
        list(texts_drawn(fig))
    finally:
        Axis.get_children = real
    assert calls == []
    plt.close(fig)
