"""PubMed XML to records: every field, inline markup, DTDs, large and gzipped files."""

from __future__ import annotations

import gzip
import shutil
import urllib.request

import pytest

from rifkb.corpus.formats import read_records
from rifkb.corpus.formats.pubmed_file import read_pubmed_xml
from rifkb.corpus.formats.pubmed_xml import newest_pubmed_dtd, pin_doctype, records_from_xml
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
        assert [len(c.references) for c in chunks] == [4, 4, 4, 3]
        assert chunks[0].records[0].pmid == "28066833"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<?xml version='1.0'?><PubmedArticleSet><PubmedArticle>", "malformed XML"),
        (b"<?xml version='1.0'?><eSearchResult/>", "an E-utilities esearch answer"),
        (b"\x1f\x8b\x08\x00garbage", "damaged gzip"),
    ],
)
def test_bad_xml_files_raise_one_clear_error(tmp_path, content, message):
    path = tmp_path / "bad.xml"
    path.write_bytes(content)
    with pytest.raises(BadInputError, match=message):
        list(read_pubmed_xml(path))


# --- files as other tools and PubMed itself write them (issue 9) ----------------------------

MML = 'xmlns:mml="http://www.w3.org/1998/Math/MathML"'
BOOK = """<PubmedBookArticle><BookDocument><PMID Version="1">28613516</PMID>
<ArticleIdList><ArticleId IdType="bookaccession">NBK441863</ArticleId></ArticleIdList>
<Book><Publisher><PublisherName>StatPearls Publishing</PublisherName></Publisher>
<BookTitle book="statpearls">StatPearls</BookTitle>
<PubDate><Year>2024</Year><Month>01</Month></PubDate></Book>
<ArticleTitle book="statpearls" part="article-21893">Recurrent Implantation Failure</ArticleTitle>
<Language>eng</Language>
<AuthorList Type="authors"><Author ValidYN="Y"><LastName>Franasiak</LastName><ForeName>Jason M</ForeName>
<Initials>JM</Initials></Author></AuthorList>
<PublicationType UI="D016454">Review</PublicationType>
<Abstract><AbstractText Label="INTRODUCTION">RIF is common.</AbstractText></Abstract></BookDocument>
<PubmedBookData><History><PubMedPubDate PubStatus="entrez"><Year>2017</Year><Month>6</Month><Day>15</Day>
</PubMedPubDate></History><PublicationStatus>ppublish</PublicationStatus>
<ArticleIdList><ArticleId IdType="pubmed">28613516</ArticleId></ArticleIdList></PubmedBookData>
</PubmedBookArticle>"""


def pubmed_set(*articles: str, declaration: str = '<?xml version="1.0" ?>') -> bytes:
    """A PubmedArticleSet as efetch writes it, one article element per argument."""
    body = "\n".join(articles)
    return f"{declaration}\n<PubmedArticleSet>\n{body}\n</PubmedArticleSet>\n".encode()


def pubmed_article(pmid: str = "31000001", abstract: str = "IVIg helped.", citation: str = "") -> str:
    """One PubmedArticle; `citation` replaces the whole MedlineCitation when given."""
    citation = (
        citation
        or f"""<MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>
<Article PubModel="Print"><Journal><JournalIssue><PubDate><Year>2020</Year></PubDate></JournalIssue>
<Title>Fertility and sterility</Title></Journal><ArticleTitle>Paper {pmid}.</ArticleTitle>
<Abstract><AbstractText>{abstract}</AbstractText></Abstract></Article></MedlineCitation>"""
    )
    pubmed_data = f'<ArticleIdList><ArticleId IdType="pubmed">{pmid}</ArticleId></ArticleIdList>'
    return f"<PubmedArticle>\n{citation}\n<PubmedData>{pubmed_data}</PubmedData>\n</PubmedArticle>"


def records_in(path):
    return [r for chunk in read_records(path, "pubmed-xml") for r in chunk]


def test_mathml_in_one_abstract_does_not_sink_the_file(tmp_path):
    """Item 1: ElementTree renamed the MathML prefix to ns0, which Bio.Entrez refuses."""
    formula = f"<mml:math {MML}><mml:mi>V</mml:mi><mml:mo>=</mml:mo><mml:mn>2</mml:mn></mml:math>"
    data = pubmed_set(
        pubmed_article("31000001"), pubmed_article("31000002", f"Speed {formula} was constant.")
    )
    for name, content in (("set.xml", data), ("set.xml.gz", gzip.compress(data))):
        (tmp_path / name).write_bytes(content)
        first, second = records_in(tmp_path / name)
        assert (first.pmid, second.pmid) == ("31000001", "31000002")
        assert second.abstract_text == "Speed V=2 was constant."


