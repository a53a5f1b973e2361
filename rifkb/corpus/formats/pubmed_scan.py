"""PubMed baseline and update files read fast, for `rifkb scan`: per article only what a
prefilter needs (PMID, title, abstract), the article's XML on demand, and the PMIDs of
every `<DeleteCitation>`.

A baseline file holds ~30,000 articles of which a review corpus wants a handful, so the
full field parser (`pubmed_xml`, through Bio.Entrez, ~1–2k articles/s) runs only on the
articles kept. This reader is lxml's `iterparse` (C) with each article cleared once read,
so memory stays flat whatever the file's size. Title and abstract are cleaned exactly as
`pubmed_xml._clean` cleans them (markup dropped, entities resolved, white space folded),
and joined as `document_text` joins them: the prefilter reads the very text the pipeline
would read.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from lxml import etree

from rifkb.corpus.formats.base import tidy_reference
from rifkb.corpus.formats.pubmed_file import references_of_parts
from rifkb.corpus.formats.xml_parts import XmlPart, declared_encoding
from rifkb.errors import BadInputError
from rifkb.records import AbstractSection, Record
from rifkb.records.bibliographic import document_text

ROOT = "PubmedArticleSet"
_ARTICLES = ("PubmedArticle", "PubmedBookArticle")
_TAGS = (*_ARTICLES, "DeleteCitation")
# where each kind of article keeps its PMID, title (and the fallback title), abstract
_PLACES = {
    "PubmedArticle": (
        "MedlineCitation", "Article/ArticleTitle", "Article/VernacularTitle", "Article/Abstract",
    ),
    "PubmedBookArticle": ("BookDocument", "ArticleTitle", "Book/BookTitle", "Abstract"),
}  # fmt: skip


@dataclass(frozen=True)
class ScannedArticle:
    """One article as the prefilter sees it. `xml()` gives the article's XML, for the full
    parser, only while the reader has not moved past it."""

    tag: str
    pmid: str
    title: str | None
    abstract: tuple[AbstractSection, ...]
    xml: Callable[[], bytes]

    @property
    def text(self) -> str:
        """The text the pipeline reads (`document_text`): title, blank line, abstract."""
        return document_text(Record(title=self.title, abstract=self.abstract))[0]


@dataclass(frozen=True)
class Deletion:
    """A `<DeleteCitation>` of an update file: the PMIDs PubMed removed."""

    pmids: tuple[str, ...]


class PubmedScanner:
    """Iterate over a PubMed XML file (gzipped or not): ScannedArticle and Deletion items in
    file order. While it reads, `bytes_read` is how far into the file (as stored, so
    compressed) it has come, and after the end `sha256` is the file's digest."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.size = self.path.stat().st_size
        self._raw: _CountingReader | None = None
        self._head = b""

    @property
    def bytes_read(self) -> int:
        return self._raw.count if self._raw else 0

    @property
    def sha256(self) -> str:
        assert self._raw is not None, "read the file first"
        return self._raw.digest.hexdigest()

    def __iter__(self) -> Iterator[ScannedArticle | Deletion]:
        problem = None
        with open(self.path, "rb") as handle:
            self._raw = _CountingReader(handle)
            try:
                yield from self._items(_maybe_gzip(self._raw))
            except etree.XMLSyntaxError as exc:
                line = exc.position[0] if exc.position else "?"
                problem = (
                    encoding_problem(self.path, self._head)
                    or f"{self.path}:{line}: malformed XML ({exc.msg})"
                )
            except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
                problem = f"{self.path}: damaged gzip file ({exc})"
            else:
                self._raw.drain()
        if problem is not None:  # raised here, free of lxml's error (a task's error is pickled)
            raise BadInputError(problem)

    def _items(self, stream: Any) -> Iterator[ScannedArticle | Deletion]:
        self._head = stream.peek(_HEAD)[:_HEAD]  # what the XML declaration says, for an error
        events = etree.iterparse(
            stream, events=("end",), tag=_TAGS, remove_comments=True, remove_pis=True,
            resolve_entities=False, no_network=True, huge_tree=True,
        )  # fmt: skip
        checked = False
        for _, element in events:
            if not checked:
                self._check_root(element.getroottree().getroot().tag)
                checked = True
            if element.tag == "DeleteCitation":
                yield Deletion(tuple((p.text or "").strip() for p in element.iterfind("PMID")))
            else:
                yield _article(element)
            element.clear(keep_tail=False)
            while element.getprevious() is not None:  # what was read is let go of
                del element.getparent()[0]
        if not checked:
            root = getattr(events, "root", None)
            self._check_root(root.tag if root is not None else None)

    def _check_root(self, tag: str | None) -> None:
        if tag != ROOT:
            what = f"<{tag}>" if tag else "no XML element"
            raise BadInputError(f"{self.path}: not a PubMed file (its root is {what}, not <{ROOT}>)")


