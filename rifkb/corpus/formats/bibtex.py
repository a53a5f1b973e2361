"""BibTeX, one @article per record, with stable keys."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from rifkb.records import Record


def write_bibtex(records: Iterable[Record]) -> str:
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
