"""Imports per format, duplicate merging across formats, and bad files."""

from __future__ import annotations

import gzip
import json

import pytest

from rifkb.corpus.formats import detect_format, read_records, read_references
from rifkb.corpus.formats.abstracts import split_structured_abstract
from rifkb.corpus.imports import import_files
from rifkb.corpus.status import corpus_status
from rifkb.errors import BadInputError
from rifkb.records import Author


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
    assert len(records) == 110
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
    assert again.count("unchanged") == 110


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
    ("notes.nbib", b"just some text\n", "not MEDLINE"),
    ("mystery.bin", b"\x00\x01garbage", "unknown format"),
    ("broken.xml.gz", gzip.compress(b"<PubmedArticleSet><Pub", mtime=0), "malformed XML"),
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


# --- files as other tools write them (issue 9) ------------------------------------------------


def references_of(path, fmt=None):
    """(records, skipped) of a file, read the way `rifkb import` reads it."""
    chunks = list(read_references(path, fmt or detect_format(path)))
    return [ref.record for c in chunks for ref in c.references], [s for c in chunks for s in c.skipped]


MEDLINE_TWO_LIDS = """\
PMID- 28441597
TI  - Nitrate leaching under buffer strips.
LID - S0048-9697(17)30912-9 [pii]
LID - 10.1016/j.scitotenv.2017.04.075 [doi]
AB  - Buffer strips reduce leaching.
SO  - Sci Total Environ. 2017 Nov 15;598:188-197.

PMID- 16403221
TI  - A high level interface to SCOP and ASTRAL.
LID - 1471-2105-7-10 [pii]
AID - 1471-2105-7-10 [pii]
AID - 10.1186/1471-2105-7-10 [doi]
SO  - BMC Bioinformatics. 2006 Jan 10;7:10.
"""


def test_medline_doi_comes_from_the_doi_tagged_lid_or_aid(tmp_path):
    """Item 2: Biopython joins two LID lines into one 'DOI' that merges with nothing."""
    path = tmp_path / "pubmed.nbib"
    path.write_text(MEDLINE_TWO_LIDS)
    (first, second), _ = references_of(path)
    assert first.doi == "10.1016/j.scitotenv.2017.04.075"
    assert second.doi == "10.1186/1471-2105-7-10"


@pytest.mark.parametrize(
    "written",
    [
        "http://dx.doi.org/10.1002/cpp.2398",
        "https://doi.org/10.1002/cpp.2398",
        "doi:10.1002/cpp.2398",
        "DOI: 10.1002/cpp.2398",
        "https://doi.org/10.1002%2Fcpp.2398",
        " 10.1002/cpp.2398 ",
    ],
)
def test_doi_urls_are_stored_as_dois(tmp_path, corpus, written):
    """Item 3: Ovid and Embase write DOIs as resolver URLs."""
    path = tmp_path / "ovid.ris"
    path.write_text(f"TY  - JOUR\nTI  - Self-criticism and depression.\nDO  - {written}\nER  - \n")
    (record,), _ = references_of(path)
    assert record.doi == "10.1002/cpp.2398" and record.uid == "doi:10.1002/cpp.2398"
    with corpus.open_store() as store:
        import_files(store, [path])
        assert store.get("doi:10.1002/cpp.2398").title == "Self-criticism and depression."
        assert store.get("doi:10.1002/CPP.2398").title == "Self-criticism and depression."
        assert store.get("doi:https://doi.org/10.1002/cpp.2398").title == "Self-criticism and depression."


RIS_THREE = """\
TY  - JOUR
TI  - First paper.
PY  - 2019
ER  -

TY  - JOUR
TI  - Second paper.
PY  - 2020
ER  -

TY  - JOUR
TI  - Third paper.
AU  - Smith, Anna
PY  - 2021
ER  -
"""
MEDLINE_THREE = """\
PMID- 1
TI  - First paper.
SO  - J Test. 2019;1:1-2.

PMID- 2
TI  - Second paper.
SO  - J Test. 2020;1:3-4.

PMID- 3
TI  - Third paper.
AB  - A long abstract that goes on.
SO  - J Test. 2021;1:5-6.
"""


