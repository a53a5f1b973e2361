"""A grammar of doses as abstracts write them, in the manner of the effect-estimate
grammar of `rifkb.nlp.statistics`: one anchored regular expression per kind of token,
read left to right from a number, the words of each kind from `rules/doses.tsv`.

    dose     := amount [range] unit [per | vehicle] [times]
    amount   := number ("400", "0.4", "2·5", "50,000")       never a number followed by
                a concentration marker ("20 %") or inside a count ("n = 40", "1/2")
    range    := ('-' | 'to') number                           "1-3 mg": the lower amount
    unit     := a unit phrase (mg, µg, mcg, IU, mL, cc ...)   canonical g, mg, ug, mL, IU
    per      := a per phrase right after the unit (/kg, per kilogram, /day, daily, per dose)
              | a not_dose phrase (/h, /mL, /L: a rate or a concentration): no dose
    vehicle  := a vehicle phrase and a volume ("300 µg/1 ml"): the volume is no dose

Why a grammar and not a pattern per notation: units, per-words and their spacing come in
many combinations ("400mg/kg", "0.4 g / kg", "5 mg/d", "20 mg daily", "300 µg/1 ml"), and
the words are the rule file's, not the code's. Offsets are into the folded text
(`DocView.lower`), so they map back to the Doc.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rifkb.nlp.text import alternation

_NUMBER = r"\d{1,3}(?:,\d{3})+(?![\d.])|\d+(?:[.·]\d+)?|[.·]\d+"
# The same, its first character read first and the rest after a look back at it: a search
# for a dose then skips, in C, to the next digit or point, where an expression opening
# with an alternation is tried at every character of the text (Python's re looks for a
# first character only in a set it opens with: `_get_charset_prefix`, Lib/re/_compiler.py).
_LEADING_NUMBER = r"[\d.·](?:(?<=\d)(?:\d{0,2}(?:,\d{3})+(?![\d.])|\d*(?:[.·]\d+)?)|(?<=[.·])\d+)"
# "n = 40", "1/2", "10^6", "× 10" and a decimal's tail are no amounts
_NOT_BEFORE = re.compile(r"(?:[\w.·,/^×]|n\s?=\s?|10\s?\^?\s?)$")


@dataclass(frozen=True)
class Amount:
    """One dose as written: amount, canonical unit, what it is per (kg, day or dose), and
    where it stands in the text (`start` at the amount, `end` after what was read)."""

    amount: float
    unit: str
    per: str
    start: int
    end: int


def number(text: str) -> float:
    """'400', '0.4', '2·5', '50,000'."""
    return float(text.replace(",", "").replace("·", "."))


def _phrases(words: dict[str, str]) -> str:
    """Phrases of a rule kind, longest first, a space matching any spacing."""
    return alternation(words).replace(r"\ ", r"\s+")


class DoseGrammar:
    """The grammar compiled from the `doses.tsv` rules (kind -> phrase -> value)."""

    def __init__(self, words: dict[str, dict[str, str]]):
        self.units = words["unit"]
        self.pers = words["per"]
        self.times_words = words["times"]
        self.frequency = re.compile(rf"\b(?:{_phrases(words['frequency'])})\s+$", re.I)
        self.dose = re.compile(
            rf"(?P<amount>{_LEADING_NUMBER})(?:\s?(?:-|to)\s?(?P<high>{_NUMBER}))?\s?"
            rf"(?P<unit>{_phrases(self.units)})(?![\w%])",
            re.I,
        )
        self.per = re.compile(rf"\s?(?P<per>{_phrases(self.pers)})(?![\w²])", re.I)
        # a per word a few words on ("40 mg was injected subcutaneously once daily"), or
        # before the amount ("Daily 100 mg aspirin")
        self.per_later = re.compile(rf"(?:\s+[a-z]+){{0,3}}?\s+(?P<per>{_phrases(self.pers)})\b", re.I)
        self.per_before = re.compile(rf"\b(?P<per>{_phrases(self.pers)})(?:\s+of)?\s+$", re.I)
        self.range_after = re.compile(
            rf"\s?(?:-|to)\s?(?:{_NUMBER})\s?(?P<unit>{_phrases(self.units)})(?!\w)", re.I
        )
        self.not_dose = re.compile(rf"\s?(?:{_phrases(words['not_dose'])})(?![\w²])", re.I)
        self.vehicle = re.compile(
            rf"\s?(?:{_phrases(words['vehicle'])})\s?(?:{_NUMBER})\s?(?P<unit>{_phrases(self.units)})(?!\w)",
            re.I,
        )
        self.concentration = re.compile(rf"(?:{_NUMBER})\s?(?:{_phrases(words['concentration'])})", re.I)
        self.times = re.compile(rf"\b(?:(?P<n>\d+|[a-z]+)\s+)?(?P<word>{_phrases(self.times_words)})\b", re.I)

    def amounts(self, text: str, start: int, end: int) -> list[Amount]:
        """Every dose written in text[start:end], in order."""
        found: list[Amount] = []
        pos = start
        while True:
            m = self.dose.search(text, pos, end)
            if m is None:
                return found
            pos = m.end()
            if _NOT_BEFORE.search(text, max(0, m.start() - 6), m.start()):
                continue
            amount = self._read(text, m, end)
            if amount is not None:
                found.append(amount)
                pos = amount.end
        return found

    def _read(self, text: str, m: re.Match[str], end: int) -> Amount | None:
        """The dose whose amount and unit `m` matched, with what follows the unit."""
        unit = self.units[_spaced(m.group("unit"))]
        if self.not_dose.match(text, m.end(), end):
            return None  # "18 mg/h", "300 µg/mL": a rate or a concentration
        pos, per = m.end(), "dose"
        again = self.range_after.match(text, pos, end)
        if again and self.units[_spaced(again.group("unit"))] == unit:
            pos = again.end()  # "0.5 cc to 1 cc": the lower amount
        vehicle = self.vehicle.match(text, pos, end)
        if vehicle and self.units[_spaced(vehicle.group("unit"))] == "mL" and unit != "mL":
            pos = vehicle.end()  # "300 µg/1 ml": given in 1 ml
        written = self.per.match(text, pos, end)
        if written:
            per, pos = self.pers[_spaced(written.group("per"))], written.end()
            while (more := self.per.match(text, pos, end)) is not None:
                pos = more.end()  # "1 mg/kg/day": per kg, as written first
        return Amount(number(m.group("amount")), unit, per, m.start(), pos)

    def per_around(self, text: str, amount: Amount, drug: tuple[int, int], end: int) -> str:
        """What a dose with no per written after its unit is per, from the words before its
        amount or its drug ("Daily 100 mg aspirin", "daily dose of tacrolimus (1-3 mg)") or a
        few words after both ("75 mg aspirin daily", "40 mg was injected subcutaneously once
        daily"); never a per day counted several times ("twice daily", "four times a day":
        each dose is the amount). `drug`: where the drug's name stands."""
        for anchor in (amount.start, drug[0]):
            before = self.per_before.search(text, max(0, anchor - 20), anchor)
            if before:
                return self.pers[_spaced(before.group("per"))]
        later = self.per_later.match(text, max(amount.end, drug[1]), end)
        if later is None or self.frequency.search(text, max(0, later.start("per") - 20), later.start("per")):
            return amount.per
        return self.pers[_spaced(later.group("per"))]

    def is_diluent(self, text: str, amount: Amount, since: int) -> bool:
        """A volume written after a vehicle phrase ("in 250 cc saline", "diluted in 500 mL")
        once a dose was read since `since`: what the dose is given in."""
        before = self.vehicle.search(text, max(since, amount.start - 30), amount.end)
        return amount.unit == "mL" and before is not None and before.end() == amount.end

    def is_concentration(self, text: str, pos: int) -> bool:
        """A number written with a concentration marker at `pos` ("20 %")."""
        return self.concentration.match(text, pos) is not None

    def count(self, text: str, start: int, end: int, numbers: dict[str, int]) -> int | None:
        """How many doses the words in text[start:end] count ("two infusions", "twice")."""
        for m in self.times.finditer(text, start, end):
            fixed = self.times_words[_spaced(m.group("word"))]
            if fixed:
                return int(fixed)
            n = m.group("n")
            if n and (n.isdigit() or n in numbers):
                return int(n) if n.isdigit() else numbers[n]
        return None


def _spaced(written: str) -> str:
    """A phrase as the rule file writes it: lower case, one space between words."""
    return " ".join(written.lower().split())
