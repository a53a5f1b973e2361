"""PubMed XML (PubmedArticleSet) to `Record`s, through `Bio.Entrez.read`.

One small `_parse_<field>` function per field, in the manner of pubmed_parser. Parsing is
done with `escape=True`, so inline markup (`<i>`, `<sup>`, MathML) reaches us as tags
while literal `<` in the text arrives escaped: stripping the tags and unescaping keeps
every character of text (`CD56<sup>+</sup>` becomes `CD56+`, `P &lt; 0.05` stays `P < 0.05`).

Files (PubMed's baseline, gzipped or not) are read by `pubmed_file`, a chunk of articles
at a time, each chunk going through this same parser of fields.
"""

from __future__ import annotations

import html
import io
import os
import re
from pathlib import Path
from typing import Any

from Bio import Entrez
from Bio.Entrez.Parser import CorruptedXMLError, NotXMLError, ValidationError

from rifkb.records import (
    AbstractSection,
    Author,
    CommentCorrection,
    MeshHeading,
    MeshQualifier,
    Record,
)

# PubDate months are written "Jun" or "06" (PubMed DTD, element Month)
# (not calendar.month_abbr: that follows the process locale)
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {m: i for i, m in enumerate(_MONTH_NAMES, 1)}
_TAG = re.compile(r"<[^<>]+>")
_DOCTYPE = re.compile(rb"<!DOCTYPE\s+(\w+)[^>]*?\"([^\"]+\.dtd)\"\s*>")
_BUNDLED_DTDS = Path(Entrez.__file__).parent / "DTDs"
PARSE_ERRORS = (CorruptedXMLError, NotXMLError, ValidationError, RuntimeError, ValueError)


def newest_pubmed_dtd() -> str:
    """The newest pubmed_YYMMDD.dtd this Biopython ships (Biopython 1.88: pubmed_250101)."""
    names = sorted(p.name for p in _BUNDLED_DTDS.glob("pubmed_*.dtd"))
    return names[-1]


def pin_doctype(data: bytes) -> bytes:
    """Point the DOCTYPE at a DTD Biopython ships, so the parser never downloads one.

    Bio.Entrez fetches any DTD it does not ship from the URL in the DOCTYPE. A PubMed set
    that names a newer DTD is parsed against the newest bundled one instead (unknown
    elements are skipped: we parse with validate=False); one without DOCTYPE gets it.
    """
    head = data[:4096]
    match = _DOCTYPE.search(head)
    if match and (_BUNDLED_DTDS / os.path.basename(match.group(2).decode())).exists():
        return data
    if match and match.group(1) != b"PubmedArticleSet":
        return data  # not ours to rewrite; the session refuses any download it attempts
    doctype = (
        b'<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle//EN" '
        b'"https://dtd.nlm.nih.gov/ncbi/pubmed/out/' + newest_pubmed_dtd().encode() + b'">'
    )
    if match:
        return data[: match.start()] + doctype + data[match.end() :]
    if b"<PubmedArticleSet" not in head:
        return data
    decl = re.match(rb"\s*<\?xml[^>]*\?>", data)
    cut = decl.end() if decl else 0
    prefix = data[:cut] if decl else b'<?xml version="1.0" ?>'
    return prefix + b"\n" + doctype + data[cut:]


def records_from_xml(data: bytes) -> list[Record]:
    """Parse one PubmedArticleSet document (an efetch batch) into records: its journal
    articles, then its book articles (StatPearls, GeneReviews, ...)."""
    parsed = parse_entrez(data)
    return [record_of(tag, a) for tag in ("PubmedArticle", "PubmedBookArticle") for a in parsed.get(tag, [])]


def parse_entrez(data: bytes) -> Any:
    """A PubmedArticleSet document as Bio.Entrez reads it (never downloading a DTD)."""
    return Entrez.read(io.BytesIO(pin_doctype(data)), validate=False, escape=True)


