"""Bibliographic file formats, each a module with `read_*` and/or `write_*` functions:
PubMed XML (also gzipped), MEDLINE/.nbib, RIS, JSON Lines in; RIS, BibTeX, CSL-JSON, CSV
and JSON Lines out. Readers hand back `Chunk`s: the references read, each with its line,
and the references skipped, each with its line and reason; they raise `BadInputError`,
naming the file (and line where they can), for a file they cannot read as a whole.
Writers return the text of a whole bibliography, deterministic for the same records.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from rifkb.corpus.formats.base import Chunk, Reference, Skipped, tidy_reference
from rifkb.corpus.formats.bibtex import write_bibtex
from rifkb.corpus.formats.csl_json import write_csl_json
from rifkb.corpus.formats.csv_table import write_csv
from rifkb.corpus.formats.detect import READ_FORMATS, check_path, detect_format
from rifkb.corpus.formats.jsonl import read_jsonl, write_jsonl
from rifkb.corpus.formats.medline import read_medline
from rifkb.corpus.formats.pubmed_file import read_pubmed_xml
from rifkb.corpus.formats.ris import read_ris, write_ris
from rifkb.errors import BadInputError
from rifkb.records import Record

__all__ = [
    "READ_FORMATS", "WRITE_FORMATS", "Chunk", "Reference", "Skipped", "check_path", "detect_format",
    "read_records", "read_references", "write_records",
]  # fmt: skip

_WRITERS = {
    "ris": write_ris, "bibtex": write_bibtex, "csl-json": write_csl_json, "csv": write_csv,
    "jsonl": write_jsonl,
}  # fmt: skip
WRITE_FORMATS = tuple(_WRITERS)


def read_references(path: Path, fmt: str) -> Iterator[Chunk]:
    """The references of one file, in chunks, with those skipped and why.
    Raises BadInputError for a file that cannot be read as a whole."""
    if fmt not in READ_FORMATS:
        raise BadInputError(f"unknown format {fmt!r}; choose one of {', '.join(READ_FORMATS)}")
    check_path(path)
    if path.stat().st_size == 0:
        raise BadInputError(f"{path}: empty file")
    if fmt == "pubmed-xml":
        chunks: Iterable[Chunk] = read_pubmed_xml(path)
    else:
        reader = {"medline": read_medline, "ris": read_ris, "jsonl": read_jsonl}[fmt]
        chunks = [reader(path, _read_text(path))]
    found = False
    for chunk in chunks:
        found = found or bool(chunk.references or chunk.skipped)
        yield Chunk(tuple(tidy_reference(ref) for ref in chunk.references), chunk.skipped)
    if not found:
        what = "PubmedArticle" if fmt == "pubmed-xml" else f"{fmt} records"
        raise BadInputError(f"{path}: no {what} in this file")


def read_records(path: Path, fmt: str) -> Iterator[list[Record]]:
    """The records of a file known to be whole, in chunks: a reference that would be
    skipped is an error here (`read_references` skips and names it instead)."""
    for chunk in read_references(path, fmt):
        if chunk.skipped:
            raise BadInputError(str(chunk.skipped[0]))
        yield chunk.records


def write_records(records: Iterable[Record], fmt: str) -> str:
    """The records as one bibliography file's text, in key order as given."""
    if fmt not in _WRITERS:
        raise BadInputError(f"unknown format {fmt!r}; choose one of {', '.join(WRITE_FORMATS)}")
    return _WRITERS[fmt](list(records))


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise BadInputError(f"{path}: binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise BadInputError(
            f"{path}:{line}: not UTF-8 (byte 0x{data[exc.start]:02x}); re-save the file as UTF-8"
        ) from None
