"""Conformance with files other tools wrote: every sample of ../shared/samples (PubMed XML,
MEDLINE, RIS from EndNote, Zotero, Scopus, Web of Science, Embase, Ovid, ProQuest, Rayyan)
imports its count of references, less only the duplicates and skipped references the import
names; every damaged or fuzzed file is a one-line error or named skipped references, never a
traceback, and a refused file leaves the store as it was; a file in a format rifkb does not
read is refused with a line that names what it is.

The samples are third-party files the project does not commit (see samples/README.md);
without them these tests are skipped.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rifkb.cli import app
from rifkb.corpus.folder import init_corpus
from rifkb.corpus.imports import import_files
from rifkb.errors import BadInputError
from rifkb.records import Record
from rifkb.records.bibliographic import document_text

SAMPLES = Path(__file__).parent.parent.parent / "shared" / "samples"
pytestmark = pytest.mark.skipif(
    not (SAMPLES / "expected.tsv").is_file(),
    reason=f"conformance samples not found at {SAMPLES} (the shared/ folder beside the repository)",
)
runner = CliRunner()


def _expected() -> list[tuple[str, int]]:
    if not (SAMPLES / "expected.tsv").is_file():
        return [("absent", 0)]
    with open(SAMPLES / "expected.tsv", encoding="utf-8") as fh:
        return [(row["file"], int(row["references"])) for row in csv.DictReader(fh, delimiter="\t")]


def _files(folder: str) -> list[str]:
    found = sorted(p.name for p in (SAMPLES / folder).iterdir()) if (SAMPLES / folder).is_dir() else []
    return found or ["absent"]


# Files in formats rifkb does not read, and what the refusal must call them.
NOT_READ = {
    "bio_efetch_pmc.xml": "a PMC full-text article set",
    "bio_esummary1.xml": "an E-utilities esummary answer",
    "pp_paper.bib": "BibTeX",
    "syn_Scopus_bib_example.bib": "BibTeX",
    "knh_wos_tagged.txt": "Web of Science tagged text",
    "rispy_example_wos.ris": "Web of Science tagged text",
    "knh_embase_endnote.ris": "Ovid tagged text",
}
SKIP_REASONS = ("reference has no title and no identifier",)
# Key fields of some references: (file, PMID or 0-based position, field, value).
KEY_FIELDS = [
    ("bio_pubmed6.xml", "30108519", "doi", "10.3389/fphys.2018.01034"),  # MathML in its abstract
    ("bio_pubmed6.xml", "30108519", "year", 2018),
    ("pp_pubmed-29768149.xml", "29768149", "title",
     "Inhaled Combined Budesonide-Formoterol as Needed in Mild Asthma."),
    ("pp_pubmed-29768149.xml", "29768149", "doi", "10.1056/NEJMoa1715274"),
    ("combined_real_8articles_with_mathml.xml.gz", "11748933", "doi", "10.1006/cryo.2001.2328"),
    ("syn_PubMed_example.txt", "28441597", "doi", "10.1016/j.scitotenv.2017.04.075"),  # pii and doi LIDs
    ("bio_pubmed_result2.nbib", "16403221", "doi", "10.1186/1471-2105-7-10"),
    ("bio_pubmed_result2.nbib", "14630660", "year", 2003),
    ("asr_pubmed_endnote.txt", "21553931", "title",
     "Boswellia serrata: an overall assessment of in vitro, preclinical, pharmacokinetic and clinical data"),
    ("asr_pubmed_endnote.txt", "21553931", "pub_date", "2011-06"),
    ("asr_scopus.ris", "31627144", "year", 2019),  # PMID in Scopus's C2
    ("asr_ovid_psycinfo.ris", 0, "doi", "10.1002/cpp.2398"),  # written as http://dx.doi.org/...
    ("asr_embase.ris", 0, "first_author", "Liu R"),
    ("asr_embase.ris", 0, "doi", "10.4103/2303-9027.138783"),
    ("rispy_example_utf_chars.ris", 0, "year", 2009),
    ("constructed/pubmed4_plus_book.constructed.xml", "28613516", "title", "Recurrent Implantation Failure"),
]  # fmt: skip


def _store(tmp_path: Path):
    return init_corpus(tmp_path / "corpus", ()).open_store()


def _snapshot(store) -> tuple:
    return (
        [json.dumps(r.to_json(), sort_keys=True) for r in store.records()],
        store.merges(),
        store.source_counts(),
    )


@pytest.mark.parametrize(("name", "expected"), _expected())
def test_sample_imports_its_references(tmp_path, name, expected):
    with _store(tmp_path) as store:
        (report,) = import_files(store, [SAMPLES / name])
        held = store.count()
    assert report.references == expected, [str(s) for s in report.skipped]
    assert held == expected - len(report.duplicates) - len(report.skipped)
    for skipped in report.skipped:
        assert skipped.line >= 1 and skipped.reason.startswith(SKIP_REASONS), str(skipped)
    for duplicate in report.duplicates:
        assert duplicate.describe().startswith(f"{Path(name).name}:{duplicate.line}: ")


@pytest.mark.parametrize(("name", "expected"), _expected())
def test_what_the_pipeline_reads_of_a_stored_sample_is_as_its_whole_record_says(tmp_path, name, expected):
    # a worker decodes of a stored record only what the pipeline reads (ids, title, abstract,
    # publication types): the same text, key and types as the whole record, authors,
    # MeSH, affiliations and all
    with _store(tmp_path) as store:
        (report,) = import_files(store, [SAMPLES / name])
        stored = store.record_texts()
    assert len(stored) == expected - len(report.duplicates) - len(report.skipped)
    for uid, text in stored:
        whole, read = Record.from_json(json.loads(text)), Record.to_read_from_json(json.loads(text))
        assert (read.uid, document_text(read), read.publication_types) == (
            uid,
            document_text(whole),
            whole.publication_types,
        )


@pytest.mark.parametrize(("name", "key", "field", "value"), KEY_FIELDS)
def test_key_fields_of_samples(tmp_path, name, key, field, value):
    with _store(tmp_path) as store:
        import_files(store, [SAMPLES / name])
        records = list(store.records())
        record = store.get(f"pmid:{key}") if isinstance(key, str) else _in_file_order(records)[key]
    assert getattr(record, field) == value


def _in_file_order(records: list) -> list:
    return sorted(records, key=lambda r: int(r.source_id.rsplit(":", 1)[1]) if r.source_id else 0)


@pytest.mark.parametrize(("name", "what"), sorted(NOT_READ.items()))
def test_formats_rifkb_does_not_read_are_named(tmp_path, name, what):
    with _store(tmp_path) as store, pytest.raises(BadInputError) as refused:
        import_files(store, [SAMPLES / name])
    assert str(refused.value).startswith(f"{SAMPLES / name}: {what}") and "\n" not in str(refused.value)


def test_every_sample_is_checked():
    listed = {name for name, _ in _expected()} | set(NOT_READ)
    present = {p.name for p in SAMPLES.iterdir() if p.is_file() and p.suffix not in (".tsv", ".md", ".txt")}
    present |= {p.name for p in SAMPLES.glob("*.txt") if p.name != "SOURCES.txt"}
    assert present <= listed, present - listed


@pytest.mark.parametrize(
    "name", [f"bad/{n}" for n in _files("bad")] + [f"crashes/{n}" for n in _files("crashes")]
)
def test_damaged_file_is_one_line_or_named_skips_and_never_a_traceback(tmp_path, name):
    """Through the command line, as a user meets it: exit 0 with every skipped reference
    named by file:line, or exit 1 with one line naming the file and the store unchanged."""
    corpus = init_corpus(tmp_path / "corpus", ())
    good = SAMPLES / "bio_pubmed1.xml"
    assert runner.invoke(app, ["import", "-c", str(corpus.path), str(good)]).exit_code == 0
    with corpus.open_store() as store:
        before = _snapshot(store)
    path = SAMPLES / name
    result = runner.invoke(app, ["import", "-c", str(corpus.path), str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    problems = result.stderr.splitlines()
    assert all(line.startswith(f"rifkb: {path}") for line in problems), problems
    if result.exit_code == 1:
        assert len(problems) == 1
        with corpus.open_store() as store:
            assert _snapshot(store) == before
    else:
        assert result.exit_code == 0
        assert all(line.startswith(f"rifkb: {path}:") and line.endswith("skipped") for line in problems)
        if _cut_short(path.name):
            assert problems, "a file cut short imported without a word"


def _cut_short(name: str) -> bool:
    return ".trunc" in name or name.startswith(("scopus.noER", "scopus.noTY", "result2.noPMID_nodoi"))
