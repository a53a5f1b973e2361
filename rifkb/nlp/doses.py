"""rifkb_doses_v1: each regimen of an intervention stated with a dose.

The grammar of `rifkb.nlp.dose_grammar` reads the amount, unit and what it is per ("IVIg
400 mg/kg", "G-CSF 300 µg", "prednisolone 10 mg/day", "25 g every 3-4 weeks"), as written
(400 mg/kg stays 400 mg per kg; grams per patient are computed downstream). A dose
belongs to the intervention named right after it ("75 mg aspirin", "2 ml of 20%
intralipid"), else to the one named last before it in its clause ("intravenous
immunoglobulin (IVIG) 400 mg/kg", "received 20% intralipid 100 ml", "G-CSF (300 µg)"); a
dose of a drug with no concept id is no regimen. A volume a dose is diluted in ("in 250 mL
saline") is not one either. The number of doses ("two infusions") and the timing ("before
embryo transfer", "every 3-4 weeks until 28 weeks") are read from the rest of its clause.

Written to `doc._.rifkb_doses` (dicts: intervention, amount, unit, per, times, timing,
start, end, rule), each regimen once per document.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.base import DocView, Hit, RuleComponent, factory_config, set_extension
from rifkb.nlp.dose_grammar import Amount, DoseGrammar
from rifkb.nlp.text import alternation
from rifkb.rules import RuleSet

# between a dose and the drug named after it: "75 mg aspirin", "20 g of IVIg", "2 ml of
# 20% intralipid", "150 micrograms of the G-CSF"
_DRUG_AFTER = re.compile(r"\W{0,2}(?:of\s+)?(?:(?:the|a|an)\s+)?(?:\d+(?:\.\d+)?\s?%\s+)?$")
# a drug named after a dose read, right before the next amount: "... and estradiol valerate 6 mg"
_OTHER_DRUG = re.compile(r"\b(?:and|plus|with)\s+(?:[a-z][\w-]+\s+){1,3}\(?$")
_SEMICOLON = re.compile(r";(?!\s?\d)")
_CUTS = ("contrast", "control_arm")
_CLAUSE_END = re.compile(r"[;]|\.(?!\d)")
_TIMING_END = re.compile(r"[;()]|\.(?!\d)|,\s+(?:and\s+)?(?:while|whereas|but|and\s+the)\b")
_MOST_BEFORE = 160  # characters looked back for the drug a dose belongs to
_MOST_TIMING = 100


class DoseReader(RuleComponent):
    needs = ("sentences", "mentions", "cues")

    def compile(self, rules: RuleSet) -> None:
        self.grammar = DoseGrammar(rules.doses)
        self.numbers = rules.numbers
        timing = alternation(rules.doses["timing"]).replace(r"\ ", r"\s+")
        self.timing = re.compile(rf"\b(?:{timing})\b", re.I)

    def read(self, doc: Doc, view: DocView) -> None:
        doses: list[dict[str, Any]] = []
        seen: set[tuple] = set()
        for start, end in view.sentences:
            for dose in self._sentence(view, start, end):
                key = (dose["intervention"], dose["amount"], dose["unit"], dose["per"])
                if key not in seen:
                    seen.add(key)
                    doses.append(dose)
        set_extension(doc, "rifkb_doses", doses)

    def _sentence(self, view: DocView, start: int, end: int) -> list[dict[str, Any]]:
        text, out = view.lower, []
        read_since, last_end = None, start  # where the first dose of the sentence starts, the last ends
        for amount in self.grammar.amounts(text, start, end):
            if read_since is not None and self.grammar.is_diluent(text, amount, read_since):
                continue  # "2 ml of 20% intralipid in 250 cc saline"
            read_since = amount.start if read_since is None else read_since
            drug = self._drug(view, amount, start, end)
            if drug is not None and drug.end < last_end and _OTHER_DRUG.search(text, last_end, amount.start):
                drug = None  # "Progesterone 400 mg ... and estradiol valerate 6 mg/day": no concept id
            last_end = amount.end
            if drug is not None:
                if amount.per == "dose":
                    per = self.grammar.per_around(text, amount, (drug.start, drug.end), end)
                    amount = replace(amount, per=per)
                out.append(self._dose(view, amount, drug, end))
        return out

    def _drug(self, view: DocView, amount: Amount, start: int, end: int) -> Hit | None:
        """The intervention the dose belongs to: named right after it, else last before it
        in its clause."""
        after = [
            h for h in view.mentions_in(amount.end, min(end, amount.end + 40)) if h.type == "intervention"
        ]
        if after and _DRUG_AFTER.match(view.lower[amount.end : after[0].start]):
            return after[0]
        low = max(start, amount.start - _MOST_BEFORE, self._clause_start(view, start, amount.start))
        before = [h for h in view.mentions_in(low, amount.start) if h.type == "intervention"]
        return before[-1] if before else None

    def _clause_start(self, view: DocView, start: int, pos: int) -> int:
        """Where the clause holding `pos` starts: after the last ';' (not one before a
        number: "(G-CSF; 1.5 mg/kg/day)"), contrast word or control arm ("and the control
        group received normal saline (250 ml)")."""
        cuts = [m.end() for m in _SEMICOLON.finditer(view.lower, start) if m.end() <= pos]
        cuts += [e for s, e, c in view.cues_in(start, pos) if c in _CUTS]
        return max([start, *cuts])

    def _dose(self, view: DocView, amount: Amount, drug: Hit, end: int) -> dict[str, Any]:
        found = _CLAUSE_END.search(view.lower, amount.end, end)
        clause_end = found.start() if found else end
        return {
            "intervention": drug.concept, "amount": amount.amount, "unit": amount.unit, "per": amount.per,
            "times": self.grammar.count(view.lower, amount.end, clause_end, self.numbers),
            "timing": self._timing(view, amount.end, clause_end),
            "start": amount.start, "end": amount.end, "rule": "rifkb_doses_v1",
        }  # fmt: skip

    def _timing(self, view: DocView, start: int, end: int) -> str | None:
        """When the dose is given, as written: from the first timing word after it to the
        end of its clause ("every 3-4 weeks until 28 weeks of gestation")."""
        cue = self.timing.search(view.lower, start, end)
        if cue is None:
            return None
        stop = _TIMING_END.search(view.lower, cue.start(), end)
        written = view.text[cue.start() : stop.start() if stop else end].strip(" ,")
        if len(written) > _MOST_TIMING:
            written = written[:_MOST_TIMING].rsplit(" ", 1)[0]
        return written or None


@Language.factory(
    "rifkb_doses_v1", default_config=factory_config(),
    requires=["token.is_sent_start", "doc.spans", "doc._.rifkb_cues"],
    assigns=["doc._.rifkb_doses"],
)  # fmt: skip
def make_doses(nlp: Language, name: str, rules_dir: str | None) -> DoseReader:
    return DoseReader(name, rules_dir)
