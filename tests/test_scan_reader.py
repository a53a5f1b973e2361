"""The scan reader's two ways of reading a PubMed file, from its bytes (most articles of
most files) and through lxml's iterparse (anything else), give the same items in the
same order, the same records for the articles kept, and the same error."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rifkb.corpus.formats import pubmed_scan
from rifkb.corpus.formats.pubmed_scan import Deletion, PubmedScanner, ScannedArticle, records_of_xml
from rifkb.errors import BadInputError
from tests.pubmed_files import on_topic_articles, write_pubmed_file

HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n<PubmedArticleSet>\n'  # noqa: E501


def read(path: Path, fast: bool) -> tuple[list, PubmedScanner]:
    """The items, an article as its fields and the record its XML parses to."""
    scanner = PubmedScanner(path, fast=fast)
    items = [
        (i.tag, i.pmid, i.title, i.abstract, i.text, i.xml()) if isinstance(i, ScannedArticle) else i
        for i in scanner
    ]
    xml = [(item[0], item[-1]) for item in items if isinstance(item, tuple)]
    records = iter(r.to_json() for r in records_of_xml(path, xml))
    items = [(*item[:-1], next(records)) if isinstance(item, tuple) else item for item in items]
    return items, scanner


def write(path: Path, body: str) -> Path:
    data = (HEAD + body + "</PubmedArticleSet>\n").encode()
    path.write_bytes(gzip.compress(data) if path.name.endswith(".gz") else data)
    return path


def article(pmid: int, title: str, abstract: str | None, vernacular: str = "", between: str = "") -> str:
    abstract_xml = "" if abstract is None else f"<Abstract>{abstract}</Abstract>"
    vernacular_xml = f"<VernacularTitle>{vernacular}</VernacularTitle>" if vernacular else ""
    return (
        f'<PubmedArticle>\n<MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>\n'
        f'<Article PubModel="Print"><Journal><Title>Hum Reprod</Title></Journal>\n'
        f"<ArticleTitle>{title}</ArticleTitle>{between}{abstract_xml}{vernacular_xml}</Article>\n"
        '<MeshHeadingList><MeshHeading><DescriptorName UI="D1">Female</DescriptorName></MeshHeading>'
        "</MeshHeadingList></MedlineCitation>\n<PubmedData><ArticleIdList>"
        f'<ArticleId IdType="pubmed">{pmid}</ArticleId></ArticleIdList></PubmedData>\n</PubmedArticle>\n'
    )


BOOK = (
    '<PubmedBookArticle><BookDocument><PMID Version="1">900</PMID><ArticleTitle>Implantation failure'
    "</ArticleTitle><Book><BookTitle>A book</BookTitle></Book><Abstract><AbstractText>IVIg.</AbstractText>"
    "</Abstract></BookDocument></PubmedBookArticle>\n"
)

# what titles and abstracts hold in PubMed: names, entities, markup, odd white space
_PIECES = st.sampled_from([
    "IVIg", "live birth", "recurrent implantation failure", "NK cells", "p", "=", "0.05", "&amp;",
    "&lt;", "&gt;", "&quot;", "&apos;", "&#x3b1;", "&#945;", "TNF-&#x3B1;", "  ", "\n", "\t", "\r\n",
    "\u00a0", "\u2009", "é", "<i>uterine</i>", "<sup>+</sup>", "x<b/>y", "RIF", "?", "!", ">",
])  # fmt: skip
_TEXT = st.lists(_PIECES, max_size=12).map(" ".join)
_ATTRIBUTES = st.sampled_from([
    "", ' Label="BACKGROUND" NlmCategory="BACKGROUND"', " Label='METHODS'", ' Label="A &amp; B"',
    ' Label="two\tlines"', ' Label="RESULTS" NlmCategory="RESULTS" ', ' Label="a>b"',
])  # fmt: skip
_SECTION = st.one_of(
    st.builds(lambda a, t: f"<AbstractText{a}>{t}</AbstractText>", _ATTRIBUTES, _TEXT),
    st.just("<AbstractText/>"),
    st.just('<AbstractText Label="EMPTY"></AbstractText>'),
)
_ABSTRACT = st.one_of(
    st.none(),
    st.builds(lambda s, c: "".join(s) + c, st.lists(_SECTION, max_size=4),
              st.sampled_from(["", "<CopyrightInformation>© 2020</CopyrightInformation>"])),
)  # fmt: skip
_BETWEEN = st.sampled_from(["\n", "\n", "\n", "", "<!-- a comment -->\n", "<?pi x?>\n"])
_ARTICLE = st.builds(
    lambda title, abstract, vernacular, inside: (title, abstract, vernacular, inside),
    st.one_of(_TEXT, st.just("")), _ABSTRACT, st.sampled_from(["", "Fallo de implantación"]),
    st.sampled_from(["", "", "<Pagination><MedlinePgn>1-9</MedlinePgn></Pagination>", "<!-- x -->"]),
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    articles=st.lists(st.tuples(_ARTICLE, _BETWEEN), min_size=1, max_size=6),
    book=st.booleans(),
    deleted=st.booleans(),
    gzipped=st.booleans(),
    block=st.sampled_from([64, 1000, 1 << 20]),  # an item across blocks, or all in one
)
def test_read_from_bytes_or_by_lxml_a_file_gives_the_same_items(
    tmp_path_factory, articles, book, deleted, gzipped, block
):
    body = "".join(
        between + article(31000000 + i, title, abstract, vernacular, inside)
        for i, ((title, abstract, vernacular, inside), between) in enumerate(articles)
    )
    body += BOOK if book else ""
    body += (
        '<DeleteCitation><PMID Version="1"> 77 </PMID><PMID Version="1">78</PMID></DeleteCitation>\n'
        if deleted
        else ""
    )
    path = write(tmp_path_factory.mktemp("f") / ("f.xml.gz" if gzipped else "f.xml"), body)
    default, pubmed_scan._BLOCK = pubmed_scan._BLOCK, block
    try:
        fast, scanner = read(path, fast=True)
    finally:
        pubmed_scan._BLOCK = default
    exact, _ = read(path, fast=False)
    assert fast == exact
    assert scanner.read_as_bytes + scanner.read_by_lxml >= len(exact) or scanner.read_again


def test_a_plain_file_is_read_from_its_bytes_and_the_same_as_by_lxml(tmp_path):
    path = write_pubmed_file(tmp_path / "pubmed26n0001.xml.gz", on_topic_articles(), deleted=["7"])
    fast, scanner = read(path, fast=True)
    assert fast == read(path, fast=False)[0]
    assert fast[-1] == Deletion(("7",))
    # the 110 dev abstracts hold entities, no markup: all read from their bytes
    assert (scanner.read_as_bytes, scanner.read_by_lxml, scanner.read_again) == (110, 1, False)
    marked = write(
        tmp_path / "marked.xml", article(1, "CD56<sup>+</sup> cells", None) + article(2, "IVIg", None)
    )
    scanner = PubmedScanner(marked)
    assert [a.title for a in scanner] == ["CD56+ cells", "IVIg"]
    assert (scanner.read_as_bytes, scanner.read_by_lxml) == (1, 1)


def test_what_the_byte_reader_does_not_expect_has_the_file_read_again_without_repeating_an_item(
    tmp_path, monkeypatch
):
    # blocks of 4 KB: the articles before the comment are given before it is seen
    monkeypatch.setattr(pubmed_scan, "_BLOCK", 4096)
    body = "".join(article(i, f"Paper {i}", "<AbstractText>IVIg.</AbstractText>") for i in range(1, 40))
    body += "<!-- a comment between articles -->\n" + article(40, "Last", None)
    path = write(tmp_path / "f.xml.gz", body)
    items, scanner = read(path, fast=True)
    assert scanner.read_again and [a[1] for a in items] == [str(i) for i in range(1, 41)]
    assert items == read(path, fast=False)[0]
    # the digest and the count are of the file once, not of the two readings
    assert scanner.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert scanner.bytes_read == path.stat().st_size


@pytest.mark.parametrize(
    "damage",
    [
        lambda xml: xml.replace("</ArticleTitle>", "</ArticleTitl>", 30),  # a tag left open
        lambda xml: xml.replace("IVIg.", "IVIg & co.", 1),  # a bare ampersand
        lambda xml: xml[: len(xml) * 2 // 3],  # cut short
        lambda xml: xml.replace("Paper 20", "Paper \udcff20"),  # a byte that is not UTF-8
    ],
    ids=["tag-left-open", "bare-ampersand", "cut-short", "not-utf8"],
)
def test_a_damaged_file_gives_the_error_the_lxml_reader_gives(tmp_path, damage):
    body = "".join(article(i, f"Paper {i}", "<AbstractText>IVIg.</AbstractText>") for i in range(1, 60))
    text = damage(HEAD + body + "</PubmedArticleSet>\n")
    path = tmp_path / "pubmed26n0001.xml.gz"
    path.write_bytes(gzip.compress(text.encode("utf-8", "surrogateescape")))
    messages = []
    for fast in (True, False):
        with pytest.raises(BadInputError) as raised:
            list(PubmedScanner(path, fast=fast))
        messages.append(str(raised.value))
    assert messages[0] == messages[1] and messages[0].startswith(str(path))
