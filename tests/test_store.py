"""The SQLite store: keys, duplicates, revisions, provenance, transactions, schema."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import pytest

from rifkb.corpus.store import SCHEMA_VERSION, Overlap, Provenance, SourceCount, Store
from rifkb.errors import CorpusError
from rifkb.records import AbstractSection, Record

SEARCH = Provenance("search", "rif")
RIS = Provenance("import", "refs.ris")
PAPER = Record(
    pmid="28066833",
    doi="10.29252/ijrm.14.12.737",
    title="The role of G-CSF in recurrent implantation failure: A randomized double blind "
    "placebo control trial",
    year=2016,
    abstract=(AbstractSection("Background: G-CSF ..."),),
    revision_date="2020-01-01",
)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "store.sqlite") as s:
        yield s


def test_new_then_unchanged(store):
    assert store.add_records([PAPER], SEARCH)[0].status == "new"
    assert store.add_records([PAPER], SEARCH)[0].status == "unchanged"
    assert store.count() == 1
    assert store.get("pmid:28066833") == PAPER


@pytest.mark.parametrize(
    ("duplicate", "matched_on"),
    [
        (Record(pmid="28066833", title="other words"), "pmid"),
        (Record(doi="10.29252/IJRM.14.12.737", source_id="ris:1"), "doi"),
        (Record(doi="https://doi.org/10.29252/ijrm.14.12.737", source_id="ris:1"), "doi"),
        (
            Record(
                source_id="ris:2",
                title="The role of G-CSF in recurrent implantation failure - a randomized "
                "double-blind placebo control trial.",
                year=2016,
            ),
            "title+year",
        ),
    ],
)
def test_duplicates_merge_by_pmid_then_doi_then_title_year(store, duplicate, matched_on):
    store.add_records([PAPER], SEARCH)
    (result,) = store.add_records([duplicate], RIS)
    assert (result.uid, result.matched_on) == ("pmid:28066833", matched_on)
    assert store.count() == 1
    (merge,) = store.merges()
    assert (merge.uid, merge.duplicate, merge.matched_on) == ("pmid:28066833", duplicate.uid, matched_on)
    assert (merge.kind, merge.source) == ("import", "refs.ris")


def test_same_title_different_pmids_are_two_papers(store):
    """A paper and its erratum can share a title and year; their PMIDs tell them apart."""
    store.add_records([PAPER], SEARCH)
    erratum = replace(PAPER, pmid="28066999", doi=None)
    assert store.add_records([erratum], SEARCH)[0].status == "new"
    assert store.count() == 2


def test_pubmed_record_is_not_overwritten_by_a_poorer_import(store):
    store.add_records([PAPER], SEARCH)
    poorer = Record(doi=PAPER.doi, source_id="ris:1", title="G-CSF in RIF", journal="IJRM")
    store.add_records([poorer], RIS)
    held = store.get("pmid:28066833")
    assert held.title == PAPER.title  # PubMed's own title wins
    assert held.journal == "IJRM"  # but a gap is filled


def test_newer_revision_replaces_and_older_stays_readable(store):
    store.add_records([PAPER], SEARCH)
    revised = replace(PAPER, title=PAPER.title + " (corrected)", revision_date="2024-05-01")
    assert store.add_records([revised], SEARCH)[0].status == "updated"
    assert store.get("pmid:28066833").title.endswith("(corrected)")
    (old,) = store.versions("pmid:28066833")
    assert old.revision_date == "2020-01-01" and old.record == PAPER
    stale = replace(PAPER, title="stale", revision_date="2019-01-01")
    assert store.add_records([stale], SEARCH)[0].status == "unchanged"
    assert store.get("pmid:28066833").title.endswith("(corrected)")


def test_record_that_gains_a_pmid_is_rekeyed_and_old_id_still_resolves(store):
    doi_only = Record(doi=PAPER.doi, source_id="doi:" + PAPER.doi, title=PAPER.title, year=2016)
    store.add_records([doi_only], RIS)
    (result,) = store.add_records([PAPER], SEARCH)
    assert result.uid == "pmid:28066833"
    assert store.get(f"doi:{PAPER.doi}").pmid == "28066833"
    assert store.count() == 1
    assert store.source_counts() == [SourceCount("import", "refs.ris", 1), SourceCount("search", "rif", 1)]


def test_a_failing_write_leaves_the_store_as_it_was(store):
    store.add_records([PAPER], SEARCH)
    unkeyed = Record(title="no id at all")
    with pytest.raises(Exception, match="no PMID, DOI or id"):
        store.add_records([replace(PAPER, pmid="1", doi=None, title="x"), unkeyed], SEARCH)
    assert store.count() == 1


def test_interrupt_inside_a_transaction_rolls_back(store):
    with pytest.raises(KeyboardInterrupt), store.transaction():
        store.add_records([PAPER], SEARCH)
        raise KeyboardInterrupt
    assert store.count() == 0


def test_every_write_committed_moves_the_change_counter_and_one_undone_does_not(store, tmp_path):
    """The web app's page cache is keyed by it: a write it missed would show a stale page."""
    before = store.changes
    store.add_records([PAPER], SEARCH)
    after_one = store.changes
    with pytest.raises(KeyboardInterrupt), store.transaction():
        store.add_records([replace(PAPER, pmid="1", doi=None, title="x")], SEARCH)
        raise KeyboardInterrupt
    with store.transaction(), store.transaction():  # nested: one write, counted once
        store.set_meta("note", "a")
        store.set_meta("note", "b")
    assert (after_one - before, store.changes - after_one) == (1, 1)
    with Store(tmp_path / "store.sqlite") as other:  # another connection sees it at once
        store.set_meta("note", "c")
        assert other.changes == after_one + 2