def test_book_article_is_read_beside_journal_articles(tmp_path):
    """Item 9: PubmedBookArticle (StatPearls, GeneReviews) was skipped without a word."""
    path = tmp_path / "books.xml"
    path.write_bytes(pubmed_set(pubmed_article("31000001"), BOOK))
    journal, book = records_in(path)
    assert journal.pmid == "31000001"
    assert (book.pmid, book.title, book.journal, book.year) == (
        "28613516", "Recurrent Implantation Failure", "StatPearls", 2024,
    )  # fmt: skip
    assert book.authors[0].display == "Franasiak JM" and book.publication_types == ("Review",)
    assert [(s.label, s.text) for s in book.abstract] == [("INTRODUCTION", "RIF is common.")]
    assert book.entrez_date == "2017-06-15" and book.pub_date == "2024-01"


LATIN1 = "Ni\xf1o".encode("latin-1")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        # item 9: undeclared Latin-1 is an encoding problem, not "malformed XML"
        (pubmed_set(pubmed_article()).replace(b"IVIg", LATIN1),
         r"bad\.xml:7: not UTF-8 \(byte 0xf1\), and the XML declaration names no other encoding"),
        # item 10: what the fuzzer found
        (pubmed_set(pubmed_article(), declaration='<?xml version="1.0" encoding="nonsense"?>'),
         r"bad\.xml: unknown encoding 'nonsense'"),
        (pubmed_set(pubmed_article(), declaration='<?xml version="1.0" encoding="EBCDIC"?>'),
         r"bad\.xml: unknown encoding 'EBCDIC'"),
        (pubmed_set(pubmed_article("1"), pubmed_article(citation="<!-- no citation -->")),
         r"bad\.xml:10: PubmedArticle 2 has no <MedlineCitation>"),
        (pubmed_set(pubmed_article(citation="<MedlineCitation><PMID>5</PMID></MedlineCitation>")),
         r"bad\.xml:3: PubmedArticle 1 \(PMID 5\) has no <Article>"),
        (pubmed_set(pubmed_article(citation="<MedlineCitation><Article/></MedlineCitation>")),
         r"bad\.xml:3: PubmedArticle 1 has no <PMID>"),
        (pubmed_set(pubmed_article(citation='<MedlineCitation><PMID>7</PMID><Article/><MeshHeadingList><MeshHeading>'
                                     "<QualifierName>therapy</QualifierName></MeshHeading></MeshHeadingList>"
                                     "</MedlineCitation>")),
         r"bad\.xml:3: PubmedArticle 1 \(PMID 7\) has no <DescriptorName>"),
        (pubmed_set(pubmed_article())[:-40], r"bad\.xml:8: malformed XML: the file ends inside an element"),
    ],
)  # fmt: skip
def test_damaged_xml_is_one_error_naming_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.xml"
    path.write_bytes(content)
    with pytest.raises(BadInputError, match=message):
        records_in(path)


def test_corrupt_gzip_is_one_error(tmp_path):
    packed = bytearray(gzip.compress(pubmed_set(pubmed_article()) * 3))
    packed[30:40] = b"\xff" * 10  # what the fuzzer did: zlib.error 'invalid code lengths set'
    path = tmp_path / "bad.xml.gz"
    path.write_bytes(bytes(packed))
    with pytest.raises(BadInputError, match=r"bad\.xml\.gz: damaged gzip file"):
        records_in(path)


@pytest.mark.parametrize(
    ("root", "message"),
    [
        ("<pmc-articleset><article/></pmc-articleset>", "a PMC full-text article set"),
        ("<eSummaryResult><DocSum/></eSummaryResult>", "an E-utilities esummary answer"),
        (
            "<MedlineCitationSet><MedlineCitation/></MedlineCitationSet>",
            "a MEDLINE citation set in the pre-2017 format",
        ),
    ],
)
def test_other_xml_is_named(tmp_path, root, message):
    path = tmp_path / "other.xml"
    path.write_text(f'<?xml version="1.0"?>\n{root}\n')
    with pytest.raises(BadInputError, match=f"other.xml: {message}"):
        records_in(path)
