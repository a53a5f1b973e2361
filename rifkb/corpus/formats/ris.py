"""RIS as reference managers and databases write it (EndNote, Zotero, Mendeley, Scopus,
Web of Science, Embase, Ovid, ProQuest, Rayyan), read line by line so that each reference
keeps its line: a reference without its closing `ER` (a file cut short) or without title
and identifier is skipped and named, never a reason to drop the file or to store a hollow
record. Written as the RIS specification asks: `TY` first, `ER` last, one tag per line.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path

from rifkb.corpus.formats.abstracts import split_structured_abstract
from rifkb.corpus.formats.base import NO_TITLE_OR_ID, Chunk, Reference, Skipped, split_lines
from rifkb.errors import BadInputError
from rifkb.records import Author, Record

_TAG_LINE = re.compile(r"([A-Z][A-Z0-9])  -(?:\s(.*))?$")
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}  # fmt: skip
PUBLICATION_TYPE_NOTE = "Publication type: "
# A record key as rifkb writes it in ID ('pmid:1', 'src:smith-2020'): the record's own id.
# Other tools' IDs ('369', 'Kassin1997') number references within one file only.
_RECORD_KEY = re.compile(r"[a-z][a-z0-9_-]*:\S+")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")  # control characters other than white space
Fields = dict[str, list[str]]


def read_ris(path: Path, text: str) -> Chunk:
    lines = split_lines(text)
    if not any(line.startswith("TY  -") for line in lines):
        raise BadInputError(f"{path}: not RIS (no 'TY  - ' line)")
    references: list[Reference] = []
    skipped: list[Skipped] = []
    for index, (start, fields, problem) in enumerate(_entries(lines), 1):
        record = None if problem else _ris_record(path, index, fields)
        if record is None:
            skipped.append(Skipped(path, start, problem or NO_TITLE_OR_ID))
        else:
            references.append(Reference(record, start))
    return Chunk(tuple(references), tuple(skipped))


def _entries(lines: list[str]) -> Iterator[tuple[int, Fields, str | None]]:
    """(first line, tag -> values, problem) of each reference, from TY to ER. Lines outside
    references (a '1.' header, blank lines) are ignored, and so are tags after an ER that
    name no reference (Ovid writes some there); a value's continuation lines are kept after
    a line break."""
    start, fields, last, has_type = 0, defaultdict(list), "", False
    for number, line in enumerate(lines, 1):
        match = _TAG_LINE.match(line)
        if match is None:
            if start and line.strip():
                fields[last][-1] += "\n" + line.strip()
            continue
        tag, value = match.group(1), (match.group(2) or "").strip()
        if tag in ("ER", "TY") and start:
            problem = "reference has no 'ER  -' line; skipped" if tag == "TY" else None
            if not has_type:
                problem = "reference has no 'TY  -' line; skipped"
            if has_type or _names_a_reference(fields):
                yield start, fields, problem
            start, fields, has_type = 0, defaultdict(list), False
        if tag == "ER":
            continue
        if not start:
            start, has_type = number, tag == "TY"
        fields[tag].append(value)
        last = tag
    if start and (has_type or _names_a_reference(fields)):
        yield start, fields, "reference is cut off (no 'ER  -' line); skipped"


def _names_a_reference(fields: Fields) -> bool:
    return any(fields.get(tag) for tag in ("TI", "T1", "DO", "AU", "A1"))


def _ris_record(path: Path, index: int, fields: Fields) -> Record | None:
    """The record of one reference; None when it has no title and no identifier."""

    def first(*tags: str) -> str | None:
        return next((" ".join(v.split()) for t in tags for v in fields.get(t, ()) if v.strip()), None)

    def many(*tags: str) -> list[str]:
        return [
            part.strip() for t in tags for v in fields.get(t, ()) for part in v.split("\n") if part.strip()
        ]

    title = first("TI", "T1", "CT", "ST")
    pmid, doi = _ris_pmid(fields, first), first("DO") or _doi_in(first("M3"))
    key = first("ID") if _RECORD_KEY.fullmatch(first("ID") or "") else None
    if not (title or pmid or doi or key):
        return None
    journal = first("JF", "T2", "JO", "JA", "J2")
    notes = many("N1")
    return Record(
        source_id=key or f"ris:{path.stem}:{index}",
        pmid=pmid,
        doi=doi,
        pmcid=next((v for v in many("C2") if re.fullmatch(r"PMC\d+", v)), None),
        title=title,
        abstract=split_structured_abstract("\n".join(fields.get("AB") or fields.get("N2") or ())),
        authors=tuple(_ris_author(a) for a in many("AU", "A1")),
        journal=journal,
        journal_iso=first("J2", "JA", "J1") or (jo if (jo := first("JO")) != journal else None),
        volume=first("VL", "VO"),
        issue=first("IS"),
        pages=_ris_pages(first("SP"), first("EP")),
        pub_date=_ris_date(first("DA"), first("PY", "Y1")),
        year=int(y.group()) if (y := re.search(r"\d{4}", first("PY", "Y1", "DA") or "")) else None,
        languages=tuple(many("LA")),
        publication_types=tuple(
            n.removeprefix(PUBLICATION_TYPE_NOTE) for n in notes if n.startswith(PUBLICATION_TYPE_NOTE)
        ),  # fmt: skip
        keywords=tuple(many("KW")),
    )


def _ris_pmid(fields: Fields, first) -> str | None:  # noqa: ANN001 - first() of _ris_record
    """The PMID where each database writes it: the accession number (AN) of records from
    PubMed (EndNote, rifkb), C2 in Scopus, C5 in Embase."""
    database = " ".join(fields.get("DB", []) + fields.get("DP", [])).lower()
    candidates = [("C2", "scopus"), ("C5", "embase")]
    if not database or any(name in database for name in ("pubmed", "medline", "nlm")):
        candidates.insert(0, ("AN", ""))
    for tag, name in candidates:
        value = first(tag)
        if value and name in database and re.fullmatch(r"\d{1,9}", value):
            return value
    return None


def _doi_in(text: str | None) -> str | None:
    return text if text and re.match(r"(?:https?://\S*?)?10\.\d{4,9}/", text) else None


def _ris_author(name: str) -> Author:
    """'Smith, Anna B.', Embase's 'Eloubeidi M.A.', or a group: RIS writes a person's name
    with a comma and a group's without one ('RIF Study Group'), as Zotero reads them."""
    author = Author.from_display(name)
    if "," not in name and author.initials is None and len(name.split()) > 1:
        return Author(collective_name=" ".join(name.split()))
    return author


