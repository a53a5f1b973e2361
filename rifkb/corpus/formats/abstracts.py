"""Structured abstracts flattened into one text ('BACKGROUND: ... METHODS: ...'), as MEDLINE
and RIS write PubMed's labelled sections, split back into sections."""

from __future__ import annotations

import re

from rifkb.records import AbstractSection

# A label is a run of capitals (NLM's labels: 'PARTICIPANTS/MATERIALS, SETTING, METHODS',
# 'STUDY FUNDING/COMPETING INTEREST(S)', up to ~60 characters) and a colon, where a section
# can begin: at the start of the text, after a sentence's end or at a line break. So 'by
# ELISA: values' or 'registered at PROSPERO: CRD42...' stay in their sentence.
_STRUCTURED_LABEL = re.compile(r"(?:^|(?<=[.!?])\s+|\n\s*)([A-Z][A-Z0-9 &/,()-]{2,79}):\s")


def split_structured_abstract(text: str) -> tuple[AbstractSection, ...]:
    """'BACKGROUND: ... METHODS: ...' as MEDLINE and RIS flatten PubMed's labelled sections."""
    text = text.strip()
    if not text:
        return ()
    marks = list(_STRUCTURED_LABEL.finditer(text))
    if not marks or marks[0].start() != 0:
        return (AbstractSection(_fold(text)),)
    sections = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        sections.append(AbstractSection(_fold(text[mark.end() : end]), mark.group(1).strip()))
    return tuple(sections)


def _fold(text: str) -> str:
    """White space (line breaks of the file included) folded to single spaces."""
    return " ".join(text.split())
