"""The corpus as a bibliography: RIS, BibTeX, CSV or JSON Lines, one entry per record.

Output is deterministic (records in key order, stable BibTeX keys) so two exports of the
same corpus are byte-identical; `rifkb.files.write_text_atomic` writes through a temporary
file, so a failed export never leaves half a file.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterable

from rifkb.errors import BadInputError
from rifkb.records import Record

BIB_FORMATS = ("ris", "bibtex", "csv", "jsonl")
CSV_COLUMNS = (
    "id", "pmid", "doi", "pmcid", "first_author", "authors", "year", "title", "journal",
    "volume", "issue", "pages", "publication_types", "retracted", "abstract",
)  # fmt: skip


def format_bibliography(records: Iterable[Record], fmt: str) -> str:
    writers = {"ris": _ris, "bibtex": _bibtex, "csv": _csv, "jsonl": _jsonl}
    if fmt not in writers:
        raise BadInputError(f"unknown format {fmt!r}; choose one of {', '.join(BIB_FORMATS)}")
    return writers[fmt](list(records))


def _jsonl(records: list[Record]) -> str:
    return "".join(json.dumps(r.to_json(), ensure_ascii=False, sort_keys=True) + "\n" for r in records)


def _csv(records: list[Record]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in records:
        writer.writerow([
            r.uid, r.pmid, r.doi, r.pmcid, r.first_author,
            "; ".join(a.display for a in r.authors), r.year, r.title, r.journal, r.volume,
            r.issue, r.pages, "; ".join(r.publication_types), int(r.retracted), r.abstract_text,
        ])  # fmt: skip
    return out.getvalue()


def _ris(records: list[Record]) -> str:
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


def _bibtex(records: list[Record]) -> str:
    used: set[str] = set()
    return "\n".join(_bibtex_entry(r, _bibtex_key(r, used)) for r in records)


def _bibtex_entry(r: Record, key: str) -> str:
    fields = {
        "title": r.title,
        "author": " and ".join(
            "{" + a.collective_name + "}"
            if a.collective_name
            else ", ".join(p for p in (a.last_name, a.fore_name or a.initials) if p)
            for a in r.authors
        ),
        "journal": r.journal or r.journal_iso,
        "year": str(r.year) if r.year else None,
        "volume": r.volume,
        "number": r.issue,
        "pages": r.pages.replace("-", "--") if r.pages else None,
        "doi": r.doi,
        "pmid": r.pmid,
        "pmcid": r.pmcid,
        "abstract": r.abstract_text or None,
        "keywords": ", ".join(r.keywords) or None,
        "note": "Retracted publication" if r.retracted else None,
    }
    body = ",\n".join(f"  {k} = {{{_bibtex_escape(v)}}}" for k, v in fields.items() if v)
    return f"@article{{{key},\n{body}\n}}\n"


def _bibtex_key(r: Record, used: set[str]) -> str:
    """'smith2018ivig': first author, year, first title word; suffixed b, c... if taken."""
    author = r.authors[0].last_name or r.authors[0].collective_name if r.authors else None
    word = next((w for w in re.findall(r"[A-Za-z]{4,}", r.title or "")), "")
    base = _ascii(f"{author or 'anon'}{r.year or ''}{word}").lower() or "entry"
    key, suffix = base, ord("b")
    while key in used:
        key, suffix = f"{base}{chr(suffix)}", suffix + 1
    used.add(key)
    return key


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]", "", folded)


_BIBTEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "%": r"\%", "&": r"\&",
    "#": r"\#", "$": r"\$", "_": r"\_",
}  # fmt: skip


def _bibtex_escape(text: str) -> str:
    """Escape BibTeX's special characters in one pass (so escapes are not re-escaped)."""
    return re.sub(r"[\\{}%&#$_]", lambda m: _BIBTEX_SPECIAL[m.group()], text)
