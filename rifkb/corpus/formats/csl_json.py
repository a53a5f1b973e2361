"""CSL-JSON, the bibliography format Zotero, Mendeley and pandoc read natively (the
Citation Style Language's input schema, csl-data.json): one array of items, each keyed by
the same citation key as the BibTeX export."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from rifkb.corpus.formats.bibtex import citation_key
from rifkb.records import Author, Record

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}  # fmt: skip


def write_csl_json(records: Iterable[Record]) -> str:
    used: set[str] = set()
    items = [_item(r, citation_key(r, used)) for r in records]
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


def _item(r: Record, key: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": key,
        "type": "article-journal",
        "title": _text(r.title),
        "author": [_name(a) for a in r.authors if a.collective_name or a.last_name],
        "container-title": _text(r.journal),
        "container-title-short": _text(r.journal_iso),
        "volume": _text(r.volume),
        "issue": _text(r.issue),
        "page": _text(r.pages),
        "issued": _issued(r),
        "DOI": _text(r.doi),
        "PMID": _text(r.pmid),
        "PMCID": _text(r.pmcid),
        "language": r.languages[0] if r.languages else None,
        "keyword": _text(", ".join(r.keywords)),
        "abstract": "\n".join(
            t for s in r.abstract if (t := _text(f"{s.label}: {s.text}" if s.label else s.text))
        ),
        "note": "Retracted publication" if r.retracted else None,
    }
    return {k: v for k, v in item.items() if v}


def _name(a: Author) -> dict[str, str]:
    if a.collective_name:
        return {"literal": _text(a.collective_name) or ""}
    given = a.fore_name or (" ".join(f"{c}." for c in a.initials) if a.initials else None)
    return {k: v for k, v in (("family", _text(a.last_name)), ("given", _text(given))) if v}


def _issued(r: Record) -> dict[str, list[list[int]]] | None:
    """{'date-parts': [[2021, 4, 3]]} from '2021-04-03', '2021-04', '2021 Apr' or the year."""
    match = re.match(r"(\d{4})(?:[-\s]([A-Za-z]{3}|\d{1,2}))?(?:[-\s](\d{1,2}))?", r.pub_date or "")
    if not match:
        return {"date-parts": [[r.year]]} if r.year else None
    month_text = match.group(2) or ""
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text.lower())
    parts = [
        int(match.group(1)),
        *([month] if month else []),
        *([int(match.group(3))] if month and match.group(3) else []),
    ]
    return {"date-parts": [parts]}


def _text(value: str | None) -> str | None:
    """Control characters dropped and white space folded."""
    return " ".join(_CONTROL.sub(" ", value).split()) or None if value else None