@pytest.mark.parametrize(
    ("name", "content", "imported", "skipped"),
    [
        ("cut.ris", RIS_THREE[:-30], ["First paper.", "Second paper."], "cut.ris:11: reference is cut off"),
        ("noer.ris", RIS_THREE.rsplit("ER", 1)[0], ["First paper.", "Second paper."],
         "noer.ris:11: reference is cut off (no 'ER  -' line)"),
        ("noer_mid.ris", RIS_THREE.replace("PY  - 2019\nER  -\n", "PY  - 2019\n", 1),
         ["Second paper.", "Third paper."], "noer_mid.ris:1: reference has no 'ER  -' line"),
        ("cut.nbib", MEDLINE_THREE[:-40], ["First paper.", "Second paper."], "cut.nbib:9: record is cut off"),
        ("cut_in_so.nbib", MEDLINE_THREE[:-6], ["First paper.", "Second paper."],
         "cut_in_so.nbib:9: record is cut off"),
        ("cut_at_line.nbib", MEDLINE_THREE.rsplit("SO", 1)[0], ["First paper.", "Second paper."],
         "cut_at_line.nbib:9: record is cut off (no SO line"),
        ("cut.jsonl", '{"pmid": "1", "title": "First paper."}\n{"pmid": "2", "title": "Sec',
         ["First paper."], "cut.jsonl:2: record is cut off"),
    ],
)  # fmt: skip
def test_truncated_file_names_the_cut_reference(tmp_path, name, content, imported, skipped):
    """Item 4: 7 of 8 truncated MEDLINE files and 10 of 12 truncated RIS files imported silently."""
    path = tmp_path / name
    path.write_text(content)
    records, problems = references_of(path)
    assert [r.title for r in records] == imported
    assert [str(p).startswith(str(tmp_path / skipped)) for p in problems] == [True], problems


def test_complete_medline_without_final_newline_is_whole(tmp_path):
    path = tmp_path / "endnote.txt"
    path.write_text(MEDLINE_THREE.rstrip("\n"))
    records, problems = references_of(path)
    assert len(records) == 3 and problems == []


def test_reference_without_title_or_identifier_is_skipped_by_line(tmp_path, corpus):
    """Item 5: one such reference rejected the whole file (ASReview and rispy samples)."""
    path = tmp_path / "asreview.ris"
    path.write_text(RIS_THREE.replace("TI  - Second paper.\n", "N1  - ASReview_relevant\n"))
    with corpus.open_store() as store:
        (report,) = import_files(store, [path])
        assert store.count() == 2
    assert [str(s) for s in report.skipped] == [
        f"{path}:6: reference has no title and no identifier (PMID, DOI); skipped"
    ]


def test_duplicates_inside_one_file_are_counted_and_listed(tmp_path, corpus):
    """Item 6: in-file duplicates were 'updated', never listed, and status removed 0."""
    path = tmp_path / "export.ris"
    path.write_text(RIS_THREE + RIS_THREE.split("\n\n")[0] + "\n\n" + RIS_THREE.split("\n\n")[2])
    with corpus.open_store() as store:
        (report,) = import_files(store, [path])
        assert store.count() == 3 and report.references == 5
        assert [(d.line, d.duplicate_of_line, d.matched_on) for d in report.duplicates] == [
            (16, 1, "title+year"), (21, 11, "title+year"),
        ]  # fmt: skip
        assert corpus_status(corpus, store).duplicates_removed == 2
        (again,) = import_files(store, [path])  # the same file again: nothing new, same count
        assert again.count("unchanged") == 3 and len(again.duplicates) == 2
        assert corpus_status(corpus, store).duplicates_removed == 2


