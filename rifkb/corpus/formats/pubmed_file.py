"""PubMed XML files (an efetch answer, PubMed's baseline and update files, gzipped or not),
read a chunk of articles at a time in flat memory.

The file is cut into its articles' original bytes (`xml_parts`); each chunk goes through
the same `Entrez.read` field parser as the fetch path, so both read the same bytes the same
way. Every error names the file and the line (or the article) it is about.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.parsers import expat

from rifkb.corpus.formats.base import Chunk, Reference
from rifkb.corpus.formats.pubmed_xml import PARSE_ERRORS, parse_entrez, record_of
from rifkb.corpus.formats.xml_parts import (
    UnreadableEncoding,
    XmlPart,
    XmlSplitter,
    declared_encoding,
    split_parts,
    wrap,
)
from rifkb.errors import BadInputError

ARTICLES = ("PubmedArticle", "PubmedBookArticle")
# Roots of other XML that NCBI and others hand out, named in the refusal.
_OTHER_ROOTS = {
    "pmc-articleset": "a PMC full-text article set (efetch db=pmc), not PubMed XML; fetch the PMIDs "
    "from PubMed (db=pubmed)",
    "eSummaryResult": "an E-utilities esummary answer, which holds no abstracts; use efetch "
    "(rettype=xml) for PubMed XML",
    "eSearchResult": "an E-utilities esearch answer (PMIDs only); use efetch for PubMed XML",
    "MedlineCitationSet": "a MEDLINE citation set in the pre-2017 format, which rifkb does not "
    "read; fetch the PMIDs as PubMed XML",
    "PubmedArticle": "a single PubmedArticle without its PubmedArticleSet",
}
_TRUNCATED = {
    expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS],
    expat.errors.codes[expat.errors.XML_ERROR_UNCLOSED_TOKEN],
    expat.errors.codes[expat.errors.XML_ERROR_PARTIAL_CHAR],
    expat.errors.codes[expat.errors.XML_ERROR_UNCLOSED_CDATA_SECTION],
}
_NO_ELEMENTS = expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS]
_INVALID_TOKEN = expat.errors.codes[expat.errors.XML_ERROR_INVALID_TOKEN]


def read_pubmed_xml(path: Path, chunk_size: int = 500) -> Iterator[Chunk]:
    """The articles of a PubMed XML file (also .gz), a chunk at a time."""
    splitter = XmlSplitter()
    try:
        yield from _read_chunks(path, splitter, chunk_size)
    except expat.ExpatError as exc:
        raise BadInputError(_describe_xml_error(path, splitter, exc)) from None
    except UnreadableEncoding:
        name = declared_encoding(_head(path)) or "?"
        raise BadInputError(
            f"{path}: the XML declaration names encoding {name!r}, which rifkb cannot read; "
            "re-save the file as UTF-8"
        ) from None
    except LookupError:
        name = declared_encoding(_head(path)) or "?"
        raise BadInputError(
            f"{path}: unknown encoding {name!r} in the XML declaration; re-save the file as UTF-8"
        ) from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise BadInputError(f"{path}: damaged gzip file ({exc})") from None


def _read_chunks(path: Path, splitter: XmlSplitter, chunk_size: int) -> Iterator[Chunk]:
    with _open_maybe_gzip(path) as stream:
        chunk: list[XmlPart] = []
        number = 0  # articles so far, to name one that cannot be read
        for part in split_parts(stream, splitter):
            _check_root(path, splitter)
            if part.tag not in ARTICLES:
                continue  # DeleteCitation in update files: nothing to store
            chunk.append(part)
            if len(chunk) >= chunk_size:
                yield references_of_parts(path, chunk, number, _root(splitter))
                number, chunk = number + len(chunk), []
        _check_root(path, splitter)
        if chunk:
            yield references_of_parts(path, chunk, number, _root(splitter))


def _check_root(path: Path, splitter: XmlSplitter) -> None:
    if splitter.root is None:
        raise BadInputError(f"{path}: no XML element in this file")
    name = splitter.root[0]
    if name != "PubmedArticleSet":
        what = _OTHER_ROOTS.get(name, f"XML whose root is <{name}>, not a PubmedArticleSet")
        raise BadInputError(f"{path}: {what}")


def _root(splitter: XmlSplitter) -> tuple[str, dict[str, str]]:
    return splitter.root or ("PubmedArticleSet", {})


def references_of_parts(
    path: Path, parts: list[XmlPart], before: int, root: tuple[str, dict[str, str]]
) -> Chunk:
    """The records of some articles (`before` articles of the file came earlier), parsed
    under a root like the file's (`root`: name and attributes); an article that cannot be
    read is named by line."""
    name, attributes = root
    try:
        parsed = parse_entrez(wrap(parts, name, attributes))
    except PARSE_ERRORS:
        _name_unreadable(path, parts, before, name, attributes)
        raise
    elements = {tag: iter(parsed.get(tag, [])) for tag in ARTICLES}
    references = []
    for number, part in enumerate(parts, before + 1):
        element = next(elements[part.tag], None)
        if element is None:
            raise BadInputError(f"{path}:{part.line}: {part.tag} {number} cannot be read")
        try:
            references.append(Reference(record_of(part.tag, element), part.line))
        except KeyError as exc:
            pmid = _pmid(element)
            which = f"{part.tag} {number}" + (f" (PMID {pmid})" if pmid else "")
            raise BadInputError(f"{path}:{part.line}: {which} has no <{exc.args[0]}>") from None
    return Chunk(tuple(references))


def _name_unreadable(path: Path, parts: list[XmlPart], before: int, name: str, attrs: dict) -> None:
    """Parse the articles one by one to name the one Bio.Entrez refused."""
    for number, part in enumerate(parts, before + 1):
        try:
            parse_entrez(wrap([part], name, attrs))
        except PARSE_ERRORS as exc:
            raise BadInputError(f"{path}:{part.line}: {part.tag} {number} cannot be read ({exc})") from None


def _pmid(element: Any) -> str | None:
    for holder in ("MedlineCitation", "BookDocument"):
        part = element.get(holder)
        if isinstance(part, dict) and part.get("PMID"):
            return str(part["PMID"])
    return None


def _describe_xml_error(path: Path, splitter: XmlSplitter, exc: expat.ExpatError) -> str:
    where = f"{path}:{exc.lineno}"
    if splitter.root is None and exc.code == _NO_ELEMENTS:
        return f"{path}: no XML element in this file"
    if exc.code in _TRUNCATED:
        return f"{where}: malformed XML: the file ends inside an element (cut off?); nothing imported"
    if exc.code == _INVALID_TOKEN and splitter.encoding in ("utf-8", "utf8"):
        byte = splitter.offending_byte()
        if byte is not None:
            return (
                f"{where}: not UTF-8 (byte 0x{byte:02x}), and the XML declaration names no other "
                "encoding; re-save the file as UTF-8 or declare its encoding (Latin-1: ISO-8859-1)"
            )
    return f"{where}: malformed XML ({expat.errors.messages[exc.code]}, column {exc.offset + 1})"


def _head(path: Path) -> bytes:
    with _open_maybe_gzip(path) as stream:
        return stream.read(512)


def _open_maybe_gzip(path: Path) -> io.BufferedIOBase:
    with open(path, "rb") as probe:
        magic = probe.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")
