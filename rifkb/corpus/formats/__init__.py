"""Bibliographic file formats, each a module with `read_*` and/or `write_*` functions:
PubMed XML (also gzipped), MEDLINE/.nbib, RIS, JSON Lines, BibTeX and CSV. Readers
raise `BadInputError` naming the file (and line where they can) for anything they cannot
read; writers return the text of a whole bibliography, deterministic for the same records.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from rifkb.corpus.formats.bibtex import write_bibtex
from rifkb.corpus.formats.csv_table import write_csv
from rifkb.corpus.formats.jsonl import read_jsonl, write_jsonl
from rifkb.corpus.formats.medline import read_medline
from rifkb.corpus.formats.pubmed_xml import read_pubmed_xml
from rifkb.corpus.formats.ris import read_ris, write_ris
from rifkb.errors import BadInputError
from rifkb.records import Record

READ_FORMATS = ("pubmed-xml", "medline", "ris", "jsonl")
WRITE_FORMATS = ("ris", "bibtex", "csv", "jsonl")
_SUFFIXES = {
    ".xml": "pubmed-xml", ".gz": "pubmed-xml", ".nbib": "medline", ".medline": "medline",
    ".txt": "medline", ".ris": "ris", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
}  # fmt: skip
_WRITERS = {"ris": write_ris, "bibtex": write_bibtex, "csv": write_csv, "jsonl": write_jsonl}


def detect_format(path: Path) -> str:
    """From the name, else from the first bytes."""
    if not path.is_file():
        raise BadInputError(f"{path}: no such file")
    by_name = _SUFFIXES.get(path.suffix.lower())
    if by_name:
        return by_name
    head = path.read_bytes()[:512].lstrip()
    if head.startswith(b"\x1f\x8b") or head.startswith(b"<"):
        return "pubmed-xml"
    if head.startswith(b"{"):
        return "jsonl"
    if head.startswith(b"TY  -"):
        return "ris"
    if head.startswith(b"PMID-"):
        return "medline"
    raise BadInputError(f"{path}: unknown format; name it with --format ({', '.join(READ_FORMATS)})")


def read_records(path: Path, fmt: str) -> Iterator[list[Record]]:
    """Records of one file, in chunks. Raises BadInputError for an unreadable file."""
    if fmt not in READ_FORMATS:
        raise BadInputError(f"unknown format {fmt!r}; choose one of {', '.join(READ_FORMATS)}")
    if path.stat().st_size == 0:
        raise BadInputError(f"{path}: empty file")
    if fmt == "pubmed-xml":
        found = False
        for chunk in read_pubmed_xml(path):
            found = found or bool(chunk)
            yield chunk
        if not found:
            raise BadInputError(f"{path}: no PubmedArticle in this file")
        return
    text = _read_text(path)
    reader = {"medline": read_medline, "ris": read_ris, "jsonl": read_jsonl}[fmt]
    records = reader(path, text)
    if not records:
        raise BadInputError(f"{path}: no {fmt} records in this file")
    yield records


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