def test_duplicate_of_a_record_held_is_not_merged_into_itself(corpus, data):
    with corpus.open_store() as store:
        import_files(store, [data / "pubmed" / "efetch_all_fields.xml"])
        (report,) = import_files(store, [data / "pubmed" / "all_fields.nbib"])
    (duplicate,) = report.duplicates
    assert (duplicate.uid, duplicate.duplicate, duplicate.duplicate_of_line) == ("pmid:99000001", None, None)
    assert duplicate.describe() == "all_fields.nbib:1: pmid:99000001 already held (same pmid)"


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        # item 7: a label longer than 40 characters (Human Reproduction's structured abstracts)
        ("STUDY QUESTION: Does IVIg help? PARTICIPANTS/MATERIALS, SETTINGS, AND METHODS: 40 women.",
         ["STUDY QUESTION", "PARTICIPANTS/MATERIALS, SETTINGS, AND METHODS"]),
        # item 7: "ELISA:" and "PROSPERO:" mid-sentence are not labels
        ("BACKGROUND: Uterine NK cells were counted. METHODS: Serum was tested by ELISA: values above 12% "
         "were positive. RESULTS: Registered at PROSPERO: CRD42019127893.",
         ["BACKGROUND", "METHODS", "RESULTS"]),
        ("OBJECTIVE: To test. TRIAL REGISTRATION: PROSPERO CRD42019127893.",
         ["OBJECTIVE", "TRIAL REGISTRATION"]),
        ("IVIg (OR: 2.1) helped.", [None]),
        ("We measured TNF-alpha by ELISA: it was high.", [None]),
    ],
)  # fmt: skip
def test_structured_abstract_labels(text, labels):
    assert [s.label for s in split_structured_abstract(text)] == labels


@pytest.mark.parametrize(
    ("written", "last", "initials", "fore"),
    [
        ("Eloubeidi M.A.", "Eloubeidi", "MA", None),  # item 8: Embase
        ("Cerfolio R.J.", "Cerfolio", "RJ", None),
        ("Liu R.", "Liu", "R", None),
        ("Smith AB", "Smith", "AB", None),
        ("Smith, Anna B.", "Smith", "AB", "Anna B."),
        ("van der Berg A", "van der Berg", "A", None),
        ("Dobrokhotova, Yu E.", "Dobrokhotova", "YE", "Yu E."),
        ("Lambers, M J", "Lambers", "MJ", "M J"),
        ("Lan, VTN", "Lan", "VTN", None),  # as rifkb's RIS export writes initials-only names
        ("Parkes-Loach, PS", "Parkes-Loach", "PS", None),  # Web of Science
        ("Rayyan", "Rayyan", None, None),
    ],
)
def test_author_names_as_databases_write_them(written, last, initials, fore):
    author = Author.from_display(written)
    assert (author.last_name, author.initials, author.fore_name) == (last, initials, fore)


def test_medline_record_without_pmid_or_doi_is_skipped_by_line(tmp_path):
    """Item 9: one such record rejected the file without naming it."""
    path = tmp_path / "export.nbib"
    path.write_text(MEDLINE_THREE.replace("PMID- 2\n", "").replace("PMID- 3\n", "") + "\n" + MEDLINE_TWO_LIDS)
    records, skipped = references_of(path)
    assert [r.uid for r in records] == ["pmid:1", "pmid:28441597", "pmid:16403221"]
    assert [str(s) for s in skipped] == [
        f"{path}:5: record has no PMID and no DOI; skipped",
        f"{path}:8: record has no PMID and no DOI; skipped",
    ]


def test_json_line_without_identifier_is_skipped_by_line(tmp_path):
    path = tmp_path / "records.jsonl"
    path.write_text('{"pmid": "1", "title": "a"}\n{"title": "no id"}\n')
    records, skipped = references_of(path)
    assert [r.uid for r in records] == ["pmid:1"]
    assert [str(s) for s in skipped] == [f"{path}:2: record has no pmid, doi or id; skipped"]


def test_medline_record_with_doi_but_no_pmid_is_kept(tmp_path):
    path = tmp_path / "export.nbib"
    path.write_text(MEDLINE_TWO_LIDS.replace("PMID- 28441597\n", ""))
    (first, second), skipped = references_of(path)
    assert first.uid == "doi:10.1016/j.scitotenv.2017.04.075" and skipped == []


