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

Most files are read faster still: a file whose head is PubMed's own (UTF-8, no internal
DTD subset, a bare `<PubmedArticleSet>`) is checked well-formed by libxml2 with no tree
built (a parser target that keeps nothing, ~4x faster than building one), and its
articles are cut out of the bytes between their tags; an article of plain text (no
markup, comments or unusual entities in its title and abstract, its parts where the DTD
puts them) is read from its bytes, any other through lxml as above. Anything a file has
that the byte reader does not expect (a comment between articles, a byte that is not
UTF-8, an error the check finds) makes the scanner read the file again the lxml way,
from its start, passing over the items given already: the same items, in the same
order, and the same error, whichever way a file is read.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import itertools
import re
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

    def __init__(self, path: Path, fast: bool = True):
        self.path = Path(path)
        self.size = self.path.stat().st_size
        self.fast = fast
        # how the items were read: from their bytes, through lxml; and whether the file
        # was read again the lxml way (what the byte reader did not expect)
        self.read_as_bytes = self.read_by_lxml = 0
        self.read_again = False
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
        given = 0
        if self.fast:
            try:
                for item in self._read(self._byte_items):
                    given += 1
                    yield item
                return
            except _NotPlain:
                self.read_again = True
        for item in itertools.islice(self._read(self._items), given, None):
            yield item

    def _read(self, items: Callable[[Any], Iterator[ScannedArticle | Deletion]]) -> Iterator:
        problem = None
        with open(self.path, "rb") as handle:
            self._raw = _CountingReader(handle)
            try:
                yield from items(_maybe_gzip(self._raw))
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

    def _byte_items(self, stream: Any) -> Iterator[ScannedArticle | Deletion]:
        """The items of a file with PubMed's own head, cut out of its bytes (`_NotPlain`
        for anything else, or anything unexpected on the way)."""
        head = stream.peek(_HEAD)[:_HEAD]
        opened = _PLAIN_HEAD.match(head)
        if opened is None or (declared_encoding(head) or "utf-8").lower() not in ("utf-8", "utf8"):
            raise _NotPlain
        check = etree.XMLParser(
            target=_KeepNothing(), resolve_entities=False, no_network=True, huge_tree=True
        )  # well-formedness in C, no tree: an error found, the lxml reader says it
        pending, start = b"", opened.end()
        try:
            while block := stream.read(_BLOCK):
                check.feed(block)
                pending += block
                items, start = self._cut(pending, start)
                yield from items
                pending, start = pending[start:], 0
            check.close()
        except (etree.XMLSyntaxError, UnicodeDecodeError):
            raise _NotPlain from None
        if pending[start:].strip() != b"</PubmedArticleSet>":
            raise _NotPlain

    def _cut(self, data: bytes, start: int) -> tuple[list[ScannedArticle | Deletion], int]:
        """The whole items in data from start, and where the first incomplete one begins."""
        items: list[ScannedArticle | Deletion] = []
        while (found := _ITEM_START.search(data, start)) is not None:
            if data[start : found.start()].strip():
                raise _NotPlain  # text, a comment or another element between items
            tag = found.group(1)
            end = data.find(b"</" + tag + b">", found.end())
            if end < 0:
                break
            end += len(tag) + 3
            article = _plain_article(data[found.start() : end]) if tag == b"PubmedArticle" else None
            if article is None:
                article = _lxml_item(data[found.start() : end])
                self.read_by_lxml += 1
            else:
                self.read_as_bytes += 1
            items.append(article)
            start = end
        return items, start

    def _items(self, stream: Any) -> Iterator[ScannedArticle | Deletion]:
        self._head = stream.peek(_HEAD)[:_HEAD]  # what the XML declaration says, for an error
        events = etree.iterparse(stream, events=("end",), tag=_TAGS, **_PARSING)
        checked = False
        for _, element in events:
            if not checked:
                self._check_root(element.getroottree().getroot().tag)
                checked = True
            yield _item(element)
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
# how both lxml readings parse (a whole file, one article cut out of one)
_PARSING = {
    "remove_comments": True, "remove_pis": True, "resolve_entities": False, "no_network": True,
    "huge_tree": True,
}  # fmt: skip

_BLOCK = 1 << 20
# PubMed's own head: a UTF-8 declaration, a DOCTYPE with no internal subset (so no
# entity of its own), a root with no attribute (so no namespace bound above an article)
_PLAIN_HEAD = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*(?:<\?xml\s[^<>]*\?>)?\s*(?:<!DOCTYPE\s+PubmedArticleSet\b[^<>\[]*>)?"
    rb"\s*<PubmedArticleSet>"
)
_ITEM_START = re.compile(rb"<(PubmedArticle|PubmedBookArticle|DeleteCitation)(?=[\s>/])")


class _NotPlain(Exception):
    """What the byte reader does not expect: the file is read the lxml way."""


class _KeepNothing:
    """A parser target with no callback: libxml2 checks the XML and builds nothing."""

    def close(self) -> None:
        return None


_LXML_ITEM = etree.XMLParser(**_PARSING)


def _lxml_item(data: bytes) -> ScannedArticle | Deletion:
    """One item read as the lxml reader reads it (so, equal to what it gives)."""
    try:
        element = etree.fromstring(data, _LXML_ITEM)
    except etree.XMLSyntaxError:
        raise _NotPlain from None  # a CDATA holding an end tag, say: the lxml reader reads it
    return _item(element)


