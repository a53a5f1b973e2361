"""How a study is named (issue 20): its first author's surname and year, as reviewers cite
it; when the record names no author, the first words of its title and the year, never the
journal; and on the bundled corpus, every study whose author the confirmed metadata knows
is labelled by that author."""

from __future__ import annotations

import json

import pytest

from rifkb.corpus.folder import load_corpus
from rifkb.kb.papers import Paper, papers_from_store
from rifkb.records import Extraction, Record
from rifkb.records.bibliographic import Author
from rifkb.review.labels import study_label
from rifkb.review.synthesis import synthesize
from tests.conftest import REPO

JOURNAL = "American Journal of Reproductive Immunology"
META_PATH = REPO / "tests" / "data" / "dev-metadata.jsonl"


def _metadata() -> list[dict]:
    """The confirmed metadata of each dev record (same order and ids as dev.jsonl)."""
    return [json.loads(line) for line in META_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]


def _paper(doc="src:x", *, authors=(), title=None, year=2016, journal=JOURNAL) -> Paper:
    record = Record(
        source_id=doc, title=title, year=year, journal=journal, journal_iso="Am J Reprod Immunol",
        authors=tuple(Author.from_display(a) for a in authors),
    )  # fmt: skip
    return Paper(record, Extraction(doc, None, None, None, None, (), (), (), ()))


def test_a_study_with_an_author_is_its_first_authors_surname_and_year():
    assert study_label(_paper(authors=["Ahmadi M", "Abdolmohammadi-Vahid S"], year=2017)) == "Ahmadi 2017"
    assert study_label(_paper(authors=["Di Nisio M"], year=2011)) == "Di Nisio 2011"  # a two-word surname
    assert study_label(_paper(authors=["Ruiz-Alonso M"], year=2013)) == "Ruiz-Alonso 2013"


def test_a_study_without_an_author_is_the_first_words_of_its_title_and_year_never_the_journal():
    title = "Intrauterine hCG infusion before frozen-thawed embryo transfer after implantation failure"
    label = study_label(_paper(title=title))
    assert label == "Intrauterine hCG infusion before… 2016"
    assert "Journal" not in label and "Am J" not in label
    assert study_label(_paper(title="Recurrent implantation failure: definition", year=2007)) == (
        "Recurrent implantation failure: definition 2007"
    )
    assert study_label(_paper(title="Intralipid in RIF.", year=None)) == "Intralipid in RIF"


def test_a_study_with_neither_author_nor_title_is_its_id_never_the_journal():
    assert study_label(_paper("doi:10.1111/x.1", year=2000)) == "doi:10.1111/x.1 2000"


@pytest.fixture(scope="module")
def bundled_papers(extracted_bundle) -> list[Paper]:
    with load_corpus(extracted_bundle).open_store() as store:
        return papers_from_store(store)


def test_the_bundled_corpus_carries_the_confirmed_metadata(bundled_papers):
    """Every bundled record has the id, PMID, DOI and first author that
    `tests/data/dev-metadata.jsonl` confirms (56 PMIDs, 75 first authors)."""
    meta = _metadata()
    records = {p.record.uid: p.record for p in bundled_papers}
    assert sorted(records) == sorted(m["id"] for m in meta)
    for m in meta:
        r = records[m["id"]]
        assert (r.pmid, r.doi) == (m["pmid"], m["doi"]), m["id"]
        if m["authors"]:
            assert [a.display for a in r.authors] == m["authors"], m["id"]
    assert sum(bool(r.pmid) for r in records.values()) == 56
    assert sum(bool(r.first_author) for r in records.values()) == 75


def test_every_study_in_the_bundled_forest_plots_is_labelled_by_author_and_year(bundled_papers):
    meta = {m["id"]: m for m in _metadata()}
    papers = {p.extraction.doc_id: p for p in bundled_papers}
    studies = [s for a in synthesize(bundled_papers, population="all") for s in a.studies]
    assert studies
    for s in studies:
        record, known = papers[s.doc_id].record, meta[s.doc_id]
        year = f" {record.year}" if record.year else ""
        assert s.label.endswith(year), s.label
        if known["first_author"]:
            surname = Author.from_display(known["first_author"]).last_name
            assert s.label == f"{surname}{year}", (s.doc_id, s.label)
        elif record.title:
            assert s.label.startswith(" ".join(record.title.split()[:2])), (s.doc_id, s.label)
        else:
            assert s.label == f"{s.doc_id}{year}", s.label
        for journal in (record.journal, record.journal_iso):
            assert not journal or journal not in s.label
    labelled = {s.doc_id for s in studies if meta[s.doc_id]["first_author"]}
    assert "src:stephenson-2000-ivig-rct" in labelled


@pytest.mark.parametrize(
    ("authors", "title", "label"),
    [
        (["Bell\x07 A"], None, "Bell 2016"),  # a BEL after a surname (RIS exports of Windows tools)
        (["\x1b[1mKwak J"], None, "[1mKwak 2016"),  # an escape sequence loses its ESC only
        (
            [],
            "IVIg\x0bin recurrent\x0cimplantation\x00 failure today",
            "IVIg in recurrent implantation… 2016",
        ),
    ],
)
def test_labels_carry_no_control_characters(authors, title, label):
    """No font has glyphs for control characters: a label with one drew a box and printed
    matplotlib's warning on stderr (issue 20)."""
    assert study_label(_paper(authors=authors, title=title)) == label
