"""Extraction cost grows with a text's length, not its square (issue: 990k characters took
244 s and 3.6 GB). Measured without clocks: Python calls are counted, which is the same
on every run and every machine."""

from __future__ import annotations

import json
import sys

import spacy

from rifkb.nlp.abbreviations import Abbreviations
from rifkb.nlp.reading import extract_record
from rifkb.records import AbstractSection, Record
from tests.conftest import DATA


def _text(length: int) -> str:
    with open(DATA / "dev.jsonl", encoding="utf-8") as lines:
        abstracts = [json.loads(line)["abstract"] for line in lines]
    base = " ".join(abstracts)
    return (base * (length // len(base) + 1))[:length]


def _calls(nlp, text: str) -> int:
    count = 0

    def profile(frame, event, arg):  # noqa: ANN001, ARG001 - sys.setprofile's signature
        nonlocal count
        count += event == "call"

    record = Record(source_id="t:long", title="A long text", abstract=(AbstractSection(text),))
    sys.setprofile(profile)
    try:
        extract_record(nlp, record)
    finally:
        sys.setprofile(None)
    return count


def test_python_calls_grow_linearly_with_the_length_of_a_text(nlp):
    _calls(nlp, _text(2_000))  # rules load on first use: not a cost of length
    small, large = _calls(nlp, _text(30_000)), _calls(nlp, _text(120_000))
    # linear: 4x the calls; the quadratic steps this replaced made it 6x and more
    assert large < 5 * small, f"4x the text cost {large / small:.1f}x the calls"


def test_the_parenthesis_matcher_pairs_each_bracket_with_its_near_neighbours_only():
    nlp = spacy.blank("en")
    doc = nlp("( " * 300 + "word " + ") " * 300)
    matches = Abbreviations(nlp)._brackets(doc.to_array("ORTH"))
    # scispaCy's own pattern pairs every "(" with every later ")": 90,000 matches here
    assert len(matches) <= 600 * 9