RIS_ONE = "TY  - JOUR\nTI  - Saved by EndNote.\nPY  - 2020\nER  - \n"


@pytest.mark.parametrize(
    ("name", "content", "fmt"),
    [
        ("endnote.txt", RIS_ONE, "ris"),  # item 9: EndNote and Web of Science save RIS as .txt
        ("savedrecs", "\ufeff" + RIS_ONE, "ris"),  # item 9: extensionless RIS with a BOM
        ("numbered.ris", "1.\n" + RIS_ONE, "ris"),
        ("pubmed.txt", MEDLINE_THREE, "medline"),
        ("pubmed.ris", MEDLINE_THREE, "medline"),
        ("pubmed_bom.nbib", "\ufeff" + MEDLINE_THREE, "medline"),
        ("nopmid.nbib", MEDLINE_TWO_LIDS.replace("PMID- 28441597\n", "").replace("PMID- 16403221\n", ""),
         "medline"),
        ("efetch.txt", '<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet>\n<PubmedArticleSet>\n',
         "pubmed-xml"),
        ("records", '{"pmid": "1"}\n', "jsonl"),
        ("crlf.ris", RIS_ONE.replace("\n", "\r\n"), "ris"),
    ],
)  # fmt: skip
def test_format_is_read_from_the_content(tmp_path, name, content, fmt):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8", newline="")
    assert detect_format(path) == fmt


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nAU Smith, A\nER\n\nEF\n",
         "Web of Science tagged text"),
        ("@article{smith2020,\n  title = {IVIg},\n}\n", "BibTeX"),
        ("<1. >\nVN  - Ovid Technologies\nDB  - Embase\nTI  - A paper.\n", "Ovid tagged text"),
        ('[{"id": "a", "type": "article-journal"}]\n', "a JSON array"),
    ],
)  # fmt: skip
def test_formats_rifkb_does_not_read_are_named(tmp_path, content, message):
    path = tmp_path / "export.txt"
    path.write_text(content)
    with pytest.raises(BadInputError, match=f"export.txt: {message}"):
        detect_format(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, r"crash.jsonl:1: JSON nested too deeply"),
        ('{"pmid": "1", "year": ' + "9" * 5000 + "}", r"crash.jsonl:1: a number of more than 4300 digits"),
        ('{"pmid": "24581986", "authors": [1, 2]}', r"crash.jsonl:1: 'authors' must be a list of objects"),
        ('{"pmid": "24581986", "extra": "abc"}', r"crash.jsonl:1: 'extra' must be an object"),
        ('{"pmid": "777", "abstract_sections": [{"text": 5}]}',
         r"crash.jsonl:1: 'abstract_sections' text must be text"),
        ('{"pmid": "777", "title": ["a", "b"]}', r"crash.jsonl:1: 'title' must be text"),
        ('{"pmid": "777", "mesh": [{"ui": "D1"}]}', r"crash.jsonl:1: 'mesh' headings need a 'descriptor'"),
        ('{"pmid": "777", "keywords": [{"a": 1}]}', r"crash.jsonl:1: 'keywords' must be a list of text"),
        ('{"pmid": "777", "comments_corrections": [5]}', r"crash.jsonl:1: 'comments_corrections' must be"),
        ('{"pmid": "777", "title": "a \\ud800 b"}', r"crash.jsonl:1: text holds an unpaired surrogate"),
    ],
)  # fmt: skip
def test_fuzzed_json_lines_are_one_error_and_store_is_untouched(corpus, data, tmp_path, content, message):
    """Item 10: each of these was a traceback."""
    path = tmp_path / "crash.jsonl"
    path.write_text(content + "\n")
    with corpus.open_store() as store:
        import_files(store, [data / "pubmed" / "efetch_dev_records.xml"])
        with pytest.raises(BadInputError, match=message):
            import_files(store, [data / "pubmed" / "all_fields.nbib", path])
        assert store.count() == 3
