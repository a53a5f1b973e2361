"""The components read and write their Doc and Span extension values where spaCy keeps
them (`base.extension`, `base.set_extension`) instead of through `doc._` and `span._`: a
user's pipeline, a DocBin and `doc._` must see exactly what the components wrote."""

from __future__ import annotations

from pathlib import Path

import pytest
from spacy.tokens import Doc, DocBin, Span

from rifkb.corpus.formats import read_references
from rifkb.nlp.base import DOC_EXTENSIONS, DOC_GETTERS, MENTIONS, extension, set_extension
from rifkb.nlp.reading import record_doc
from rifkb.records import Record

DEV = Path(__file__).resolve().parents[1] / "data" / "dev.jsonl"


def _abstracts(count: int) -> list[Record]:
    chunks = read_references(DEV, "jsonl")
    return [ref.record for chunk in chunks for ref in chunk.references][:count]


@pytest.fixture(scope="module")
def docs(nlp) -> list[Doc]:
    return [nlp(record_doc(nlp, record)) for record in _abstracts(12)]


def test_what_the_components_wrote_is_what_doc_underscore_reads(docs):
    for doc in docs:
        for name in DOC_EXTENSIONS:
            assert getattr(doc._, name) is extension(doc, name), name
        for name, getter in DOC_GETTERS.items():
            assert getattr(doc._, name) == getter(doc)
        assert doc._.rifkb_cues and doc._.rifkb_doc_id and doc._.rifkb_design


def test_each_mention_span_has_its_rule_as_span_underscore_reads_it(docs):
    rules = [s._.rifkb_rule for doc in docs for s in doc.spans[MENTIONS]]
    assert rules and all(rules)
    for doc in docs:
        for span in doc.spans[MENTIONS]:
            assert span._.rifkb_rule == extension(doc, "rifkb_rule", span.start_char, span.end_char)


def test_each_short_form_has_its_long_form_as_span_underscore_reads_it(docs):
    defined = [(doc, a) for doc in docs for a in doc._.abbreviations]
    assert len(defined) > 5
    for doc, a in defined:
        assert doc[a["short_start"] : a["short_end"]]._.long_form == a["long_text"]


def test_a_value_set_here_is_read_by_underscore_and_back(nlp):
    doc = nlp.make_doc("Women with recurrent implantation failure received IVIg.")
    set_extension(doc, "rifkb_design", "rct")
    span = Span(doc, 2, 5)
    set_extension(doc, "rifkb_rule", "lexicon.tsv:1", span.start_char, span.end_char)
    assert doc._.rifkb_design == "rct"
    assert span._.rifkb_rule == "lexicon.tsv:1"
    doc._.rifkb_counts = {"sample_size": 40, "n_studies": None}
    span._.rifkb_rule = "patterns.tsv:2"
    assert extension(doc, "rifkb_counts") == {"sample_size": 40, "n_studies": None}
    assert extension(doc, "rifkb_rule", span.start_char, span.end_char) == "patterns.tsv:2"
    assert extension(doc, "rifkb_findings") is None  # not set: the extension's default


def test_a_docbin_keeps_the_values_written_here(nlp, docs):
    saved = DocBin(store_user_data=True, docs=docs[:3]).to_bytes()
    for before, after in zip(docs[:3], DocBin().from_bytes(saved).get_docs(nlp.vocab), strict=True):
        assert list(after._.rifkb_findings) == before._.rifkb_findings  # (msgpack gives a tuple)
        assert [s._.rifkb_rule for s in after.spans[MENTIONS]] == [
            s._.rifkb_rule for s in before.spans[MENTIONS]
        ]
