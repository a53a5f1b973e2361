"""PRISMA 2020 flow counts from the store and the screening decisions, and its diagram
(issue 11): excluded records counted with their reasons, unscreened ones apart."""

from __future__ import annotations

import shutil
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from rifkb.cli import app
from rifkb.corpus.folder import load_corpus
from rifkb.corpus.reviews import decide
from rifkb.kb.papers import reviewed_papers
from rifkb.records import EXCLUDE, INCLUDE, ScreeningDecision
from rifkb.review.prisma import describe, prisma_figure, prisma_flow, prisma_svg
from rifkb.review.synthesis import synthesize
from tests.conftest import copy_bundled_corpus

runner = CliRunner()
MISCARRIAGE = "wrong population: recurrent miscarriage"


@pytest.fixture(scope="module")
def screened(tmp_path_factory):
    """The bundled corpus, extracted, with three exclusions (two reasons) and two inclusions;
    one record first excluded, then included."""
    corpus = copy_bundled_corpus(tmp_path_factory.mktemp("prisma") / "rif-ivig")
    assert runner.invoke(app, ["extract", "-c", str(corpus)]).exit_code == 0
    decisions = [
        ScreeningDecision("doi:10.1016/j.jri.2010.07.001", EXCLUDE, MISCARRIAGE, "ana", ""),
        ScreeningDecision("doi:10.1111/aji.12111", EXCLUDE, MISCARRIAGE, "ana", ""),
        ScreeningDecision("doi:10.1097/GCO.0000000000000698", EXCLUDE, "narrative review", "ana", ""),
        ScreeningDecision("38365988", EXCLUDE, "wrong intervention", "ben", ""),
        ScreeningDecision("38365988", INCLUDE, None, "ana", ""),  # the latest counts
        ScreeningDecision("doi:10.1016/j.rbmo.2012.05.014", INCLUDE, None, "ana", ""),
    ]
    with load_corpus(corpus).open_store() as store:
        decide(store, decisions)
    return corpus


def test_counts_follow_the_decisions(screened):
    corpus = load_corpus(screened)
    with corpus.open_store() as store:
        flow = prisma_flow(corpus, store)
    assert [(s.kind, s.source, s.records) for s in flow.sources] == [("snapshot", "snapshot.jsonl", 110)]
    assert (flow.identified, flow.duplicates_removed, flow.records) == (110, 0, 110)
    assert (flow.screened, flow.excluded, flow.awaiting) == (5, 3, 105)
    assert flow.reasons == ((MISCARRIAGE, 2), ("narrative review", 1))
    assert (flow.included, flow.included_unscreened, flow.not_extracted) == (107, 105, 0)
    assert flow.synthesized is None  # not asked: no analyses given
    assert "3 excluded (wrong population: recurrent miscarriage: 2; narrative review: 1)" in describe(flow)


def test_unscreened_records_left_out_when_the_corpus_says_so(screened, tmp_path):
    copy = shutil.copytree(screened, tmp_path / "rif-ivig")
    with open(copy / "corpus.toml", "a", encoding="utf-8") as config:
        config.write('\n[screening]\nunscreened = "exclude"\n')
    corpus = load_corpus(copy)
    with corpus.open_store() as store:
        flow = prisma_flow(corpus, store)
    assert not flow.unscreened_included
    assert (flow.awaiting, flow.included, flow.included_unscreened) == (105, 2, 0)


def test_studies_in_the_synthesis_are_those_pooled(screened):
    corpus = load_corpus(screened)
    with corpus.open_store() as store:
        reviewed = reviewed_papers(store, corpus.unscreened_included)
        analyses = synthesize(reviewed.papers)
        flow = prisma_flow(corpus, store, reviewed, analyses)
    # in an analysis's total or in one of its strata (a study that reports only per-stratum
    # results, such as RIF and non-RIF patients apart, is in the synthesis too)
    pooled = {s.doc_id for a in analyses for s in (*a.studies, *(x for st in a.strata for x in st.studies))}
    assert flow.synthesized == len(pooled) and "pmid:38365988" in pooled
    assert flow.synthesized > len({s.doc_id for a in analyses for s in a.studies})
    assert flow.to_json()["reasons"][0] == {"reason": MISCARRIAGE, "records": 2}


def test_records_not_yet_extracted_are_counted_apart(tmp_path):
    corpus_dir = copy_bundled_corpus(tmp_path / "rif-ivig")  # loaded, never extracted
    corpus = load_corpus(corpus_dir)
    with corpus.open_store() as store:
        flow = prisma_flow(corpus, store)
    assert (flow.records, flow.included, flow.not_extracted) == (110, 0, 110)


def test_the_diagram_is_drawn_the_same_every_time(screened, tmp_path):
    corpus = load_corpus(screened)
    with corpus.open_store() as store:
        flow = prisma_flow(corpus, store)
    first = prisma_figure(flow, tmp_path / "a")
    second = prisma_figure(flow, tmp_path / "b")
    assert [p.name for p in first] == ["prisma_flow.png", "prisma_flow.svg"]
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]
    assert first[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    root = ElementTree.parse(first[1]).getroot()
    assert root.tag.endswith("svg")
    svg = prisma_svg(flow)
    assert svg.startswith("<svg ") and "<metadata>" not in svg and "<?xml" not in svg
    assert f"<title>PRISMA 2020 flow diagram: {describe(flow)}</title>" in svg


def test_export_figures_writes_the_prisma_flow(screened, tmp_path):
    result = runner.invoke(app, ["export", "figures", "-c", str(screened), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert f"wrote {tmp_path / 'prisma_flow.png'}" in result.output.splitlines()
    assert (tmp_path / "prisma_flow.svg").stat().st_size > 1000
