"""How review outputs name a study: first author and year, as reviews cite them (the rule
itself lives in rifkb.records.labels, shared with the graph)."""

from __future__ import annotations

from rifkb.kb.papers import Paper
from rifkb.records.labels import TITLE_WORDS, author_surname, printable, title_words
from rifkb.records.labels import study_label as record_label


def study_label(paper: Paper) -> str:
    """'Ahmadi 2017'; the first words of the title and the year when no author is known."""
    return record_label(paper.record, paper.extraction.doc_id)


__all__ = ["TITLE_WORDS", "author_surname", "printable", "study_label", "title_words"]
