"""Bibliography exports: every format readable back, JSON Lines lossless, deterministic."""

from __future__ import annotations

import csv
import io
import json

import pytest
import rispy

from rifkb.corpus.formats import read_records, write_records
from rifkb.corpus.imports import import_files
from rifkb.files import write_text_atomic


@pytest.fixture
def records(corpus, data):
    with corpus.open_store() as store:
        import_files(store, [data / "dev.jsonl", data / "pubmed" / "efetch_all_fields.xml"])
        return list(store.records())


def test_jsonl_reimports_losslessly(records, tmp_path):
    path = tmp_path / "bib.jsonl"
    write_text_atomic(path, write_records(records, "jsonl"))
    again = [r for chunk in read_records(path, "jsonl") for r in chunk]
    assert again == records


def test_ris_reads_back_with_rispy(records):
    entries = rispy.loads(write_records(records, "ris"))
    assert len(entries) == len(records) == 56
    ivig = next(e for e in entries if e.get("accession_number") == "99000001")
    assert ivig["doi"] == "10.9999/rifkb.test.2021.001"
    assert ivig["authors"][:2] == ["Núñez, María José", "O'Brien, K"]
    assert ivig["notes"] == ["RETRACTED"]


def test_bibtex_entries_have_unique_keys_and_escaped_text(records):
    text = write_records(records, "bibtex")
    keys = [line.split("{", 1)[1].rstrip(",") for line in text.splitlines() if line.startswith("@")]
    assert len(keys) == len(set(keys)) == 56
    assert "@article{nunez2021intravenous," in text
    assert r"IVIg \& prednisolone" in text and "pages = {960--968}" in text
    assert text.count("{") == text.count("}") + text.count(r"\{") - text.count(r"\}")


def test_csv_has_one_row_per_record(records):
    rows = list(csv.DictReader(io.StringIO(write_records(records, "csv"))))
    assert len(rows) == 56
    row = next(r for r in rows if r["pmid"] == "99000001")
    assert row["retracted"] == "1" and row["first_author"] == "Núñez MJ"


def test_exports_are_deterministic(records):
    for fmt in ("ris", "bibtex", "csv", "jsonl"):
        assert write_records(records, fmt) == write_records(list(records), fmt)
    assert (
        json.loads(write_records(records, "jsonl").splitlines()[0])["id"]
        < json.loads(write_records(records, "jsonl").splitlines()[1])["id"]
    )
