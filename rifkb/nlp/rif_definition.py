"""rifkb_rif_definition_v1: the criteria a study uses to define RIF.

Read in the sentences that describe RIF (a RIF mention or a failure cue): the minimum
number of failed transfers, cycles or attempts ("at least three unsuccessful IVF
attempts", "≥3 failed IVF cycles", "two or more implantation failures", "3–4 and ≥5
previous transfer failures" is 3), the minimum number of embryos transferred ("at least
four good-quality embryos"), embryo quality, and an upper age limit ("under the age of
40"). When several sentences give numbers, one that defines RIF ("is defined as",
"refers to") wins, the last of them, since abstracts end on the definition they endorse
(Polanski et al. 2014 contrast the definitions in use before proposing their own).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.context import compiled_rules, cue_hits, folded, parse_number, register_extensions

_MAX_MODIFIERS = 6
_STOP = {"and", "were", "was", "with", "who", "that", "which", "ratio", "ratios"}
_PAREN = re.compile(r"\s*\([^()]{0,40}\)")
_WORD = re.compile(r"\s*([\w'-]+|≥|>=|,)")


@dataclass(frozen=True)
class Definition:
    min_failed_transfers: int | None
    min_embryos: int | None
    embryo_quality: str | None
    max_age: int | None
    start: int
    end: int


class RifDefinitionReader:
    def __init__(self, rules_dir: str | None):
        register_extensions()
        self.compiled = compiled_rules(rules_dir)
        self.cues = self.compiled.rules.cues
        self.nouns = self.compiled.rules.nouns
        words = "|".join(sorted(map(re.escape, self.compiled.rules.numbers), key=len, reverse=True))
        number = rf"(?:\d+|(?:{words}))"
        self.number_list = re.compile(
            rf"(?<![\w./])(?P<list>{number}(?:\s*(?:-|to|and|or|,)\s*(?:≥\s*|>=\s*)?{number})*)(?![\w.]|\s*%)",
            re.IGNORECASE,
        )

    def __call__(self, doc: Doc) -> Doc:
        doc._.rifkb_rif_definition = self.read(doc)
        return doc

    def read(self, doc: Doc) -> Definition | None:
        text = folded(doc).lower
        if not any(h.concept == "rif" for h in doc._.rifkb_mentions or ()):
            return None
        candidates = []
        cues = cue_hits(doc, self.compiled)
        for start, end in doc._.rifkb_sentences:
            found = {c for s, _, c in cues if start <= s < end}
            if not self._describes_rif(doc, start, end, found):
                continue
            sentence = text[start:end]
            failed = self._counts(sentence, "attempt", need_quantifier=False)
            embryos = self._counts(sentence, "embryo", need_quantifier=True)
            quality = "good" if "good_quality" in found else None
            age = self._age(sentence) if "age_limit" in found else None
            if failed or embryos or quality or age:
                defines = "definition" in found
                candidates.append((defines, start, end, failed, embryos, quality, age))
        if not candidates:
            return None
        with_numbers = [c for c in candidates if c[3]] or candidates
        defining = [c for c in with_numbers if c[0]]
        _, start, end, failed, embryos, quality, age = defining[-1] if defining else with_numbers[0]
        return Definition(min(failed) if failed else None, min(embryos) if embryos else None,
                          quality, age, start, end)  # fmt: skip

    def _describes_rif(self, doc: Doc, start: int, end: int, found: set[str]) -> bool:
        if not found & {"failure", "definition"}:
            return False
        return any(h.concept == "rif" and start <= h.start < end for h in doc._.rifkb_mentions)

    def _counts(self, sentence: str, noun: str, need_quantifier: bool) -> list[int]:
        found = []
        for m in self.number_list.finditer(sentence):
            if not self._followed_by(sentence, m.end(), noun):
                continue
            if need_quantifier and not self._quantified(sentence, m.start(), m.end()):
                continue
            values = [parse_number(n, self.compiled.rules.numbers) for n in
                      re.findall(r"\d+|[a-z]+(?:-[a-z]+)?", m.group("list"))]  # fmt: skip
            values = [v for v in values if v is not None and 0 < v < 100]
            if values:
                found.append(min(values))
        return found

    def _followed_by(self, sentence: str, pos: int, noun: str) -> bool:
        for _ in range(_MAX_MODIFIERS + 1):
            paren = _PAREN.match(sentence, pos)
            if paren:
                pos = paren.end()
            m = _WORD.match(sentence, pos)
            if m is None:
                return False
            word = m.group(1)
            if word in self.nouns[noun]:
                return True
            if word in _STOP or word in self.nouns["not_participant"] or word in self.nouns["participant"]:
                return False
            if word.isdigit():
                return False
            pos = m.end()
        return False

    def _quantified(self, sentence: str, start: int, end: int) -> bool:
        before, after = sentence[max(0, start - 14) : start], sentence[end : end + 10]
        quantifiers = self.cues["at_least"]
        return any(before.rstrip().endswith(q) for q in quantifiers) or after.lstrip().startswith("or more")

    def _age(self, sentence: str) -> int | None:
        for cue in self.cues["age_limit"]:
            m = re.search(rf"(?<![\w]){re.escape(cue)}\s*(\d{{2}})\b(?!\s*%)", sentence)
            if m and 25 <= int(m.group(1)) <= 50:
                return int(m.group(1))
        return None


@Language.factory("rifkb_rif_definition_v1", default_config={"rules_dir": None})
def make_rif_definition(nlp: Language, name: str, rules_dir: str | None) -> RifDefinitionReader:
    return RifDefinitionReader(rules_dir)
