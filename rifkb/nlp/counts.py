"""rifkb_counts_v1: sample size and number of included studies.

A count is a number (digits or words: "Fifty-one", "One hundred and six") followed,
within a few modifiers ("96 RIF patients", "101 randomly selected women"), by a noun of
rules/nouns.tsv, or written "(n = 160)" after a group. How annotation.md counts:

- the stated total wins ("A total of 108 infertile women", "The study included 143
  patients", "1173 patients in total");
- otherwise the first count, summed with the other groups of its sentence ("96 RIF
  patients and 80 fertile controls" is 176);
- fertile or healthy controls counted in a later sentence are added ("Age-matched
  healthy fertile women (n = 160) were included as controls");
- with no count of people at all, the "(n = ...)" groups are summed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.context import Folded, compiled_rules, folded, parse_number, register_extensions

_DIGITS = re.compile(r"(?<![\w.,/%-])\d{1,3}(?:,\d{3})+(?![\w.,/]\d)|(?<![\w.,/%-])\d+(?![\w./]|,\d|\s?%)")
_GROUP_N = re.compile(r"\(\s*n\s*=\s*(\d+)\b|\bn\s*=\s*(\d+)\b", re.IGNORECASE)
_MODIFIER = re.compile(r"\s*(?:\(\w+\)\s*)?([\w'-]+)")
_MAX_MODIFIERS = 4
_MOST_PEOPLE = 10**8  # more than any registry study counts: a number, not a sample
_PROPORTION = re.compile(r"\b(?:out of|one in|in every)\s+$")
_STOP = {
    "of",
    "and",
    "or",
    "were",
    "was",
    "in",
    "with",
    "per",
    "to",
    "from",
    "the",
    "than",
    "for",
    "at",
}


@dataclass(frozen=True)
class Count:
    value: int
    kind: str  # "participant" | "study" | "group"
    start: int
    end: int
    sentence: int
    total: bool = False
    control: bool = False


class CountReader:
    def __init__(self, rules_dir: str | None):
        register_extensions()
        self.compiled = compiled_rules(rules_dir)

    def __call__(self, doc: Doc) -> Doc:
        counts = self.counts(doc)
        doc._.rifkb_sample_size = sample_size(counts)
        doc._.rifkb_n_studies = n_studies(counts)
        return doc

    def counts(self, doc: Doc) -> list[Count]:
        text = folded(doc)
        numbers = [
            (m.start(), m.end(), int(m.group().replace(",", ""))) for m in _DIGITS.finditer(text.cased)
        ]
        for m in self.compiled.number_words.finditer(text.cased):
            value = parse_number(m.group(), self.compiled.rules.numbers)
            if value is not None:
                numbers.append((m.start(), m.end(), value))
        counts = [c for n in numbers if n[2] <= _MOST_PEOPLE and (c := self._count(doc, text, *n))]
        counts += self._groups(doc, text.lower)
        return sorted(counts, key=lambda c: c.start)

    def _count(self, doc: Doc, text: Folded, start: int, end: int, value: int) -> Count | None:
        if _PROPORTION.search(text.lower[max(0, start - 8) : start]):
            return None  # "one out of ten couples"
        pos, kind = end, None
        for _ in range(_MAX_MODIFIERS + 1):
            m = _MODIFIER.match(text.lower, pos)
            if m is None or m.group(1) in _STOP:
                return None
            kind = self._noun(m.group(1))
            if kind == "not_participant":
                return None
            pos = m.end()
            if kind:
                break
        if kind is None:
            return None
        sentence = self._sentence_index(doc, start)
        return Count(value, kind, start, pos, sentence, self._is_total(text, start, pos),
                     self._is_control(doc, text.lower, start, pos))  # fmt: skip

    def _noun(self, word: str) -> str | None:
        for category, nouns in self.compiled.rules.nouns.items():
            if word in nouns:
                return category
        return None

    def _groups(self, doc: Doc, text: str) -> list[Count]:
        return [
            Count(
                int(m.group(1) or m.group(2)),
                "group",
                m.start(),
                m.end(),
                self._sentence_index(doc, m.start()),
                False,
                self._is_control(doc, text, m.start(), m.end()),
            )  # fmt: skip
            for m in _GROUP_N.finditer(text)
        ]

    def _is_total(self, folded_text: Folded, start: int, end: int) -> bool:
        text = folded_text.lower
        before, after = text[max(0, start - 40) : start], text[end : end + 25]
        cues = self.compiled.rules.cues
        if any(re.search(rf"\b{re.escape(c)}\W*$", before) for c in cues["total"]):
            return True
        if re.match(r"\W*(?:\(\w+\)\s*)?in total\b", after):
            return True
        if re.search(r"(?:^|[.:\n]\s*)Of\s+$", folded_text.cased[max(0, start - 6) : start]):
            return True  # "Of 169 patients, 84 were assigned to ..." (not "8 of 31 women")
        return any(re.search(rf"\b{re.escape(c)}\s+(?:\w+\s+){{0,2}}$", before[-25:])
                   for c in cues["inclusion"])  # fmt: skip

    def _is_control(self, doc: Doc, text: str, start: int, end: int) -> bool:
        """Counts of fertile controls, which annotation.md adds to the patients."""
        low, high = max(0, start - 45), end + 45
        named = any(h.concept == "fertile_controls" and low <= h.start < high for h in doc._.rifkb_mentions)
        return named or bool(re.search(r"\b(?:fertile|healthy)\b", text[low:high]))

    def _sentence_index(self, doc: Doc, char: int) -> int:
        for i, (s, e) in enumerate(doc._.rifkb_sentences):
            if s <= char < e:
                return i
        return -1


def sample_size(counts: list[Count]) -> int | None:
    people = [c for c in counts if c.kind == "participant"]
    totals = [c for c in people if c.total]
    if totals:
        base, used = totals[0].value, [totals[0]]
    elif people:
        first = people[0]
        used = [c for c in people if c.sentence == first.sentence]
        rest = used[1:]
        if len(rest) >= 2 and sum(c.value for c in rest) == first.value:
            used = [first]  # "75 women ... four groups: 41, 23, 6 and 5 patients"
        base = sum(c.value for c in used)
    else:
        return sum(c.value for c in counts if c.kind == "group") or None
    sentences = {c.sentence for c in used}
    extra = [c for c in counts if c.control and c.kind in ("participant", "group")
             and c.sentence not in sentences and c.start > used[0].start]  # fmt: skip
    return base + (extra[0].value if extra else 0)


def n_studies(counts: list[Count]) -> int | None:
    studies = [c for c in counts if c.kind == "study"]
    if not studies:
        return None
    chosen = next((c for c in studies if c.total), studies[0])
    return sum(c.value for c in studies if c.sentence == chosen.sentence and (c.total == chosen.total))


@Language.factory("rifkb_counts_v1", default_config={"rules_dir": None})
def make_counts(nlp: Language, name: str, rules_dir: str | None) -> CountReader:
    return CountReader(rules_dir)