def record_of(tag: str, element: Any) -> Record:
    """The record of a PubmedArticle or PubmedBookArticle element. Raises KeyError naming
    an element the DTD requires and the article lacks."""
    return parse_book_article(element) if tag == "PubmedBookArticle" else parse_article(element)


# --- one function per field ---------------------------------------------------------------


def parse_article(article: Any) -> Record:
    citation = article["MedlineCitation"]
    art = citation["Article"]
    pubmed_data = article.get("PubmedData", {})
    journal = art.get("Journal", {})
    return Record(
        pmid=str(citation["PMID"]),
        doi=_parse_doi(art, pubmed_data),
        pmcid=_parse_article_id(pubmed_data, "pmc"),
        title=_clean(art.get("ArticleTitle") or art.get("VernacularTitle")),
        abstract=_parse_abstract(art),
        authors=_parse_authors(art),
        journal=_clean(journal.get("Title")),
        journal_iso=_clean(journal.get("ISOAbbreviation")),
        volume=_clean(journal.get("JournalIssue", {}).get("Volume")),
        issue=_clean(journal.get("JournalIssue", {}).get("Issue")),
        pages=_parse_pages(art),
        pub_date=_parse_pub_date(journal),
        year=_parse_year(journal),
        languages=tuple(str(lang) for lang in art.get("Language", [])),
        publication_types=tuple(str(t) for t in art.get("PublicationTypeList", [])),
        mesh=_parse_mesh(citation),
        keywords=_parse_keywords(citation),
        comments_corrections=_parse_comments_corrections(citation),
        revision_date=_parse_date(citation.get("DateRevised")),
        entrez_date=_parse_entrez_date(pubmed_data),
    )


def parse_book_article(article: Any) -> Record:
    """A PubmedBookArticle (a chapter of StatPearls, GeneReviews, an NCBI Bookshelf book):
    the book's title stands where a journal's would."""
    document = article["BookDocument"]
    book = document.get("Book", {})
    book_data = article.get("PubmedBookData", {})
    return Record(
        pmid=str(document["PMID"]),
        doi=_parse_book_doi(document, book, book_data),
        pmcid=_parse_article_id(book_data, "pmc"),
        title=_clean(document.get("ArticleTitle") or book.get("BookTitle")),
        abstract=_parse_abstract(document),
        authors=_parse_book_authors(document) or _parse_book_authors(book),
        journal=_clean(book.get("BookTitle")),
        volume=_clean(book.get("Volume")),
        pages=_parse_pages(document),
        pub_date=_parse_date(book.get("PubDate")),
        year=_parse_year_of(book.get("PubDate", {})),
        languages=tuple(str(lang) for lang in document.get("Language", [])),
        publication_types=tuple(str(t) for t in document.get("PublicationType", [])),
        keywords=_parse_keywords(document),
        revision_date=_parse_date(document.get("DateRevised")),
        entrez_date=_parse_entrez_date(book_data),
    )


def _parse_book_doi(document: Any, book: Any, book_data: Any) -> str | None:
    for holder in (document, book):
        for loc in holder.get("ELocationID", []):
            if loc.attributes.get("EIdType") == "doi":
                return str(loc).strip()
    return _parse_article_id(document, "doi") or _parse_article_id(book_data, "doi")


def _parse_book_authors(holder: Any) -> tuple[Author, ...]:
    """A book's AuthorList may repeat (Type="authors", Type="editors"): the authors."""
    lists = holder.get("AuthorList", [])
    chosen = [a for a in lists if a.attributes.get("Type", "authors") == "authors"]
    return tuple(author for author_list in chosen for author in _parse_authors({"AuthorList": author_list}))


def _clean(value: Any) -> str | None:
    """Text without inline markup, entities resolved, white space folded."""
    if value is None:
        return None
    text = html.unescape(_TAG.sub("", str(value)))
    text = re.sub(r"\s+", " ", text).strip()
    return text or None


def _parse_doi(art: Any, pubmed_data: Any) -> str | None:
    for loc in art.get("ELocationID", []):
        if loc.attributes.get("EIdType") == "doi":
            return str(loc).strip()
    return _parse_article_id(pubmed_data, "doi")


