"""rifkb_rif_definition_v1: the criteria a study uses to define RIF.

Read in the sentences that describe RIF (a RIF mention or a failure cue): the minimum
number of failed transfers, cycles or attempts ("at least three unsuccessful IVF
attempts", "≥3 failed IVF cycles", "two or more implantation failures", "3–4 and ≥5
previous transfer failures" is 3), the minimum number of embryos transferred ("at least
four good-quality embryos"), embryo quality, and an upper age limit ("under the age of
40"). When several sentences give numbers, one that defines RIF ("is defined as",
"refers to") wins, the last of them, since abstracts end on the definition they endorse
(Polanski et al. 2014 contrast the definitions in use before proposing their own).

Written to `doc._.rifkb_rif_definition`: a dict (min_failed_transfers, min_embryos,
embryo_quality, max_age, start, end, rule) or None.
"""

from __future__ import annotations

import re
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.base import DocView, RuleComponent, factory_config
from rifkb.nlp.text import number_words, parse_number
from rifkb.rules import RuleSet

_MAX_MODIFIERS = 6
# English function words that end a noun phrase: grammar, not vocabulary
_STOP = {"and", "were", "was", "with", "who", "that", "which", "ratio", "ratios"}
_PAREN = re.compile(r"\s*\([^()]{0,40}\)")
_WORD = re.compile(r"\s*([\w'-]+|≥|>=|,)")


class RifDefinitionReader(RuleComponent):
    needs = ("sentences", "mentions", "cues")

    def compile(self, rules: RuleSet) -> None:
        number = rf"(?:\d+|(?:{number_words(rules.numbers)}))"
        self.number_list = re.compile(
            rf"(?<![\w./])(?P<list>{number}(?:\s*(?:-|to|and|or|,)\s*(?:≥\s*|>=\s*)?{number})*)(?![\w.]|\s*%)",
            re.IGNORECASE,
        )

    def read(self, doc: Doc, view: DocView) -> None:
        doc._.rifkb_rif_definition = self.definition(view)

    def definition(self, view: DocView) -> dict[str, Any] | None:
        if not any(h.concept == "rif" for h in view.mentions):
            return None
        candidates = []
        for start, end in view.sentences:
            found = {c for s, _, c in view.cues if start <= s < end}
            if not self._describes_rif(view, start, end, found):
                continue
            sentence = view.lower[start:end]
            failed = self._counts(sentence, "attempt", need_quantifier=False)
            embryos = self._counts(sentence, "embryo", need_quantifier=True)
            quality = "good" if "good_quality" in found else None
            age = self._age(sentence) if "age_limit" in found else None
            if failed or embryos or quality or age:
                candidates.append(("definition" in found, start, end, failed, embryos, quality, age))
        if not candidates:
            return None
        with_numbers = [c for c in candidates if c[3]] or candidates
        defining = [c for c in with_numbers if c[0]]
        _, start, end, failed, embryos, quality, age = defining[-1] if defining else with_numbers[0]
        return {
            "min_failed_transfers": min(failed) if failed else None,
            "min_embryos": min(embryos) if embryos else None, "embryo_quality": quality,
            "max_age": age, "start": start, "end": end, "rule": "rifkb_rif_definition_v1",
        }  # fmt: skip

    def _describes_rif(self, view: DocView, start: int, end: int, found: set[str]) -> bool:
        if not found & {"failure", "definition"}:
            return False
        return any(h.concept == "rif" and start <= h.start < end for h in view.mentions)

    def _counts(self, sentence: str, noun: str, need_quantifier: bool) -> list[int]:
        found = []
        for m in self.number_list.finditer(sentence):
            if not self._followed_by(sentence, m.end(), noun):
                continue
            if need_quantifier and not self._quantified(sentence, m.start(), m.end()):
                continue
            values = [parse_number(n, self.rules.numbers) for n in
                      re.findall(r"\d+|[a-z]+(?:-[a-z]+)?", m.group("list"))]  # fmt: skip
            values = [v for v in values if v is not None and 0 < v < 100]
            if values:
                found.append(min(values))
        return found

    def _followed_by(self, sentence: str, pos: int, noun: str) -> bool:
        nouns = self.rules.nouns
        for _ in range(_MAX_MODIFIERS + 1):
            paren = _PAREN.match(sentence, pos)
            if paren:
                pos = paren.end()
            m = _WORD.match(sentence, pos)
            if m is None:
                return False
            word = m.group(1)
            if word in nouns[noun]:
                return True
            if word in _STOP or word in nouns["not_participant"] or word in nouns["participant"]:
                return False
            if word.isdigit():
                return False
            pos = m.end()
        return False

    def _quantified(self, sentence: str, start: int, end: int) -> bool:
        before, after = sentence[max(0, start - 14) : start], sentence[end : end + 10]
        quantifiers = self.rules.cues["at_least"]
        # "at least three", "≥3" before the number; "three or more" after it
        return any(before.rstrip().endswith(q) or after.lstrip().startswith(q) for q in quantifiers)

    def _age(self, sentence: str) -> int | None:
        for cue in self.rules.cues["age_limit"]:
            m = re.search(rf"(?<![\w]){re.escape(cue)}\s*(\d{{2}})\b(?!\s*%)", sentence)
            if m and 25 <= int(m.group(1)) <= 50:
                return int(m.group(1))
        return None


@Language.factory(
    "rifkb_rif_definition_v1", default_config=factory_config(),
    requires=["token.is_sent_start", "doc.spans", "doc._.rifkb_cues"],
    assigns=["doc._.rifkb_rif_definition"],
)  # fmt: skip
def make_rif_definition(nlp: Language, name: str, rules_dir: str | None) -> RifDefinitionReader:
    return RifDefinitionReader(name, rules_dir)
