"""How review outputs name a study: first author and year, as reviews cite them."""

from __future__ import annotations

from rifkb.kb.papers import Paper
from rifkb.records.bibliographic import Record

TITLE_WORDS = 4  # a study with no author is named by the first words of its title


def study_label(paper: Paper) -> str:
    """'Ahmadi 2017' as tables cite a study (the first author's surname and the year); when
    the record names no author, the first words of its title and the year ('Intrauterine
    hCG infusion before… 2016'), never the journal; the id when it has neither."""
    r = paper.record
    who = author_surname(r) or title_words(r.title) or paper.extraction.doc_id
    return f"{who} {r.year or ''}".strip()


def author_surname(record: Record) -> str | None:
    """The first author's surname ('Di Nisio' of 'Di Nisio M'), or a group's name cut to
    its first words."""
    if not record.authors:
        return None
    first = record.authors[0]
    name = first.collective_name or first.last_name or first.display
    return _first_words(name) if name else None


def title_words(title: str | None, n: int = TITLE_WORDS) -> str | None:
    """The first `n` words of a title, '…' when there are more."""
    return _first_words(title, n) if title and title.strip() else None


def _first_words(text: str, n: int = TITLE_WORDS) -> str:
    words = text.split()
    head = " ".join(words[:n]).rstrip(".,;:")
    return f"{head}…" if len(words) > n else head
