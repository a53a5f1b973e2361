"""BibTeX, one @article per record with a stable key, written with pybtex.

Text is escaped once, into forms whose braces balance (a lone `{` becomes
`\\textbraceleft{}`, not `\\{`, which BibTeX still counts and which made parsers swallow
the rest of the entry); `~` and `^` too, since LaTeX reads them as a space and an accent.
Title words with capitals are wrapped in braces, so a style that lower-cases titles keeps
"DNA" and "IVIg". Group authors are braced once, so BibTeX reads them as one name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from rifkb.records import Author, Record

_LATEX = {
    "\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}",
    "%": r"\%", "&": r"\&", "#": r"\#", "$": r"\$", "_": r"\_",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}  # fmt: skip
_SPECIAL = re.compile(r"[\\{}%&#$_~^]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")  # control characters other than white space


def write_bibtex(records: Iterable[Record]) -> str:
    from pybtex.database import BibliographyData, Entry

    used: set[str] = set()
    entries = {
        citation_key(r, used): Entry("article", fields=_fields(r), persons=_persons(r)) for r in records
    }
    return _writer().to_string(BibliographyData(entries=entries))


def _fields(r: Record) -> dict[str, str]:
    fields = {
        "title": protect_case(r.title) if r.title else None,
        "journal": latex(r.journal or r.journal_iso or ""),
        "year": str(r.year) if r.year else None,
        "volume": latex(r.volume or ""),
        "number": latex(r.issue or ""),
        "pages": latex(r.pages or "").replace("-", "--"),
        "doi": _verbatim(r.doi),
        "pmid": _verbatim(r.pmid),
        "pmcid": _verbatim(r.pmcid),
        "abstract": latex(r.abstract_text),
        "keywords": latex(", ".join(r.keywords)),
        "note": "Retracted publication" if r.retracted else None,
    }
    return {k: v for k, v in fields.items() if v}


def _persons(r: Record) -> dict[str, list[Any]]:
    from pybtex.database import Person

    people = [
        Person(last="{" + latex(a.collective_name) + "}")
        if a.collective_name
        else Person(last=_name_part(a.last_name), first=_name_part(a.fore_name or a.initials))
        for a in r.authors
        if a.collective_name or a.last_name
    ]
    return {"author": people} if people else {}


def _name_part(text: str | None) -> str:
    """A name part BibTeX must not split: one with a comma or a lone 'and' is braced."""
    part = latex(text or "")
    return "{" + part + "}" if "," in part or re.search(r"\band\b", part, flags=re.I) else part


def latex(text: str) -> str:
    """Text as LaTeX: control characters dropped, white space folded, special characters
    escaped in one pass (so no escape is escaped again)."""
    text = " ".join(_CONTROL.sub("", text).split())
    return _SPECIAL.sub(lambda m: _LATEX[m.group()], text)


def protect_case(title: str) -> str:
    """A title whose words with capitals (past the title's first letter) are braced."""
    words = " ".join(_CONTROL.sub("", title).split()).split(" ")
    return " ".join(
        "{" + latex(w) + "}" if re.search(r"[A-Z]", w[1:] if i == 0 else w) else latex(w)
        for i, w in enumerate(words)
    )


def _verbatim(text: str | None) -> str | None:
    """Identifiers as written (biblatex reads doi verbatim); braces, which a DOI may hold,
    percent-encoded as in a URL."""
    if not text:
        return None
    return _CONTROL.sub("", text).strip().replace("{", "%7B").replace("}", "%7D") or None


def citation_key(r: Record, used: set[str]) -> str:
    """'smith2018ivig': first author, year, first title word; suffixed b, c... if taken.
    The same key names the record in BibTeX and CSL-JSON."""
    author = _surname(r.authors[0]) if r.authors else None
    word = next((w for w in re.findall(r"[A-Za-z]{4,}", r.title or "")), "")
    base = _ascii(f"{author or 'anon'}{r.year or ''}{word}").lower() or "entry"
    key, suffix = base, ord("b")
    while key in used:
        key, suffix = f"{base}{chr(suffix)}", suffix + 1
    used.add(key)
    return key


def _surname(a: Author) -> str | None:
    return a.last_name or a.collective_name


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]", "", folded)


def _writer() -> Any:
    """pybtex's BibTeX writer for text that is LaTeX already: braces around every value,
    and its check that the braces balance."""
    from pybtex.database.output.bibtex import Writer

    class LatexWriter(Writer):
        def _encode(self, text: str) -> str:
            return text

        def quote(self, s: str) -> str:
            self.check_braces(s)
            return "{" + s + "}"

    return LatexWriter()