def _parse_article_id(pubmed_data: Any, id_type: str) -> str | None:
    for aid in pubmed_data.get("ArticleIdList", []):
        if aid.attributes.get("IdType") == id_type:
            return str(aid).strip()
    return None


def _parse_abstract(art: Any) -> tuple[AbstractSection, ...]:
    sections = []
    for part in art.get("Abstract", {}).get("AbstractText", []):
        text = _clean(part)
        if text:
            attrs = getattr(part, "attributes", {})
            sections.append(AbstractSection(text, attrs.get("Label"), attrs.get("NlmCategory")))
    return tuple(sections)


def _parse_authors(art: Any) -> tuple[Author, ...]:
    return tuple(
        Author(
            last_name=_clean(a.get("LastName")),
            fore_name=_clean(a.get("ForeName")),
            initials=_clean(a.get("Initials")),
            collective_name=_clean(a.get("CollectiveName")),
            affiliations=tuple(
                t for info in a.get("AffiliationInfo", []) if (t := _clean(info.get("Affiliation")))
            ),
        )
        for a in art.get("AuthorList", [])
    )


def _parse_pages(art: Any) -> str | None:
    return _clean(art.get("Pagination", {}).get("MedlinePgn"))


def _parse_pub_date(journal: Any) -> str | None:
    """'2018-06-03', '2018-06' or '2018'; MedlineDate ('2018 Nov-Dec') keeps its year."""
    date = journal.get("JournalIssue", {}).get("PubDate", {})
    if "Year" not in date:
        year = _parse_year(journal)
        return str(year) if year else None
    return _parse_date(date)


def _parse_year(journal: Any) -> int | None:
    return _parse_year_of(journal.get("JournalIssue", {}).get("PubDate", {}))


def _parse_year_of(date: Any) -> int | None:
    match = re.search(r"\d{4}", str(date.get("Year") or date.get("MedlineDate") or ""))
    return int(match.group()) if match else None


def _parse_date(date: Any) -> str | None:
    if not date or "Year" not in date:
        return None
    parts = [str(date["Year"])]
    month = str(date.get("Month", "")).strip()
    if month:
        number = _MONTHS.get(month[:3].lower()) or (int(month) if month.isdigit() else None)
        if number:
            parts.append(f"{number:02d}")
            day = str(date.get("Day", "")).strip()
            if day.isdigit():
                parts.append(f"{int(day):02d}")
    return "-".join(parts)


def _parse_entrez_date(pubmed_data: Any) -> str | None:
    for date in pubmed_data.get("History", []):
        if date.attributes.get("PubStatus") == "entrez":
            return _parse_date(date)
    return None


def _parse_mesh(citation: Any) -> tuple[MeshHeading, ...]:
    headings = []
    for heading in citation.get("MeshHeadingList", []):
        name = heading["DescriptorName"]
        qualifiers = tuple(
            MeshQualifier(str(q), q.attributes.get("UI"), q.attributes.get("MajorTopicYN") == "Y")
            for q in heading.get("QualifierName", [])
        )
        major = name.attributes.get("MajorTopicYN") == "Y" or any(q.major_topic for q in qualifiers)
        headings.append(MeshHeading(str(name), name.attributes.get("UI"), major, qualifiers))
    return tuple(headings)


def _parse_keywords(citation: Any) -> tuple[str, ...]:
    return tuple(text for group in citation.get("KeywordList", []) for k in group if (text := _clean(k)))


def _parse_comments_corrections(citation: Any) -> tuple[CommentCorrection, ...]:
    return tuple(
        CommentCorrection(
            c.attributes.get("RefType", ""),
            _clean(c.get("RefSource")),
            str(c["PMID"]) if c.get("PMID") else None,
        )
        for c in citation.get("CommentsCorrectionsList", [])
        if c.attributes.get("RefType") != "Cites"  # reference lists are not corrections
    )
