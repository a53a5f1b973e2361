"""How review outputs name a study: first author and year, as reviews cite them."""

from __future__ import annotations

import textwrap

from rifkb.kb.papers import Paper


def study_label(paper: Paper) -> str:
    """'Ahmadi 2017' as tables cite a study; the journal when the record names no
    author, the id when it names neither."""
    r = paper.record
    journal = textwrap.shorten(r.journal_iso or r.journal or "", 28, placeholder="…")
    who = (r.first_author or "").split(" ")[0] or journal
    return f"{who or paper.extraction.doc_id} {r.year or ''}".strip()