def _ris_pages(start: str | None, end: str | None) -> str | None:
    if start and "-" in start:
        return start
    return "-".join(p for p in (start, end) if p) or None


def _ris_date(date: str | None, year_field: str | None) -> str | None:
    """'2018-06-03', '2018-06' or '2018' from DA ('2018/06/03/', '2019///', EndNote's 'Jun'
    beside PY); from PY alone only when it holds more than a year (the old 'PY 2018/06/03/')."""
    text = date or year_field or ""
    parts = re.match(r"(\d{4})(?:[/-](\d{1,2})?(?:[/-](\d{1,2}))?)?", text)
    year = parts.group(1) if parts else (re.search(r"\d{4}", year_field or "") or [None])[0]
    month = int(parts.group(2)) if parts and parts.group(2) else _MONTHS.get((date or "")[:3].lower())
    if not year or not (date or month):
        return None
    if not month or not 1 <= month <= 12:
        return year
    day = int(parts.group(3)) if parts and parts.group(3) else None
    return f"{year}-{month:02d}" + (f"-{day:02d}" if day and 1 <= day <= 31 else "")


# --- writing -------------------------------------------------------------------------------


def write_ris(records: Iterable[Record]) -> str:
    """Standard RIS: per reference, TY first, ER last, a blank line between references.
    The journal goes in T2 (its full title: Zotero's publicationTitle, EndNote's Secondary
    Title) and JO (its abbreviation, which Zotero reads JO as); the PMID in AN and the PMCID
    in C2, as EndNote files PubMed records; publication types in N1 notes."""
    return "".join(_ris_reference(r) for r in records)


def _ris_reference(r: Record) -> str:
    start, _, end = (r.pages or "").partition("-")
    date_parts = (r.pub_date or "").split("-")
    tags: list[tuple[str, str | None]] = [
        ("TY", "JOUR"),
        ("TI", r.title),
        *(("AU", _ris_name(a)) for a in r.authors),
        ("T2", r.journal),
        ("JO", r.journal_iso or r.journal),
        ("PY", str(r.year) if r.year else None),
        ("DA", "/".join((date_parts + ["", ""])[:3]) + "/" if r.pub_date else None),
        ("VL", r.volume), ("IS", r.issue), ("SP", start), ("EP", end),
        ("DO", r.doi), ("AN", r.pmid), ("C2", r.pmcid),
        *(("LA", lang) for lang in r.languages),
        ("AB", "\n".join(f"{s.label}: {s.text}" if s.label else s.text for s in r.abstract if s.text)),
        *(("KW", k) for k in (*r.keywords, *(m.descriptor for m in r.mesh))),
        *(("N1", PUBLICATION_TYPE_NOTE + t) for t in r.publication_types),
        ("N1", "RETRACTED" if r.retracted else None),
        ("ID", r.uid),
    ]  # fmt: skip
    lines = [f"{tag}  - {_one_line(value)}" for tag, value in tags if value and _one_line(value)]
    return "\n".join(lines) + "\nER  - \n\n"


def _one_line(value: str) -> str:
    """White space folded; an abstract's sections stay on lines of their own (continuation
    lines, as the specification allows and EndNote, Zotero and rispy read)."""
    value = _CONTROL.sub("", value)
    return "\n".join(" ".join(part.split()) for part in value.split("\n") if part.strip())


def _ris_name(a: Author) -> str:
    return a.collective_name or ", ".join(p for p in (a.last_name, a.fore_name or a.initials) if p)
