"""Read bibliographic files into `Record`s: PubMed XML (also gzipped), MEDLINE/.nbib,
RIS and JSON Lines. Each reader raises `BadInputError` naming the file (and line where
it can) for anything it cannot read; `import_files` stores every file of one call in a
single transaction, so a bad file leaves the store exactly as it was.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rifkb.errors import BadInputError
from rifkb.records import (
    AbstractSection,
    Author,
    CommentCorrection,
    MeshHeading,
    MeshQualifier,
    Record,
)
from rifkb.store import Provenance, Store, Upsert

FORMATS = ("pubmed-xml", "medline", "ris", "jsonl")
_SUFFIXES = {
    ".xml": "pubmed-xml", ".gz": "pubmed-xml", ".nbib": "medline", ".medline": "medline",
    ".txt": "medline", ".ris": "ris", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl",
}  # fmt: skip
# MEDLINE comment/correction fields (NLM, "MEDLINE/PubMed Data Element Descriptions").
_MEDLINE_CORRECTIONS = {
    "RIN": "RetractionIn", "ROF": "RetractionOf", "EIN": "ErratumIn", "EFR": "ErratumFor",
    "CIN": "CommentIn", "CON": "CommentOn", "UIN": "UpdateIn", "UOF": "UpdateOf",
}  # fmt: skip
_STRUCTURED_LABEL = re.compile(r"(?:(?<=^)|(?<=\s))([A-Z][A-Z &/,()-]{2,40}):\s")


@dataclass(frozen=True)
class ImportReport:
    path: Path
    format: str
    results: tuple[Upsert, ...]

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def merged(self) -> tuple[Upsert, ...]:
        return tuple(r for r in self.results if r.matched_on)


def import_files(store: Store, paths: list[Path], fmt: str | None = None) -> list[ImportReport]:
    """Read and store every file; all or nothing."""
    reports = []
    with store.transaction():
        for path in paths:
            kind = fmt or detect_format(path)
            results: list[Upsert] = []
            for chunk in read_records(path, kind):
                results.extend(store.add_records(chunk, Provenance("import", path.name)))
            reports.append(ImportReport(path, kind, tuple(results)))
    return reports


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
    raise BadInputError(f"{path}: unknown format; name it with --format ({', '.join(FORMATS)})")


def read_records(path: Path, fmt: str) -> Iterator[list[Record]]:
    """Records of one file, in chunks. Raises BadInputError for an unreadable file."""
    if fmt not in FORMATS:
        raise BadInputError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if path.stat().st_size == 0:
        raise BadInputError(f"{path}: empty file")
    if fmt == "pubmed-xml":
        from rifkb.pubmed import read_pubmed_xml_file

        found = False
        for chunk in read_pubmed_xml_file(path):
            found = found or bool(chunk)
            yield chunk
        if not found:
            raise BadInputError(f"{path}: no PubmedArticle in this file")
        return
    text = _read_text(path)
    reader = {"medline": _read_medline, "ris": _read_ris, "jsonl": _read_jsonl}[fmt]
    records = reader(path, text)
    if not records:
        raise BadInputError(f"{path}: no {fmt} records in this file")
    yield records


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


# --- JSON Lines -----------------------------------------------------------------------------


def _read_jsonl(path: Path, text: str) -> list[Record]:
    records = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInputError(f"{path}:{lineno}: not JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise BadInputError(f"{path}:{lineno}: a record must be a JSON object")
        if not any(obj.get(k) for k in ("pmid", "doi", "id", "source_id")):
            raise BadInputError(f"{path}:{lineno}: record has no pmid, doi or id")
        try:
            records.append(Record.from_json(obj))
        except (KeyError, TypeError) as exc:
            raise BadInputError(f"{path}:{lineno}: malformed record ({exc})") from None
    return records


# --- MEDLINE / .nbib ------------------------------------------------------------------------


def _read_medline(path: Path, text: str) -> list[Record]:
    from Bio import Medline  # Bio belongs to the PubMed layer; loaded only when needed

    if not re.search(r"^PMID- ", text, flags=re.M):
        raise BadInputError(f"{path}: not MEDLINE format (no 'PMID- ' line)")
    try:
        return [_medline_record(dict(m)) for m in Medline.parse(io.StringIO(text))]
    except (ValueError, KeyError) as exc:
        raise BadInputError(f"{path}: malformed MEDLINE record ({exc})") from None


def _medline_record(m: dict) -> Record:
    full_names = m.get("FAU") or []
    short_names = m.get("AU") or []
    authors = tuple(
        _medline_author(full, short_names[i] if i < len(short_names) else None)
        for i, full in enumerate(full_names or short_names)
    )
    return Record(
        pmid=m.get("PMID"),
        doi=_medline_id(m, "doi"),
        pmcid=m.get("PMC"),
        title=m.get("TI"),
        abstract=split_structured_abstract(m.get("AB", "")),
        authors=authors,
        journal=m.get("JT"),
        journal_iso=m.get("TA"),
        volume=m.get("VI"),
        issue=m.get("IP"),
        pages=m.get("PG"),
        pub_date=m.get("DP"),
        year=int(y.group()) if (y := re.search(r"\d{4}", m.get("DP", ""))) else None,
        languages=tuple(m.get("LA") or ()),
        publication_types=tuple(m.get("PT") or ()),
        mesh=tuple(_medline_mesh(h) for h in m.get("MH") or ()),
        keywords=tuple(m.get("OT") or ()),
        comments_corrections=tuple(
            CommentCorrection(kind, text, p.group(1) if (p := re.search(r"PMID: (\d+)", text)) else None)
            for tag, kind in _MEDLINE_CORRECTIONS.items()
            for text in m.get(tag) or ()
        ),
        revision_date=_medline_date(m.get("LR")),
        entrez_date=(m.get("EDAT") or "")[:10].replace("/", "-") or None,
    )


def _medline_author(full: str, short: str | None) -> Author:
    author = Author.from_display(full)
    if short and " " in short:
        return Author(author.last_name, author.fore_name, short.rsplit(" ", 1)[1])
    return author


def _medline_id(m: dict, kind: str) -> str | None:
    for value in [m.get("LID", ""), *(m.get("AID") or [])]:
        if value.endswith(f"[{kind}]"):
            return value[: -len(kind) - 2].strip()
    return None


def _medline_mesh(heading: str) -> MeshHeading:
    """'Immunoglobulins, Intravenous/*therapeutic use': '*' marks a major topic."""
    name, *quals = heading.split("/")
    qualifiers = tuple(MeshQualifier(q.lstrip("*"), None, q.startswith("*")) for q in quals)
    major = name.startswith("*") or any(q.major_topic for q in qualifiers)
    return MeshHeading(name.lstrip("*"), None, major, qualifiers)


def _medline_date(value: str | None) -> str | None:
    if value and re.fullmatch(r"\d{8}", value):
        return f"{value[:4]}-{value[4:6]}-{value[6:]}"
    return None


def split_structured_abstract(text: str) -> tuple[AbstractSection, ...]:
    """'BACKGROUND: ... METHODS: ...' as MEDLINE and RIS flatten PubMed's labelled sections."""
    text = text.strip()
    if not text:
        return ()
    marks = list(_STRUCTURED_LABEL.finditer(text))
    if not marks or marks[0].start() != 0:
        return (AbstractSection(text),)
    sections = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        sections.append(AbstractSection(text[mark.end() : end].strip(), mark.group(1)))
    return tuple(sections)


