"""Imports per format, duplicate merging across formats, and bad files."""

from __future__ import annotations

import gzip
import json

import pytest

from rifkb.corpus.formats import read_records
from rifkb.corpus.formats.abstracts import split_structured_abstract
from rifkb.corpus.imports import import_files
from rifkb.errors import BadInputError


def records_of(path, fmt):
    return [r for chunk in read_records(path, fmt) for r in chunk]


def test_medline_nbib(data):
    first, second = records_of(data / "pubmed" / "all_fields.nbib", "medline")
    assert (first.pmid, first.doi, first.pmcid) == (
        "99000001",
        "10.9999/rifkb.test.2021.001",
        "PMC9900001",
    )
    assert first.title.endswith("elevated CD56+ natural killer cells.")
    assert [s.label for s in first.abstract] == ["OBJECTIVE", "RESULTS", "CONCLUSION(S)"]
    assert first.authors[0].display == "Nunez MJ" and first.revision_date == "2024-02-09"
    assert first.mesh[0].major_topic and first.mesh[0].qualifiers[1].name == "therapeutic use"
    assert first.retracted and first.comments_corrections[0].pmid == "99000002"
    assert first.entrez_date == "2021-01-11"
    assert second.pmid == "18973893" and second.year == 2009


def test_ris(data):
    first, second = records_of(data / "pubmed" / "two_records.ris", "ris")
    assert first.doi == "10.9999/rifkb.test.2021.001" and first.pages == "960-968"
    assert first.authors[0].last_name == "Nunez" and first.year == 2021
    assert second.uid == "doi:10.1111/AJI.12111"


def test_jsonl_of_the_dev_corpus_form(data):
    records = records_of(data / "dev.jsonl", "jsonl")
    assert len(records) == 55
    by_uid = {r.uid: r for r in records}
    assert by_uid["pmid:18973893"].first_author == "Lambers"
    assert by_uid["src:sanmarco-2007-apl-ivf"].extra["topic"]


def test_same_paper_from_three_formats_is_one_record(corpus, data):
    with corpus.open_store() as store:
        reports = import_files(store, [
            data / "pubmed" / "efetch_all_fields.xml",
            data / "pubmed" / "all_fields.nbib",
            data / "pubmed" / "two_records.ris",
        ])  # fmt: skip
        assert store.count() == 3  # 99000001, 18973893, and the ANA paper of the RIS file
        held = store.get("pmid:99000001")
    assert [r.count("new") for r in reports] == [1, 1, 1]
    assert [m.matched_on for m in reports[1].merged] == ["pmid"]
    assert [m.matched_on for m in reports[2].merged] == ["doi"]
    assert held.title.startswith("Intravenous immunoglobulin") and held.mesh[0].ui == "D016756"


def test_reimport_is_unchanged(corpus, data):
    with corpus.open_store() as store:
        import_files(store, [data / "dev.jsonl"])
        (again,) = import_files(store, [data / "dev.jsonl"])
    assert again.count("unchanged") == 55


def test_structured_abstract_split():
    sections = split_structured_abstract("BACKGROUND: RIF is common. METHODS AND RESULTS: We saw.")
    assert [(s.label, s.text) for s in sections] == [
        ("BACKGROUND", "RIF is common."), ("METHODS AND RESULTS", "We saw."),
    ]  # fmt: skip
    assert split_structured_abstract("IVIg (OR: 2.1) helped.")[0].label is None


BAD_FILES = [
    ("bad.xml", b"<?xml version='1.0'?><PubmedArticleSet><PubmedArticle><Medline", "malformed XML"),
    ("empty.jsonl", b"", "empty file"),
    ("blank.ris", b"\n\n", "not RIS"),
    ("photo.jsonl", bytes(range(256)) * 4, "binary file"),
    (
        "latin1.jsonl",
        '{"id": "x1", "title": "Ni\xf1o"}\n'.encode("latin-1"),
        r"latin1.jsonl:1: not UTF-8",
    ),
    ("broken.jsonl", b'{"id": "x1", "title": "ok"}\n{"id": \n', r"broken.jsonl:2: not JSON"),
    ("noid.jsonl", b'{"title": "no id"}\n', "has no pmid, doi or id"),
    ("notes.nbib", b"just some text\n", "not MEDLINE"),
    ("mystery.bin", b"\x00\x01garbage", "unknown format"),
    ("broken.xml.gz", gzip.compress(b"<PubmedArticleSet><Pub"), "malformed XML"),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_FILES)
def test_bad_file_is_one_error_and_store_is_untouched(corpus, data, tmp_path, name, content, message):
    bad = tmp_path / name
    bad.write_bytes(content)
    with corpus.open_store() as store:
        import_files(store, [data / "pubmed" / "efetch_dev_records.xml"])
        before = [json.dumps(r.to_json()) for r in store.records()]
        with pytest.raises(BadInputError, match=message):
            # a good file first: it must be rolled back with the bad one
            import_files(store, [data / "pubmed" / "all_fields.nbib", bad])
        after = [json.dumps(r.to_json()) for r in store.records()]
    assert after == before
