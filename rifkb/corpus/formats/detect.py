"""Which format a file is in, read from its content: EndNote and Web of Science save RIS as
`.txt`, a download may have no extension at all, and a BOM may come first. The extension
is only a hint, for content too short or too odd to tell. Formats rifkb does not read are
named in the refusal, with what to export instead."""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

from rifkb.errors import BadInputError

READ_FORMATS = ("pubmed-xml", "medline", "ris", "jsonl")
_SUFFIXES = {
    ".xml": "pubmed-xml", ".gz": "pubmed-xml", ".nbib": "medline", ".medline": "medline",
    ".txt": "medline", ".ris": "ris", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
}  # fmt: skip
_RIS = re.compile(r"^TY  -", re.M)
# MEDLINE's tags are padded to four characters; these never occur in RIS (TA and DP do).
_MEDLINE = re.compile(r"^(?:PMID|FAU |OWN |STAT|DCOM|LID |AID |JT  |PG  |EDAT|PST )- ", re.M)
_OVID = re.compile(r"^<\d+\.\s*>\s*$|VN  - Ovid Technologies", re.M)
_WOS = re.compile(r"^FN (?:Clarivate|Thomson)|^PT [A-Z]\s*$", re.M)
_BIBTEX = re.compile(r"^\s*@[A-Za-z]+\s*[{(]", re.M)
_NOT_READ = (
    (_OVID, "Ovid tagged text (Ovid's own export), which rifkb does not read; export from Ovid as RIS"),
    (_WOS, "Web of Science tagged text, which rifkb does not read; export from Web of Science as "
     "RIS ('Other file formats', 'RefWorks' or 'EndNote')"),
)  # fmt: skip


def check_path(path: Path) -> None:
    """Refuse, in one line, a path that is not a readable file."""
    if path.is_dir():
        raise BadInputError(f"{path}: is a folder; name the files in it (for example {path}/*.ris)")
    if not path.is_file():
        raise BadInputError(f"{path}: no such file")


def detect_format(path: Path) -> str:
    """The format of a file, from its content first and its name second."""
    check_path(path)
    if path.stat().st_size == 0:
        raise BadInputError(f"{path}: empty file")
    found = _sniff(path, _head(path))
    if found:
        return found
    by_name = _SUFFIXES.get(path.suffix.lower())
    if by_name:
        return by_name
    raise BadInputError(f"{path}: unknown format; name it with --format ({', '.join(READ_FORMATS)})")


def _sniff(path: Path, head: bytes) -> str | None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise BadInputError(f"{path}: UTF-16 text, which rifkb does not read; re-save the file as UTF-8")
    text = head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", errors="replace")
    start = text.lstrip()
    for pattern, what in _NOT_READ:
        if pattern.search(text):
            raise BadInputError(f"{path}: {what}")
    if start.startswith("<"):
        return "pubmed-xml"
    if start.startswith("{"):
        return "jsonl"
    if re.match(r"\[\s*\{", start):
        raise BadInputError(
            f"{path}: a JSON array (CSL-JSON?), not JSON Lines; rifkb reads one JSON object per line"
        )
    if _RIS.search(text):
        return "ris"
    if _MEDLINE.search(text):
        return "medline"
    if _BIBTEX.match(text):
        raise BadInputError(f"{path}: BibTeX, which rifkb does not import; export the references as RIS")
    return None


def _head(path: Path, size: int = 1 << 16) -> bytes:
    """The first bytes of the file's content (of the content inside, when gzipped)."""
    with open(path, "rb") as stream:
        head = stream.read(size)
    if not head.startswith(b"\x1f\x8b"):
        return head
    try:
        with gzip.open(path, "rb") as stream:
            return stream.read(size)
    except (gzip.BadGzipFile, EOFError, zlib.error, OSError) as exc:
        raise BadInputError(f"{path}: damaged gzip file ({exc})") from None