# --- RIS --------------------------------------------------------------------------------------


def _read_ris(path: Path, text: str) -> list[Record]:
    import rispy

    if not re.search(r"^TY  - ", text, flags=re.M):
        raise BadInputError(f"{path}: not RIS (no 'TY  - ' line)")
    try:
        entries = rispy.loads(text)
    except (OSError, ValueError, KeyError) as exc:
        raise BadInputError(f"{path}: malformed RIS ({exc})") from None
    return [_ris_record(path, i, e) for i, e in enumerate(entries, 1)]


def _ris_record(path: Path, index: int, e: dict) -> Record:
    pages = "-".join(p for p in (e.get("start_page"), e.get("end_page")) if p) or None
    accession = str(e.get("accession_number") or "")
    pmid = accession if accession.isdigit() else None
    year_text = str(e.get("year") or e.get("publication_year") or e.get("date") or "")
    year = re.search(r"\d{4}", year_text)
    title = e.get("title") or e.get("primary_title")
    if not (pmid or e.get("doi") or title):
        raise BadInputError(f"{path}: RIS entry {index} has no title, DOI or PMID")
    return Record(
        source_id=f"ris:{path.stem}:{index}",
        pmid=pmid,
        doi=e.get("doi"),
        title=title,
        abstract=split_structured_abstract(e.get("abstract") or ""),
        authors=tuple(Author.from_display(a) for a in e.get("authors") or e.get("first_authors") or ()),
        journal=e.get("journal_name") or e.get("secondary_title") or e.get("alternate_title3"),
        journal_iso=e.get("alternate_title1") or e.get("alternate_title2"),
        volume=e.get("volume"),
        issue=e.get("number"),
        pages=pages,
        year=int(year.group()) if year else None,
        languages=tuple(filter(None, [e.get("language")])),
        keywords=tuple(e.get("keywords") or ()),
    )
