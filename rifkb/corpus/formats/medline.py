"""MEDLINE / .nbib, as PubMed exports it ('Send to: Citation manager', 'Format: PubMed').

Read line by line (the format is a tag padded to four characters, '- ', the value, and
continuation lines indented by six spaces; records are separated by a blank line), so that
every record keeps its line and every repeated field its values: PubMed writes two `LID`
lines (pii and doi), which Biopython's reader joins into one. A record without PMID and
DOI, or cut off at the end of a truncated file, is skipped and named.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from rifkb.corpus.formats.abstracts import split_structured_abstract
from rifkb.corpus.formats.base import Chunk, Reference, Skipped, split_lines
from rifkb.errors import BadInputError
from rifkb.records import Author, CommentCorrection, MeshHeading, MeshQualifier, Record

# MEDLINE comment/correction fields (NLM, "MEDLINE/PubMed Data Element Descriptions").
_MEDLINE_CORRECTIONS = {
    "RIN": "RetractionIn", "ROF": "RetractionOf", "EIN": "ErratumIn", "EFR": "ErratumFor",
    "CIN": "CommentIn", "CON": "CommentOn", "UIN": "UpdateIn", "UOF": "UpdateOf",
}  # fmt: skip
_FIELD = re.compile(r"([A-Z][A-Z0-9]{1,3}) *-(?: (.*)|\s*)$")
# Tags of PubMed's MEDLINE format that RIS does not have: a file with none is not MEDLINE.
_MEDLINE_TAGS = frozenset(
    ("PMID", "OWN", "STAT", "DCOM", "LR", "FAU", "LID", "AID", "JT", "PG", "SO", "EDAT", "PST")
)
Fields = list[tuple[str, str]]  # (tag, value) in file order


def read_medline(path: Path, text: str) -> Chunk:
    lines = split_lines(text)
    blocks = list(_blocks(lines))
    if not any(tag in _MEDLINE_TAGS for _, fields, _ in blocks for tag, _ in fields):
        raise BadInputError(f"{path}: not MEDLINE format (no 'PMID- ' line)")
    sources = sum(1 for _, fields, _ in blocks if any(tag == "SO" for tag, _ in fields))
    references, skipped = [], []
    for i, (start, fields, problem) in enumerate(blocks):
        if i == len(blocks) - 1:
            problem = _cut_off(fields, sources, ends_with_newline=text.endswith(("\n", "\r"))) or problem
        record = None if problem else _medline_record(fields)
        if record is None:
            skipped.append(Skipped(path, start, problem or "record has no PMID and no DOI; skipped"))
        else:
            references.append(Reference(record, start))
    return Chunk(tuple(references), tuple(skipped))


def _blocks(lines: list[str]) -> Iterator[tuple[int, Fields, str | None]]:
    """(first line, fields, problem) of each record; records end at an empty line."""
    start, fields, problem = 0, [], None
    for number, line in enumerate([*lines, ""], 1):
        if not line:
            if start:
                yield start, fields, problem
            start, fields, problem = 0, [], None
            continue
        start = start or number
        match = _FIELD.match(line)
        if match:
            fields.append((match.group(1), (match.group(2) or "").strip()))
        elif line[:1].isspace() and fields:
            if line.strip():
                tag, value = fields[-1]
                fields[-1] = (tag, f"{value} {line.strip()}".strip())
        elif line.strip():
            problem = problem or f"line {number} is not a MEDLINE field; record skipped"


def _cut_off(fields: Fields, sources: int, ends_with_newline: bool) -> str | None:
    """Why the file's last record looks cut off, if it does. PubMed writes SO (source)
    last in every record, ending with a full stop; a file cut short loses it, or ends
    inside a line."""
    source = next((value for tag, value in fields if tag == "SO"), None)
    if source is None and sources:
        return "record is cut off (no SO line, which PubMed writes last); skipped"
    if not ends_with_newline and not (source and fields[-1][0] == "SO" and source.endswith(".")):
        return "record is cut off (the file ends inside it); skipped"
    return None


def _medline_record(fields: Fields) -> Record | None:
    """The record of one MEDLINE record; None when it has neither PMID nor DOI."""
    m: dict[str, list[str]] = defaultdict(list)
    for tag, value in fields:
        m[tag].append(value)

    def first(tag: str) -> str | None:
        return next((v for v in m.get(tag, ()) if v), None)

    pmid, doi = first("PMID"), _medline_doi(m)
    if not (pmid or doi):
        return None
    return Record(
        pmid=pmid,
        doi=doi,
        pmcid=first("PMC"),
        title=first("TI"),
        abstract=split_structured_abstract(first("AB") or ""),
        authors=_medline_authors(fields),
        journal=first("JT"),
        journal_iso=first("TA"),
        volume=first("VI"),
        issue=first("IP"),
        pages=first("PG"),
        pub_date=first("DP"),
        year=int(y.group()) if (y := re.search(r"\d{4}", first("DP") or "")) else None,
        languages=tuple(m.get("LA", ())),
        publication_types=tuple(m.get("PT", ())),
        mesh=tuple(_medline_mesh(h) for h in m.get("MH", ())),
        keywords=tuple(m.get("OT", ())),
        comments_corrections=tuple(
            CommentCorrection(kind, text, p.group(1) if (p := re.search(r"PMID: (\d+)", text)) else None)
            for tag, kind in _MEDLINE_CORRECTIONS.items()
            for text in m.get(tag, ())
        ),
        revision_date=_medline_date(first("LR")),
        entrez_date=(first("EDAT") or "")[:10].replace("/", "-") or None,
    )


def _medline_authors(fields: Fields) -> tuple[Author, ...]:
    """Authors in order: each FAU (full name) with the AU (short name) after it; CN is a
    group author."""
    people: list[list[str | None]] = []
    for tag, value in fields:
        if tag == "FAU":
            people.append([value, None])
        elif tag == "AU":
            if people and people[-1][0] and people[-1][1] is None:
                people[-1][1] = value
            else:
                people.append([None, value])
        elif tag == "CN":
            people.append([None, None, value])
    return tuple(_medline_author(*person) for person in people)


def _medline_author(full: str | None, short: str | None, group: str | None = None) -> Author:
    if group:
        return Author(collective_name=group)
    author = Author.from_display(full or short or "")
    if full and short and " " in short:
        return Author(author.last_name, author.fore_name, short.rsplit(" ", 1)[1])
    return author


def _medline_doi(m: dict[str, list[str]]) -> str | None:
    """The DOI of a `[doi]`-tagged LID or AID; a `[pii]` is not a DOI."""
    for value in (*m.get("LID", ()), *m.get("AID", ())):
        if value.endswith("[doi]"):
            return value.removesuffix("[doi]").strip() or None
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
