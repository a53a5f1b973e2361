"""What every component shares: doc extensions, compiled rules, the folded text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from spacy.tokens import Doc

from rifkb.nlp.text import PhraseIndex, fold
from rifkb.rules import RULES_DIR, RuleSet, fingerprint, load_rules

EXTENSIONS = (
    "rifkb_doc_id", "rifkb_title_end", "rifkb_publication_types", "rifkb_sentences",
    "rifkb_mentions", "rifkb_cues", "rifkb_effects", "rifkb_event_rates",
    "rifkb_sample_size", "rifkb_n_studies", "rifkb_design", "rifkb_rif_definition",
    "rifkb_findings", "rifkb_folded",
)  # fmt: skip


def register_extensions() -> None:
    for name in EXTENSIONS:
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)


@dataclass(frozen=True)
class Compiled:
    """Rule files compiled once per process: phrase indexes and number-word patterns."""

    rules: RuleSet
    terms_folded: PhraseIndex
    terms_cased: PhraseIndex
    cues: PhraseIndex
    measures_folded: PhraseIndex
    measures_cased: PhraseIndex
    number_words: re.Pattern[str]
    designs: PhraseIndex


def compiled_rules(rules_dir: str | None) -> Compiled:
    directory = Path(rules_dir) if rules_dir else RULES_DIR
    return _compile(str(directory), fingerprint(directory))


@lru_cache(maxsize=4)
def _compile(directory: str, _fingerprint: str) -> Compiled:
    rules = load_rules(Path(directory))
    terms = [(t.text, t) for t in rules.terms]
    measures = [(m.text, m) for m in rules.measures]
    words = "|".join(sorted(map(re.escape, rules.numbers), key=len, reverse=True))
    return Compiled(
        rules=rules,
        terms_folded=PhraseIndex([(n, t) for n, t in terms if not t.case_sensitive], False),
        terms_cased=PhraseIndex([(n, t) for n, t in terms if t.case_sensitive], True),
        cues=PhraseIndex([(p, c) for c, phrases in rules.cues.items() for p in phrases], False, plural=False),
        measures_folded=PhraseIndex([(n, m) for n, m in measures if not m.case_sensitive], False),
        measures_cased=PhraseIndex([(n, m) for n, m in measures if m.case_sensitive], True),
        number_words=re.compile(rf"\b(?:{words})(?:(?:\s+and\s+|\s+|-)(?:{words}))*\b", re.IGNORECASE),
        designs=PhraseIndex(
            [(r.phrase, r) for r in rules.designs if r.where != "pubtype"], False, plural=False
        ),
    )


@dataclass(frozen=True)
class Folded:
    text: str  # the text itself: Doc.text joins every token on each access
    lower: str  # lower case, dashes and spaces unified
    cased: str  # dashes and spaces unified


def folded(doc: Doc) -> Folded:
    if doc._.rifkb_folded is None:
        text = doc.text
        doc._.rifkb_folded = Folded(text, fold(text), fold(text, keep_case=True))
    return doc._.rifkb_folded


def cue_hits(doc: Doc, compiled: Compiled) -> list[tuple[int, int, str]]:
    """(start, end, category) of every cue phrase of rules/cues.tsv, found once per doc."""
    if doc._.rifkb_cues is None:
        text = folded(doc).lower
        doc._.rifkb_cues = [(m.start, m.end, c) for m in compiled.cues.finditer(text) for c in m.payloads]
    return doc._.rifkb_cues


def sentence_of(doc: Doc, char: int) -> tuple[int, int]:
    """(start, end) of the sentence holding a character offset."""
    for start, end in doc._.rifkb_sentences:
        if start <= char < end:
            return start, end
    return 0, len(folded(doc).text)


def parse_number(text: str, numbers: dict[str, int]) -> int | None:
    """'143', '1,221', 'Fifty-one', 'One hundred and six' -> int."""
    digits = text.replace(",", "")
    if digits.isdigit():
        return int(digits)
    total, current = 0, 0
    for word in re.split(r"[\s-]+", text.lower()):
        if word == "and":
            continue
        value = numbers.get(word)
        if value is None:
            return None
        if value == 100:
            current = max(current, 1) * 100
        elif value == 1000:
            total, current = total + max(current, 1) * 1000, 0
        else:
            current += value
    return total + current
