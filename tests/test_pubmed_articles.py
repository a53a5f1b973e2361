"""PubMed XML to records: every field, inline markup, DTDs, large and gzipped files."""

from __future__ import annotations

import gzip
import shutil
import urllib.request

import pytest

from rifkb.corpus.formats.pubmed_xml import newest_pubmed_dtd, pin_doctype, read_pubmed_xml, records_from_xml
from rifkb.errors import BadInputError


@pytest.fixture
def article(data):
    (record,) = records_from_xml((data / "pubmed" / "efetch_all_fields.xml").read_bytes())
    return record


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("pmid", "99000001"),
        ("doi", "10.9999/rifkb.test.2021.001"),
        ("pmcid", "PMC9900001"),
        ("journal", "Fertility and sterility"),
        ("journal_iso", "Fertil Steril"),
        ("volume", "115"),
        ("issue", "4"),
        ("pages", "960-968"),
        ("pub_date", "2021-04"),
        ("year", 2021),
        ("languages", ("eng",)),
        ("publication_types", ("Randomized Controlled Trial", "Retracted Publication")),
        ("keywords", ("IVIG", "natural killer cells")),
        ("revision_date", "2024-02-09"),
        ("entrez_date", "2021-01-11"),
        ("retracted", True),
        ("first_author", "Núñez MJ"),
    ],
)
def test_every_field_is_read(article, field, expected):
    assert getattr(article, field) == expected


def test_inline_markup_is_removed_without_losing_text(article):
    assert article.title == (
        "Intravenous immunoglobulin in women with recurrent implantation failure "
        "and elevated CD56+ natural killer cells."
    )
    results = article.abstract[1].text
    assert "(P < 0.05; OR 2.10, 95% CI 1.10-4.00)" in results
    assert "400 mg kg-1" in results
    assert "[Formula: see text] was constant" in results
    assert article.abstract[2].text == "IVIg & prednisolone may help selected women."


def test_abstract_keeps_section_labels(article):
    assert [(s.label, s.category) for s in article.abstract] == [
        ("OBJECTIVE", "OBJECTIVE"),
        ("RESULTS", "RESULTS"),
        ("CONCLUSION(S)", "CONCLUSIONS"),
    ]
    assert article.abstract_text.startswith("OBJECTIVE: To assess whether IVIg")


def test_authors_affiliations_and_groups(article):
    first, second, group = article.authors
    assert (first.last_name, first.fore_name, first.initials) == ("Núñez", "María José", "MJ")
    assert len(first.affiliations) == 2
    assert second.affiliations == ()
    assert group.collective_name == "RIF Study Group"
    assert group.display == "RIF Study Group"


def test_mesh_with_qualifiers_and_major_topics(article):
    ivig, implantation = article.mesh
    assert (ivig.descriptor, ivig.ui) == ("Immunoglobulins, Intravenous", "D016756")
    assert ivig.major_topic  # a starred qualifier makes the heading a major topic
    assert [(q.name, q.major_topic) for q in ivig.qualifiers] == [
        ("therapeutic use", True),
        ("adverse effects", False),
    ]
    assert implantation.major_topic and implantation.qualifiers == ()


def test_comments_corrections_without_reference_list(article):
    kinds = [(c.ref_type, c.pmid) for c in article.comments_corrections]
    assert kinds == [("RetractionIn", "99000002"), ("ErratumIn", None)]


def test_real_records_parse(data):
    records = records_from_xml((data / "pubmed" / "efetch_dev_records.xml").read_bytes())
    assert [r.pmid for r in records] == ["28066833", "19357135", "24581986"]
    assert records[0].title.startswith("The role of G-CSF in recurrent implantation failure")
    assert all(len(r.abstract_text) > 1000 for r in records)


def test_unknown_dtd_is_pinned_to_a_bundled_one(data):
    xml = (data / "pubmed" / "efetch_all_fields.xml").read_bytes()
    newer = xml.replace(b"pubmed_250101.dtd", b"pubmed_990101.dtd")
    pinned = pin_doctype(newer)
    assert newest_pubmed_dtd().encode() in pinned and b"pubmed_990101" not in pinned


def test_parsing_never_downloads_a_dtd(data, monkeypatch):
    """A DOCTYPE naming a DTD Biopython lacks would make it download one: it must not."""

    def no_network(*args, **kwargs):
        raise AssertionError("the parser tried to reach the network")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    monkeypatch.setattr("Bio.Entrez.Parser.urlopen", no_network)
    xml = (data / "pubmed" / "efetch_all_fields.xml").read_bytes()
    for variant in (
        xml.replace(b"pubmed_250101.dtd", b"pubmed_990101.dtd"),
        xml.replace(xml[xml.index(b"<!DOCTYPE") : xml.index(b"<!-- ")], b""),
    ):
        (record,) = records_from_xml(variant)
        assert record.pmid == "99000001"


def test_large_file_reads_in_chunks_and_gzip(tmp_path, data):
    source = (data / "pubmed" / "efetch_dev_records.xml").read_text(encoding="utf-8")
    head, _, rest = source.partition("<PubmedArticleSet>")
    body, _, _ = rest.rpartition("</PubmedArticleSet>")
    many = head + "<PubmedArticleSet>" + body * 5 + "</PubmedArticleSet>\n"
    plain = tmp_path / "baseline.xml"
    plain.write_text(many, encoding="utf-8")
    packed = tmp_path / "baseline.xml.gz"
    with open(plain, "rb") as src, gzip.open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    for path in (plain, packed):
        chunks = list(read_pubmed_xml(path, chunk_size=4))
        assert [len(c) for c in chunks] == [4, 4, 4, 3]
        assert chunks[0][0].pmid == "28066833"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<?xml version='1.0'?><PubmedArticleSet><PubmedArticle>", "malformed XML"),
        (b"<?xml version='1.0'?><eSearchResult/>", "not a PubmedArticleSet"),
        (b"\x1f\x8b\x08\x00garbage", "damaged gzip"),
    ],
)
def test_bad_xml_files_raise_one_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.xml"
    path.write_bytes(content)
    with pytest.raises(BadInputError, match=message):
        list(read_pubmed_xml(path))