_HEAD = 1024
# Encodings in which "<PubmedArticleSet" is not its ASCII bytes.
_WIDE = ("utf-16", "utf16", "utf-32", "utf32", "ucs-2", "ucs2", "ucs-4", "ucs4", "iso-10646-ucs")


def encoding_problem(path: Path, head: bytes) -> str | None:
    """What is wrong with a file whose XML declaration names an encoding of two or four
    bytes a character (UTF-16, UTF-32) while its first bytes are ASCII (a UTF-8 file
    under a false declaration); None for any other file. libxml2 says only "Invalid
    bytes in character encoding" of it, `rifkb import` says this (pubmed_file)."""
    name = declared_encoding(head)
    if name and name.lower().startswith(_WIDE) and head.lstrip().startswith(b"<?xml"):
        return (
            f"{path}: the XML declaration names encoding {name!r}, which rifkb cannot read; "
            "re-save the file as UTF-8"
        )
    return None


def _article(element: Any) -> ScannedArticle:
    holder_path, title_path, fallback_path, abstract_path = _PLACES[element.tag]
    holder = element.find(holder_path)
    if holder is None:
        holder = element  # the full parser names what is missing, if the article is kept
    title = holder.find(title_path)
    if title is None or not (title.text or len(title)):
        title = holder.find(fallback_path)
    sections = []
    for part in holder.iterfind(f"{abstract_path}/AbstractText"):
        text = _clean(part)
        if text:
            sections.append(AbstractSection(text, part.get("Label"), part.get("NlmCategory")))
    return ScannedArticle(
        tag=element.tag,
        pmid=holder.findtext("PMID") or "",
        title=None if title is None else _clean(title),
        abstract=tuple(sections),
        xml=lambda: etree.tostring(element, encoding="utf-8", with_tail=False),
    )


def _clean(element: Any) -> str | None:
    """An element's text as `pubmed_xml._clean` has it: markup dropped (its text kept),
    entities resolved, runs of white space one space."""
    return " ".join("".join(element.itertext()).split()) or None


def records_of_xml(path: Path, articles: list[tuple[str, bytes]]) -> list[Record]:
    """Records of some articles' XML ((tag, bytes) as ScannedArticle gives them), parsed by
    the same field parser as `rifkb import`, so that a record scanned equals one imported."""
    records: list[Record] = []
    for start in range(0, len(articles), 500):
        parts = [XmlPart(tag, 0, data) for tag, data in articles[start : start + 500]]
        chunk = references_of_parts(path, parts, start, (ROOT, {}))
        records.extend(tidy_reference(ref).record for ref in chunk.references)
    return records


class _CountingReader(io.RawIOBase):
    """A file read through: counts and hashes the bytes as they pass."""

    def __init__(self, handle: BinaryIO):
        self.handle, self.count, self.digest = handle, 0, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.handle.readinto(buffer)
        if n:
            self.digest.update(memoryview(buffer)[:n])
            self.count += n
        return n or 0

    def drain(self) -> None:
        """Read what the parser left (after the root's end): the digest is of the file."""
        while block := self.handle.read(1 << 20):
            self.digest.update(block)
            self.count += len(block)


def _maybe_gzip(raw: _CountingReader) -> BinaryIO:
    stream = io.BufferedReader(raw, buffer_size=1 << 20)
    return gzip.GzipFile(fileobj=stream, mode="rb") if stream.peek(2)[:2] == b"\x1f\x8b" else stream
