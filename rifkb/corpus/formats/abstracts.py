"""Structured abstracts flattened into one text ('BACKGROUND: ... METHODS: ...'), as MEDLINE
and RIS write PubMed's labelled sections, split back into sections."""

from __future__ import annotations

import re

from rifkb.records import AbstractSection

_STRUCTURED_LABEL = re.compile(r"(?:(?<=^)|(?<=\s))([A-Z][A-Z &/,()-]{2,40}):\s")


def split_structured_abstract(text: str) -> tuple[AbstractSection, ...]:
    """'BACKGROUND: ... METHODS: ...' as MEDLINE and RIS flatten PubMed's labelled sections."""
    text = text.strip()
    if not text:
        return ()
    marks = list(_STRUCTURED_LABEL.finditer(text))
    if not marks or marks[0].start() != 0:
        return (AbstractSection(text),)
    sections = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        sections.append(AbstractSection(text[mark.end() : end].strip(), mark.group(1)))
    return tuple(sections)
