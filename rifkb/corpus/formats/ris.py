"""RIS, read and written with rispy."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from rifkb.corpus.formats.abstracts import split_structured_abstract
from rifkb.errors import BadInputError
from rifkb.records import Author, Record


def read_ris(path: Path, text: str) -> list[Record]:
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


def write_ris(records: Iterable[Record]) -> str:
    import rispy

    entries = []
    for r in records:
        start, _, end = (r.pages or "").partition("-")
        entry = {
            "type_of_reference": "JOUR",
            "title": r.title,
            "authors": [
                _ris_name(a.last_name, a.fore_name or a.initials, a.collective_name) for a in r.authors
            ],
            "journal_name": r.journal,
            "alternate_title1": r.journal_iso,
            "volume": r.volume,
            "number": r.issue,
            "start_page": start or None,
            "end_page": end or None,
            "year": str(r.year) if r.year else None,
            "doi": r.doi,
            "accession_number": r.pmid,
            "abstract": r.abstract_text or None,
            "keywords": list(r.keywords) + [m.descriptor for m in r.mesh],
            "language": r.languages[0] if r.languages else None,
            "notes": ["RETRACTED"] if r.retracted else [],
            "id": r.uid,
        }
        entries.append({k: v for k, v in entry.items() if v not in (None, [], "")})
    return rispy.dumps(entries)


def _ris_name(last: str | None, first: str | None, group: str | None) -> str:
    return group or ", ".join(p for p in (last, first) if p)
