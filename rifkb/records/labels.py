"""How outputs name a study: first author and year, as reviews cite them (issue 20).

Here, below the graph and the review layers, so that a graph node, a table row and a
forest plot's line name a study the same way."""

from __future__ import annotations

import re

from rifkb.records.bibliographic import Record

TITLE_WORDS = 4  # a study with no author is named by the first words of its title
# C0 and C1 control characters (category Cc) other than whitespace: imported files carry
# them (a BEL in an author name, an ESC in a title) and no font has a glyph for them, so a
# plot would print matplotlib's "Glyph missing" warning and draw a box.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]+")


def without_controls(text: str) -> str:
    """`text` without its control characters; a vertical tab or form feed becomes a space,
    tabs and line breaks stay."""
    return _CONTROL.sub("", text).replace("\x0b", " ").replace("\x0c", " ") if text else text


def printable(text: str) -> str:
    """`text` on one line without its control characters (a label)."""
    return " ".join(without_controls(text).split()) if text else text


def study_label(record: Record, doc_id: str) -> str:
    """'Ahmadi 2017' as tables cite a study (the first author's surname and the year); when
    the record names no author, the first words of its title and the year ('Intrauterine
    hCG infusion before… 2016'), never the journal; the id when it has neither."""
    who = author_surname(record) or title_words(record.title) or doc_id
    return f"{who} {record.year or ''}".strip()


def author_surname(record: Record) -> str | None:
    """The first author's surname ('Di Nisio' of 'Di Nisio M'), or a group's name cut to
    its first words."""
    if not record.authors:
        return None
    first = record.authors[0]
    name = printable(first.collective_name or first.last_name or first.display or "")
    return _first_words(name) if name else None


def title_words(title: str | None, n: int = TITLE_WORDS) -> str | None:
    """The first `n` words of a title, '…' when there are more."""
    text = printable(title or "")
    return _first_words(text, n) if text else None


def _first_words(text: str, n: int = TITLE_WORDS) -> str:
    words = text.split()
    head = " ".join(words[:n]).rstrip(".,;:")
    return f"{head}…" if len(words) > n else head
