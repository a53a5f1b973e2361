"""An XML document cut into the original bytes of its top-level elements (the articles of
a PubmedArticleSet), each with the line it starts on, in flat memory.

Each article reaches the field parser exactly as the file has it. Re-serialising it with
ElementTree instead renames namespace prefixes (MathML's `mml:` becomes `ns0:`), which
Bio.Entrez refuses: one formula in one abstract then sank a whole baseline file.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO
from xml.parsers import expat
from xml.sax.saxutils import quoteattr

_UTF8 = {"utf-8", "utf8", "us-ascii", "ascii"}


class UnreadableEncoding(LookupError):
    """The XML declaration names an encoding expat cannot read (UTF-32, Shift_JIS...),
    often one the bytes are not even in."""


@dataclass(frozen=True)
class XmlPart:
    """One top-level element: its name, the line it starts on, its bytes as UTF-8."""

    tag: str
    line: int
    data: bytes


class XmlSplitter:
    """Feed a document block by block; each `feed` returns the elements it completed.
    `root` (name and attributes) is known after the first block that holds the root tag."""

    def __init__(self) -> None:
        self.parser = expat.ParserCreate()
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.XmlDeclHandler = self._declaration
        self.root: tuple[str, dict[str, str]] | None = None
        self.encoding = "utf-8"
        self.buffer = bytearray()
        self._base = 0  # document offset of buffer[0]
        self._depth = 0
        self._mark = 0  # offset of the last tag expat reported: nothing before it is needed
        self._open: tuple[str, int, int] | None = None  # name, line, offset of an open element
        self._done: list[XmlPart] = []

    def feed(self, block: bytes, final: bool = False) -> list[XmlPart]:
        self.buffer += block
        try:
            self.parser.Parse(block, final)
        except ValueError as exc:  # expat reads no multi-byte encoding but UTF-8/16 (UTF-32 ...)
            raise UnreadableEncoding(str(exc)) from None
        done, self._done = self._done, []
        keep = min(self._open[2] if self._open else self._mark, self._mark)
        if keep > self._base:
            del self.buffer[: keep - self._base]
            self._base = keep
        return done

    def offending_byte(self) -> int | None:
        """The first byte of the unfinished element that is not valid in the document's
        encoding, for an error that says 'encoding' rather than 'malformed XML'."""
        try:
            codecs.decode(bytes(self.buffer), self.encoding)
        except UnicodeDecodeError as exc:
            return self.buffer[exc.start]
        except LookupError:
            return None
        return None

    def _declaration(self, _version: str, encoding: str | None, _standalone: int) -> None:
        self.encoding = (encoding or "utf-8").lower()

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        self._depth += 1
        self._mark = self.parser.CurrentByteIndex
        if self._depth == 1:
            self.root = (name, attributes)
        elif self._depth == 2:
            self._open = (name, self.parser.CurrentLineNumber, self._mark)

    def _end(self, name: str) -> None:
        self._depth -= 1
        self._mark = self.parser.CurrentByteIndex
        if self._depth == 1 and self._open:
            _, line, start = self._open
            end = self.buffer.index(b">", self._mark - self._base) + 1 + self._base
            data = bytes(self.buffer[start - self._base : end - self._base])
            if self.encoding not in _UTF8:
                data = data.decode(self.encoding).encode("utf-8")
            self._done.append(XmlPart(name, line, data))
            self._open = None
            self._mark = end


def split_parts(stream: BinaryIO, splitter: XmlSplitter, block_size: int = 1 << 20) -> Iterator[XmlPart]:
    """Every top-level element of the document in `stream`, in order."""
    while block := stream.read(block_size):
        yield from splitter.feed(block)
    yield from splitter.feed(b"", final=True)


def declared_encoding(head: bytes) -> str | None:
    """The encoding an XML declaration names, if any."""
    match = re.match(rb"\s*(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)", head)
    return match.group(1).decode("ascii", "replace") if match else None


def wrap(parts: list[XmlPart], root: str, attributes: dict[str, str]) -> bytes:
    """The parts as one UTF-8 document under a root like the original one, keeping its
    namespace declarations (a prefix declared on the root stays bound)."""
    declared = "".join(
        f" {k}={quoteattr(v)}"
        for k, v in sorted(attributes.items())
        if k == "xmlns" or k.startswith("xmlns:")
    )
    head = f'<?xml version="1.0" encoding="utf-8"?>\n<{root}{declared}>\n'.encode()
    return head + b"\n".join(p.data for p in parts) + f"\n</{root}>\n".encode()
