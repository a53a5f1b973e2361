"""MEDLINE / .nbib, as PubMed exports it, read with Bio.Medline."""

from __future__ import annotations

import io
import re
from pathlib import Path

from rifkb.corpus.formats.abstracts import split_structured_abstract
from rifkb.errors import BadInputError
from rifkb.records import Author, CommentCorrection, MeshHeading, MeshQualifier, Record

# MEDLINE comment/correction fields (NLM, "MEDLINE/PubMed Data Element Descriptions").
_MEDLINE_CORRECTIONS = {
    "RIN": "RetractionIn", "ROF": "RetractionOf", "EIN": "ErratumIn", "EFR": "ErratumFor",
    "CIN": "CommentIn", "CON": "CommentOn", "UIN": "UpdateIn", "UOF": "UpdateOf",
}  # fmt: skip


def read_medline(path: Path, text: str) -> list[Record]:
    from Bio import Medline  # loaded only when a MEDLINE file is read

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