def test_overlap_between_searches(store):
    other = replace(PAPER, pmid="1", doi=None, title="another")
    store.add_records([PAPER, other], SEARCH)
    store.add_records([PAPER], Provenance("search", "definitions"))
    assert store.search_overlap() == [Overlap("definitions", "rif", 1)]


def test_schema_is_versioned_and_a_newer_one_is_refused(tmp_path):
    path = tmp_path / "store.sqlite"
    Store(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(CorpusError, match="newer rifkb"):
        Store(path)


def test_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "store.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(CorpusError, match="not a rifkb store"):
        Store(path)


def test_an_older_corpus_is_upgraded_in_place(tmp_path):
    """A store made before extractions existed (schema 1) opens, keeps its records and
    gains the extraction tables."""
    import json as _json

    from rifkb.corpus.store import MIGRATIONS

    path = tmp_path / "store.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.execute(
        "INSERT INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ("pmid:28066833", "28066833", None, None, None, 0, "2026-01-01", "2026-01-01",
         _json.dumps(PAPER.to_json())),
    )  # fmt: skip
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION >= 2
        assert store.get("pmid:28066833") == PAPER
        assert store.extraction_state() == {}


def test_extractions_of_a_schema_2_store_survive_the_upgrade_without_their_rules(tmp_path):
    """Extractions stored before rifkb recorded their rule set keep their data and have
    no rule set until the next `rifkb extract` names it (tests/test_rulesets.py)."""
    import json as _json

    from rifkb.corpus.store import MIGRATIONS, ExtractionStamp, RuleSetRef
    from rifkb.records import Extraction

    extraction = Extraction("pmid:28066833", "rct", 100, None, None, (), (), (), ())
    path = tmp_path / "store.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0] + MIGRATIONS[1])
    conn.execute("INSERT INTO extractions VALUES (?, ?, ?, ?, ?)",
                 ("pmid:28066833", "v1", "h1", "2026-01-01", _json.dumps(extraction.to_json())))  # fmt: skip
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION >= 3
        assert list(store.extractions()) == [extraction]
        assert store.extraction_state() == {"pmid:28066833": ExtractionStamp("v1", "h1")}
        assert store.extraction_rules() == [RuleSetRef("", "")]


def test_merges_of_a_schema_3_store_survive_the_upgrade_as_between_sources(tmp_path):
    """Schema 4 marks duplicates inside one source; merges stored before were between sources."""
    from rifkb.corpus.store import MIGRATIONS, Merge

    path = tmp_path / "store.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(";".join(MIGRATIONS[:3]))
    conn.execute("INSERT INTO merges (uid, duplicate, matched_on, kind, source, at) VALUES "
                 "('pmid:1', 'doi:10.1/x', 'doi', 'import', 'refs.ris', '2026-01-01')")  # fmt: skip
    conn.execute("PRAGMA user_version = 3")
    conn.commit()
    conn.close()
    with Store(path) as store:
        assert store.merges() == [
            Merge("pmid:1", "doi:10.1/x", "doi", "import", "refs.ris", "2026-01-01", False)
        ]
        assert store.duplicates_within_sources() == 0


def test_a_stored_text_hashes_as_the_record_read_back_from_it(store, data):
    # extract_corpus decides what to read again on the stored texts, without decoding
    # them all: that is only right if a record read back dumps to the text it came from
    from rifkb.corpus.formats import read_records
    from rifkb.corpus.store import record_hash, text_hash

    records = [r for chunk in read_records(data / "dev.jsonl", "jsonl") for r in chunk]
    store.add_records(records, Provenance("import", "dev.jsonl"))
    texts = store.record_texts()
    assert len(texts) == 110
    assert all(text_hash(text) == record_hash(store.get(uid)) for uid, text in texts)


def test_a_stored_text_is_decoded_once_and_a_new_one_anew(store, monkeypatch):
    # `rifkb serve` reads every record again at each state of the corpus; records are
    # frozen, so one decoded object serves every reader of the same text
    import rifkb.corpus.store as module

    decoded = []
    real = Record.from_json
    module._record.cache_clear()
    counted = staticmethod(lambda data: decoded.append(1) or real(data))
    monkeypatch.setattr(module.Record, "from_json", counted)
    first = Record(source_id="t:1", title="IVIg in RIF", year=2020, revision_date="2024-01-01")
    store.add_records([first], Provenance("import", "a"))
    assert store.get("t:1") is store.get("t:1") and list(store.records()) == [store.get("t:1")]
    assert len(decoded) == 1
    newer = replace(first, title="IVIg in RIF: revised", revision_date="2025-01-01")
    store.add_records([newer], Provenance("import", "b"))
    assert store.get("t:1").title == "IVIg in RIF: revised" and len(decoded) == 2
    assert all(cls.__dataclass_params__.frozen for cls in (Record, module.Extraction))  # shared
