"""rifkb_abbreviations_v1 finds what scispaCy's abbreviation detector finds: on every dev
abstract, on real definitions, and on texts Hypothesis makes of brackets and abbreviations
(the port must not drift from scispaCy's algorithm, rifkb's concepts rely on it)."""

from __future__ import annotations

import json
import warnings

import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from scispacy.abbreviation import AbbreviationDetector
from scispacy.custom_tokenizer import combined_rule_tokenizer

from rifkb.nlp.abbreviations import Abbreviations
from rifkb.records import Record
from tests.conftest import DATA

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # scispaCy's W036, every Doc


@pytest.fixture(scope="module")
def blank():
    nlp = spacy.blank("en")
    nlp.tokenizer = combined_rule_tokenizer(nlp)
    return nlp


def _found(nlp, detector, text: str) -> tuple[list[str], list[tuple]]:
    """The definitions (as JSON, in a fixed order) and each short form's long form."""
    doc = nlp.make_doc(text)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        detector(doc)
    found = sorted(json.dumps(a, sort_keys=True) for a in doc._.abbreviations)
    long_forms = sorted(
        (a["short_start"], a["short_end"], doc[a["short_start"] : a["short_end"]]._.long_form)
        for a in doc._.abbreviations
    )
    return found, long_forms


def _same(nlp, text: str) -> None:
    scispacy = AbbreviationDetector(nlp, make_serializable=True)
    expected = _found(nlp, scispacy, text)
    assert _found(nlp, Abbreviations(nlp), text) == expected, text


@pytest.mark.parametrize(
    "text",
    [
        "Recurrent implantation failure (RIF) is common; RIF is unexplained.",
        "Intravenous immunoglobulin (IVIg) was given. IVIg is costly (IVIg trial).",
        "IVF (in vitro fertilisation) and ICSI (intracytoplasmic sperm injection) cycles.",
        "natural killer (NK) cells and uterine NK (uNK) cells",
        "the (a (b) c) case ( ) and (x) and a ((b))",
        "Th1/Th2 (T helper 1/2) ratio (Th1 / Th2)",
        "( " * 30 + "word " + ") " * 30,
        "",
        "(RIF)",
        "(in vitro fertilisation of oocytes) IVF",
        "x (RIF) y (RIF) z",
    ],
)
def test_finds_what_scispacy_finds_in_written_definitions(blank, text):
    _same(blank, text)


def test_finds_what_scispacy_finds_in_every_dev_abstract(blank):
    defined = 0
    for line in (DATA / "dev.jsonl").read_text(encoding="utf-8").splitlines():
        record = Record.from_json(json.loads(line))
        text = f"{record.title} {record.abstract}"
        _same(blank, text)
        defined += "(" in text
    assert defined > 50


_PIECES = st.sampled_from(
    ["(", ")", "a", "IVF", "in vitro fertilisation", "(IVF)", "RIF", "recurrent implantation failure",
     "(RIF)", "NK", "natural killer (NK) cells", "AB CD", "(AB CD)", "alpha beta", "[", "]", "IVF-ET",
     "(IVF-ET)", "x  y", "12", "(p<0.05)", "T helper", "(Th1)"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=40).map(" ".join))
def test_finds_what_scispacy_finds_in_generated_texts(blank, text):
    _same(blank, text)


def test_each_definition_once_in_a_fixed_order(blank):
    doc = Abbreviations(blank)(blank.make_doc("natural killer (NK) cells; NK and NK again; uterine NK"))
    places = [(a["short_start"], a["long_text"]) for a in doc._.abbreviations]
    assert places == sorted(places) and len(places) == 4
    assert {text for _, text in places} == {"natural killer"}
