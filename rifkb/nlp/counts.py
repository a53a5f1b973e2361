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

Written to `doc._.rifkb_counts` as {"sample_size": int or None, "n_studies": int or None};
`doc._.rifkb_sample_size` and `doc._.rifkb_n_studies` read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.base import DocView, RuleComponent, factory_config
from rifkb.nlp.text import number_words, parse_number
from rifkb.rules import RuleSet

_DIGITS = re.compile(r"(?<![\w.,/%-])\d{1,3}(?:,\d{3})+(?![\w.,/]\d)|(?<![\w.,/%-])\d+(?![\w./]|,\d|\s?%)")
_GROUP_N = re.compile(r"\(\s*n\s*=\s*(\d+)\b|\bn\s*=\s*(\d+)\b", re.IGNORECASE)
_MODIFIER = re.compile(r"\s*(?:\(\w+\)\s*)?([\w'-]+)")
_MAX_MODIFIERS = 4
_MOST_PEOPLE = 10**8  # more than any registry study counts: a number, not a sample
# English function words that end a noun phrase: grammar, not vocabulary
_STOP = {"of", "and", "or", "were", "was", "in", "with", "per", "to", "from", "the", "than", "for", "at"}


@dataclass(frozen=True)
class Count:
    value: int
    kind: str  # "participant" | "study" | "group"
    start: int
    end: int
    sentence: int
    total: bool = False
    control: bool = False


class CountReader(RuleComponent):
    needs = ("sentences", "mentions")

    def compile(self, rules: RuleSet) -> None:
        self.number_words = re.compile(number_words(rules.numbers), re.IGNORECASE)
        self.noun_kinds: dict[str, str] = {}
        for kind, nouns in rules.nouns.items():  # a noun listed twice keeps its first kind
            for noun in nouns:
                self.noun_kinds.setdefault(noun, kind)
        self.totals = [re.compile(rf"\b{re.escape(c)}\W*$") for c in rules.cues["total"]]
        self.total_after = re.compile(rf"\W*(?:\(\w+\)\s*)?(?:{_words(rules.cues['total'])})\b")
        self.proportion = re.compile(rf"\b(?:{_words(rules.cues['proportion'])})\s+$")
        self.control_trait = re.compile(rf"\b(?:{_words(rules.cues['control_trait'])})\b")
        self.controls = rules.with_role("control")
        self.inclusions = [
            re.compile(rf"\b{re.escape(c)}\s+(?:\w+\s+){{0,2}}$") for c in rules.cues["inclusion"]
        ]

    def read(self, doc: Doc, view: DocView) -> None:
        counts = self.counts(view)
        doc._.rifkb_counts = {"sample_size": sample_size(counts), "n_studies": n_studies(counts)}

    def counts(self, view: DocView) -> list[Count]:
        numbers = [
            (m.start(), m.end(), int(m.group().replace(",", ""))) for m in _DIGITS.finditer(view.cased)
        ]
        for m in self.number_words.finditer(view.cased):
            value = parse_number(m.group(), self.rules.numbers)
            if value is not None:
                numbers.append((m.start(), m.end(), value))
        counts = [c for n in numbers if n[2] <= _MOST_PEOPLE and (c := self._count(view, *n))]
        counts += self._groups(view)
        return sorted(counts, key=lambda c: c.start)

    def _count(self, view: DocView, start: int, end: int, value: int) -> Count | None:
        if self.proportion.search(view.lower[max(0, start - 12) : start]):
            return None  # "one out of ten couples"
        pos, kind = end, None
        for _ in range(_MAX_MODIFIERS + 1):
            m = _MODIFIER.match(view.lower, pos)
            if m is None or m.group(1) in _STOP:
                return None
            kind = self.noun_kinds.get(m.group(1))
            if kind == "not_participant":
                return None
            pos = m.end()
            if kind:
                break
        if kind not in ("participant", "study"):
            return None
        return Count(value, kind, start, pos, view.sentence_index(start), self._is_total(view, start, pos),
                     self._is_control(view, start, pos))  # fmt: skip

    def _groups(self, view: DocView) -> list[Count]:
        return [
            Count(
                int(m.group(1) or m.group(2)),
                "group",
                m.start(),
                m.end(),
                view.sentence_index(m.start()),
                False,
                self._is_control(view, m.start(), m.end()),
            )  # fmt: skip
            for m in _GROUP_N.finditer(view.lower)
        ]

    def _is_total(self, view: DocView, start: int, end: int) -> bool:
        text = view.lower
        before, after = text[max(0, start - 40) : start], text[end : end + 25]
        if any(r.search(before) for r in self.totals):
            return True
        if self.total_after.match(after):
            return True
        if re.search(r"(?:^|[.:\n]\s*)Of\s+$", view.cased[max(0, start - 6) : start]):
            return True  # "Of 169 patients, 84 were assigned to ..." (not "8 of 31 women")
        return any(r.search(before[-25:]) for r in self.inclusions)

    def _is_control(self, view: DocView, start: int, end: int) -> bool:
        """Counts of fertile controls, which annotation.md adds to the patients."""
        low, high = max(0, start - 45), end + 45
        named = any(h.concept in self.controls and low <= h.start < high for h in view.mentions)
        return named or bool(self.control_trait.search(view.lower[low:high]))


def _words(phrases: tuple[str, ...]) -> str:
    return "|".join(sorted(map(re.escape, phrases), key=len, reverse=True))


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


@Language.factory(
    "rifkb_counts_v1", default_config=factory_config(),
    requires=["token.is_sent_start", "doc.spans"], assigns=["doc._.rifkb_counts"],
)  # fmt: skip
def make_counts(nlp: Language, name: str, rules_dir: str | None) -> CountReader:
    return CountReader(name, rules_dir)
