"""Findings on kinds of writing the dev corpus lacks (issue 17): the table in
tests/nlp/unseen_findings.py, each case read exactly (no finding missing, none extra)."""

from __future__ import annotations

import pytest

from tests.nlp.unseen_findings import CASES

# cases the reader still gets wrong, and why
STILL_FAILING = {
    "in-respectively-ns": "'scratch and no-scratch groups' names endometrial scratching by a bare word the "
    "lexicon does not hold",
    "assoc-fertile-higher-treg": "the condition named only in the reference of the comparison ('than in women "
    "with RIF') is not taken as an association's object",
    "verbal-no-improvement": "a treatment given to both arms ('adding aspirin to heparin ... heparin alone') "
    "is credited with the no-difference result too",
}


def _param(case):
    cid, title, text, expected = case
    why = STILL_FAILING.get(cid)
    marks = pytest.mark.xfail(strict=True, reason=why) if why else ()
    return pytest.param(title, text, expected, id=cid, marks=marks)


@pytest.mark.parametrize(("title", "text", "expected"), [_param(c) for c in CASES])
def test_unseen_kinds_of_writing(read, title, text, expected):
    assert {f.key for f in read(text, title=title).findings} == expected


def test_the_table_has_fifty_cases():
    assert len(CASES) == 50 and len({c[0] for c in CASES}) == 50


def test_words_the_groups_numbers_contradict_are_a_warning(read):
    text = (
        "Results: Clinical pregnancy occurred in 12/40 women in the heparin group and 20/40 in the control group. "
        "The clinical pregnancy rate was significantly higher in the heparin group (p = 0.03)."
    )
    extraction = read(text, title="Heparin in women with recurrent implantation failure: a randomized trial")
    assert ("treatment", "heparin", "clinical_pregnancy", "increase") in {f.key for f in extraction.findings}
    assert any("heparin clinical_pregnancy increase" in w for w in extraction.warnings)
