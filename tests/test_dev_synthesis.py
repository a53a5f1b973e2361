"""The synthesis of what rifkb itself reads in the dev corpus (issue 16's acceptance): the
study data the pipeline extracts bring at least 25 studies into the analyses of all
populations (the gold says 28, 21 of them in RIF), randomised and non-randomised apart,
every study that names a comparison and is left out listed with its reason; and no
analysis compares an exposure with itself."""

from __future__ import annotations

import pytest

from rifkb.corpus.formats import read_records
from rifkb.kb.papers import Paper
from rifkb.kb.runs import extract_records
from rifkb.records import EffectEstimate, Evidence, Extraction, Mention, Record
from rifkb.review.synthesis import synthesize
from tests.conftest import DATA


@pytest.fixture(scope="module")
def papers() -> list[Paper]:
    records = [r for chunk in read_records(DATA / "dev.jsonl", "jsonl") for r in chunk]
    return [Paper(r, x) for r, x in zip(records, extract_records(records), strict=True)]


def _taken_in(analyses) -> set[str]:
    return {s.doc_id for a in analyses for s in a.studies} | {
        s.doc_id for a in analyses for stratum in a.strata for s in stratum.studies
    }


def test_the_dev_corpus_brings_at_least_25_studies_into_the_synthesis(papers):
    analyses = synthesize(papers, population="all")
    taken = _taken_in(analyses)
    assert len(taken) >= 25
    assert {a.kind for a in analyses} == {"treatment", "association"}
    assert all(len({s.design == "rct" for s in a.studies}) <= 1 for a in analyses)  # never mixed
    assert len(_taken_in(synthesize(papers))) >= 18  # RIF populations only (gold: 21)


def test_every_study_left_out_says_why(papers):
    for a in synthesize(papers, population="all"):
        assert all(why for _, why in a.left_out)


def test_an_exposure_measured_as_its_own_outcome_is_no_analysis():
    """ "The incidence of thrombophilia in group A was 26.7% compared with 9.1% in group B
    (odds ratio 2.9 ...)": an estimate whose exposure and outcome are the same concept
    compares groups it does not name (a bug: it made 'thrombophilia → thrombophilia')."""
    at = Evidence("pmid:1", 0, 1, "s", "t")
    estimate = EffectEstimate(
        "OR", 2.9, 1.02, 8.4, None, "thrombophilia", False, at, intervention="thrombophilia"
    )
    x = Extraction(
        "pmid:1", "case_control", 89, None, None,
        (Mention("thrombophilia", "mechanism", "thrombophilia", at), Mention("rif", "population", "RIF", at)),
        (estimate,), (), (),
    )  # fmt: skip
    assert synthesize([Paper(Record(source_id="pmid:1", year=2004), x)], population="all") == []