def _item(element: Any) -> ScannedArticle | Deletion:
    if element.tag == "DeleteCitation":
        return Deletion(tuple((p.text or "").strip() for p in element.iterfind("PMID")))
    return _article(element)


# An article read from its bytes: its PMID first in MedlineCitation, one Article holding
# one ArticleTitle and at most one Abstract, as PubMed's DTD has them; text without markup.
_PMID_FIRST = re.compile(
    rb"<PubmedArticle>\s*<MedlineCitation(?:\s[^<>]*)?>\s*<PMID(?:\s[^<>]*)?>([^<&]*)</PMID>"
)
_ARTICLE = re.compile(rb"<Article[\s>]")
_TITLE = re.compile(rb"<ArticleTitle(?:\s[^<>/]*)?>([^<]*)</ArticleTitle>")
_VERNACULAR = re.compile(rb"<VernacularTitle(?:\s[^<>/]*)?>([^<]*)</VernacularTitle>")
_ABSTRACT = re.compile(rb"<Abstract[\s>/]")
_ATTRIBUTE = re.compile(rb"\s([\w.:-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_ENTITY = re.compile(r"&(?:(amp|lt|gt|quot|apos)|#(\d+)|#x([0-9a-fA-F]+));")
_NORMALISED = re.compile(rb"[&<\t\n\r]")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


def _plain_article(data: bytes) -> ScannedArticle | None:
    """A PubmedArticle of plain text read from its bytes; None for any other (lxml reads
    it): markup, a comment, an unusual entity or attribute, a part not where it should be.
    Only the Article is searched (the bulk of a record, its authors, MeSH terms and
    references, comes after it)."""
    # every tag starts with "<", so "<!" is slow to look for: only where "!" is (memchr)
    if (b"!" in data and b"<!" in data) or (b"?" in data and b"<?" in data):
        return None
    pmid = _PMID_FIRST.match(data)
    article = _ARTICLE.search(data, pmid.end()) if pmid else None
    end = data.find(b"</Article>", article.end()) if article else -1
    if article is None or not 0 <= end < data.find(b"</MedlineCitation>", end):
        return None
    title = _TITLE.match(data, data.find(b"<ArticleTitle", article.end(), end))
    if title is None or data.find(b"<ArticleTitle", title.end(), end) >= 0:
        return None  # no title, or two, or markup in it
    if not title.group(1):  # an empty title: the vernacular one is read, if any
        first = data.find(b"<VernacularTitle", article.end(), end)
        title = _VERNACULAR.match(data, first) if first >= 0 else None
        if first >= 0 and (title is None or data.find(b"<VernacularTitle", title.end(), end) >= 0):
            return None
    sections: list[AbstractSection] = []
    abstract = _ABSTRACT.search(data, article.end(), end)
    if abstract:
        inside = data.find(b">", abstract.start()) + 1
        close = data.find(b"</Abstract>", inside, end)
        if close < 0 or _ABSTRACT.search(data, close, end):
            return None
        at = data.find(b"<AbstractText", inside, close)
        while at >= 0:
            opened = data.find(b">", at, close)
            shut = data.find(b"</AbstractText>", opened, close)
            if opened < 0 or shut < 0 or data.find(b"<", opened, shut) >= 0:
                return None  # markup inside, an empty <AbstractText/>
            attributes = _label_and_category(data[at + 13 : opened])
            text = _plain_text(data[opened + 1 : shut])
            if attributes is None or text is _UNUSUAL:
                return None
            if text:
                sections.append(AbstractSection(text, *attributes))
            at = data.find(b"<AbstractText", shut + 15, close)
    title_text = None if title is None else _plain_text(title.group(1))
    if title_text is _UNUSUAL:
        return None
    return ScannedArticle(
        tag="PubmedArticle",
        pmid=pmid.group(1).decode("utf-8"),
        title=title_text,
        abstract=tuple(sections),
        xml=lambda: data,
    )


_UNUSUAL = "\0unusual"


def _plain_text(data: bytes) -> str | None:
    """Text without markup as `_clean` has it (entities resolved, white space folded);
    _UNUSUAL for an entity other than XML's five and character references."""
    text = data.decode("utf-8")
    if "&" in text:
        if "&" in _ENTITY.sub("", text):
            return _UNUSUAL
        try:
            text = _ENTITY.sub(_entity, text)
        except (ValueError, OverflowError):  # beyond Unicode: libxml2 has refused it already
            return _UNUSUAL
    return " ".join(text.split()) or None


def _entity(match: re.Match[str]) -> str:
    named, decimal, hexadecimal = match.groups()
    if named:
        return _NAMED[named]
    return chr(int(decimal) if decimal else int(hexadecimal, 16))


@functools.lru_cache(maxsize=1024)
def _label_and_category(data: bytes) -> tuple[str | None, str | None] | None:
    """Label and NlmCategory of an AbstractText's start tag (a few dozen kinds recur:
    kept); None when an attribute needs XML's normalising (an entity, white space other
    than spaces), which lxml does."""
    found = {}
    for match in _ATTRIBUTE.finditer(data):
        value = match.group(2) if match.group(2) is not None else match.group(3)
        if _NORMALISED.search(value):
            return None
        found[match.group(1).decode("utf-8")] = value.decode("utf-8")
    if _ATTRIBUTE.sub(b"", data).strip():
        return None
    return found.get("Label"), found.get("NlmCategory")


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
