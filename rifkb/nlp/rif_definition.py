"""rifkb_rif_definition_v1: the criteria a study uses to define RIF.

A definition is read with a small grammar over the folded text of each sentence, anchored
on its numbers (digits, number words, lists and ranges: "3–4 and ≥ 5", "two or three"):

    count   := [quantifier] numbers [post-quantifier] modifier{0,6} noun+ [post-modifier]
    quantifier := "at least" | "a minimum of" | "≥" | ... ; post-quantifier := "or more"

The noun says what is counted (rules/nouns.tsv): attempts (cycles, transfers, attempts,
failures, IVF) or embryos. An attempt count is a count of *failures* when a failure word
is part of it ("three failed IVF attempts", "3 ART failures", "two or more implantation
failures"), follows it ("two IVF cycles with implantation failure"), or governs it
through a preposition ("failure to achieve a pregnancy ... in a minimum of three cycles",
"failed to conceive after 3 or more embryo transfers", "despite at least three
transfers"). A count without a noun counts failures when it stands in brackets after
the condition ("repeated implantation failure (RIF, three or more)"). Embryo counts need
a quantifier ("at least four good-quality embryos"); where the criterion offers
alternatives (cleavage-stage embryos or blastocysts) the first is read. Embryo quality
and the upper age limit ("under the age of 40", "< 38", "35 years or younger") are read
in the same sentence. This follows the wording of the definitions in use (Coughlan et al.
2014: "at least four good-quality embryos in a minimum of three fresh or frozen cycles in
a woman under the age of 40"; those Polanski et al. 2014 found most often: "three or more
failed treatment cycles", "two or more failed cycles").

Which sentence gives the study's definition:
1. one that defines RIF ("is defined as", "refers to", a count in brackets after the
   condition); the last of them, since abstracts end on the definition they endorse
   (Polanski et al. 2014 contrast the definitions in use before proposing their own);
2. else the first that describes the patients studied (title, aim, inclusion criteria:
   "100 patients who had at least one previously failed IVF/ICSI"), when the abstract
   speaks of RIF at all;
3. never a subgroup ("subgroup analyses revealed that women with three or more previous
   failures ...", "In women with four or more failed transfers, the RR ... was 1.92"), a
   survey's respondents' definitions ("only 23% of respondents defined RIF as ...") or a
   result about women counted by their failures, unless the same
   sentence calls them RIF ("an implantation rate of 40% in RIF patients who had failed
   despite at least three transfers"). One previous failure is not recurrent: a
   population counted from one failure is RIF only if no subgroup with more failures is
   singled out for it.

Written to `doc._.rifkb_rif_definition`: a dict (min_failed_transfers, min_embryos,
embryo_quality, max_age, start, end, rule) or None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.base import DocView, Hit, RuleComponent, extension, factory_config, set_extension
from rifkb.nlp.text import number_words, parse_number
from rifkb.rules import RuleSet

_MAX_MODIFIERS = 6
# Closed-class grammar, not vocabulary: function words that end a noun phrase, the
# prepositions through which a failure governs a count, and those that attach a failure
# after the counted noun ("two cycles with implantation failure").
# ("one of the reasons", "3 had a failed transfer" are not counts of reasons or transfers)
_STOP = {
    "and", "with", "who", "that", "which", "of", "ratio", "ratios", "a", "an", "the",
    "is", "are", "was", "were", "had", "has", "have",
}  # fmt: skip
_GOVERNORS = {"after", "following", "despite", "in", "of", "over", "across"}
_POSTMODIFIERS = {"with", "of"}
_READ_WHEN = {"failure", "definition"}
_RESULT_CUES = {"increase", "decrease", "no_difference", "association", "significant", "not_significant"}
_P_VALUE = re.compile(r"\bp\s*(?:[<>=≤≥]|value)")
_PAREN = re.compile(r"\s*[(\[][^()\[\]]{0,40}[)\]]")
_WORD = re.compile(r"\s*([(\[]|[)\]]|[\w'/-]+|,)")
_LAST_WORD = re.compile(r"(\w+)\W*$")  # searched in a short window before a count
# What ends the reach of a failure over a later count: punctuation, a finite verb, a
# relative or "with" clause ("RIF patients who had a live birth after three transfers").
_CLAUSE_BREAK = re.compile(r"[,;:]|\b(?:is|are|was|were|had|has|did|does|with|who|which|whom)\b")
# A sentence that opens on a part of the patients counts some of them ("Of these, 14 had
# RIF", "Of the 150 women, 40 had one failed transfer"): a breakdown, not a definition.
_PARTITIVE = re.compile(r"\s*(?:[a-z ]+:\s*)?(?:of|among)\s+(?:these|them|those|whom|the\s+\d[\d,]*)\b")
_BRACKET = re.compile(r"\s*[(\[]([^()\[\]]{1,120})[)\]]")


@dataclass(frozen=True)
class Count:
    """A count read by the grammar: its smallest number, what it counts ("attempt",
    "embryo", or "" when no noun follows), whether a failure is part of it or governs
    it, and whether a quantifier bounds it ("at least", "or more")."""

    value: int
    kind: str
    failed: bool
    quantified: bool
    series: bool  # "three consecutive transfers"
    start: int
    end: int


@dataclass
class Reading:
    """What one sentence says of RIF criteria, and what kind of sentence it is."""

    start: int
    end: int
    role: str  # "definition" | "population" | "subgroup"
    names_rif: bool  # a RIF mention besides the counts (not only "three implantation failures")
    cues: set[str]  # the cue categories of the sentence
    failures: list[int] = field(default_factory=list)
    embryos: list[int] = field(default_factory=list)


def _counts_failures(count: Count, defining: bool, names_rif: bool, bracketed: bool) -> bool:
    """Attempts counted as failures: failed, in a definition, or a series in a sentence
    about RIF ("three successive transfers"); a bare bound in brackets after the
    condition ("RIF, three or more")."""
    if count.kind == "attempt":
        return count.failed or defining or count.series and names_rif
    return count.kind == "" and count.quantified and bracketed


def _referred(text: str, at: int, referrals: list[int]) -> bool:
    """A count in the clause of a referral or an offer ("patients are referred for
    hysteroscopy after 2 failed transfers", "After three unsuccessful cycles, patients are
    usually offered PGT-A"): a clinic's threshold, not the study's definition."""
    return any(";" not in text[min(r, at) : max(r, at)] for r in referrals)


class RifDefinitionReader(RuleComponent):
    needs = ("sentences", "mentions", "cues")

    def compile(self, rules: RuleSet) -> None:
        number = rf"(?:\d+|(?:{number_words(rules.numbers)}))"
        quantifier = r"(?:≥\s*|>=\s*|> or =\s*)?"
        self.number_list = re.compile(
            # (not a code: "P-087", "IL-6"; not a number written with a leading zero)
            rf"(?<![\w./])(?<![a-z]-)(?!0\d)(?P<list>{number}(?:\s*(?:-|~|to|and|or|,)\s*{quantifier}{number})*)"
            r"(?![\w.]|-[a-z]|\s*%)",
            re.IGNORECASE,
        )
        self.failure_words = {p.lower() for p in rules.cues["failure"] if " " not in p}
        self.series_words = {p.lower() for p in rules.cues["series"]}
        after = [q for q in rules.cues["at_least"] if q.startswith("or ")]
        before = [(q, 0) for q in rules.cues["at_least"] if q not in after]
        before += [(q, 1) for q in rules.cues["more_than"]]  # "more than two" is three
        self.before_quantifiers = sorted(before, key=lambda b: -len(b[0]))  # "> or =" before ">"
        self.after_quantifiers = (*after, "+")
        self.nouns = {w: kind for kind in ("attempt", "embryo") for w in rules.nouns[kind]}
        self.not_nouns = set(rules.nouns["participant"]) | set(rules.nouns["not_participant"])
        self.ages = self._age_patterns(rules.cues["age_limit"])
        averages = "|".join(re.escape(a) for a in rules.cues["average"])
        self.average = re.compile(rf"\b(?:{averages})\s+(?:number\s+)?(?:of\s+)?$")

    def read(self, doc: Doc, view: DocView) -> None:
        set_extension(doc, "rifkb_rif_definition", self.definition(view))

    # --- which sentence defines RIF ----------------------------------------------------

    def definition(self, view: DocView) -> dict[str, Any] | None:
        rif = [h for h in view.mentions if h.concept == "rif"]
        if not rif:
            return None
        brackets = self._brackets(view, rif)
        # cues and RIF mentions by sentence, found once (not once per sentence)
        cues: list[list[tuple[int, int, str]]] = [[] for _ in view.sentences]
        for cue in view.cues:
            if (i := view.sentence_index(cue[0])) >= 0:
                cues[i].append(cue)
        mentions: list[list[Hit]] = [[] for _ in view.sentences]
        for h in rif:
            if (i := view.sentence_index(h.start)) >= 0:
                mentions[i].append(h)
        readings = [
            self._reading(view, s, e, cues[i], mentions[i], brackets)
            for i, (s, e) in enumerate(view.sentences)
            if mentions[i] or any(c in _READ_WHEN for _, _, c in cues[i]) or "despite" in view.lower[s:e]
        ]  # a sentence without a failure, a definition or RIF has no criterion to read
        chosen = self._choose(readings) or self._described(view, readings)
        if chosen is None:
            return None
        sentence = view.lower[chosen.start : chosen.end]
        return {
            "min_failed_transfers": min(chosen.failures) if chosen.failures else None,
            "min_embryos": chosen.embryos[0] if chosen.embryos else None,
            "embryo_quality": "good" if "good_quality" in chosen.cues else None,
            "max_age": self._age(sentence), "start": chosen.start, "end": chosen.end,
            "rule": "rifkb_rif_definition_v1",
        }  # fmt: skip

    def _choose(self, readings: list[Reading]) -> Reading | None:
        counted = [r for r in readings if r.failures]
        defining = [r for r in counted if r.role == "definition"]
        if defining:
            return defining[-1]
        population = [r for r in counted if r.role == "population"]
        if not population:
            return None
        chosen = population[0]
        subgroups = [max(r.failures) for r in counted if r.role == "subgroup"]
        if min(chosen.failures) == 1 and any(n > 1 for n in subgroups):
            return None  # "one or more failures", with women of three or more singled out
        return chosen

    def _described(self, view: DocView, readings: list[Reading]) -> Reading | None:
        """No failures counted: a sentence that names RIF with its failure or its
        definition, and gives embryos, their quality or an age limit."""
        found = []
        for r in readings:
            if r.role == "subgroup" or not r.names_rif or not r.cues & {"failure", "definition"}:
                continue
            if r.embryos or "good_quality" in r.cues or self._age(view.lower[r.start : r.end]):
                found.append(r)
        defining = [r for r in found if r.role == "definition"]
        return defining[-1] if defining else (found[0] if found else None)

    def _reading(
        self, view: DocView, start: int, end: int, cues: list[tuple[int, int, str]], rif: list[Hit],
        brackets: list[tuple[int, int]],
    ) -> Reading:  # fmt: skip
        # what can govern a count: failure words (verbs among them) and RIF mentions
        governors = [(s, e, True) for s, e, c in cues if c == "failure"] + [
            (h.start, h.end, False) for h in rif
        ]
        counts = self._counts(view.lower, start, end, governors)
        bracketed = {
            c.start for c in counts
            if (c.kind or c.quantified) and any(b0 <= c.start < b1 for b0, b1 in brackets)
        }  # fmt: skip
        counts = self._not_referred(view, counts, cues, bracketed)
        names_rif = any(not any(c.start <= h.end and h.start <= c.end for c in counts) for h in rif)
        categories = {c for _, _, c in cues}
        role = self._role(view, start, end, categories, names_rif, bool(bracketed))
        reading = Reading(start, end, role, names_rif, categories)
        for c in counts:
            if c.kind == "embryo" and c.quantified:
                reading.embryos.append(c.value)
            elif _counts_failures(c, role == "definition", names_rif, c.start in bracketed):
                reading.failures.append(c.value)
        return reading

    def _not_referred(self, view: DocView, counts: list[Count], cues: list[tuple[int, int, str]],
                      bracketed: set[int]) -> list[Count]:  # fmt: skip
        """Counts outside a referral's clause. A definition in brackets after the condition
        is never a referral ("referred after two failed attempts ...; those who met the
        study definition of RIF (three or more failed transfers ...)"); a sentence that
        includes patients ("referred ... were included") describes them by its referral
        threshold only when it gives no other count."""
        referrals = [e for _, e, c in cues if c == "referral"]
        kept = [c for c in counts if c.start in bracketed or not _referred(view.lower, c.start, referrals)]
        if kept or not any(c == "inclusion" for _, _, c in cues):
            return kept
        return counts

    def _role(
        self, view: DocView, start: int, end: int, cues: set[str], names_rif: bool, bracket: bool
    ) -> str:
        if bracket or "definition" in cues and names_rif:
            return "definition"
        if "subgroup" in cues or _PARTITIVE.match(view.lower, start, end):
            return "subgroup"
        if "respondents" in cues:
            return "subgroup"  # "only 23% of respondents defined RIF as three ...": theirs, reported
        in_title = start < view.title_end
        estimates = any(start <= e["start"] < end for e in extension(view.doc, "rifkb_effects") or ())
        result = bool(cues & _RESULT_CUES) or bool(_P_VALUE.search(view.lower, start, end)) or estimates
        # (not a description of the patients included: "women with at least three failed
        # transfers and an elevated TNF-α/IL-10 ratio were allocated ...")
        if result and not in_title and "aim" not in cues and not names_rif and "inclusion" not in cues:
            return "subgroup"  # "women with three or more failures had a higher rate"
        return "population"

    def _brackets(self, view: DocView, rif: list[Hit]) -> list[tuple[int, int]]:
        """Brackets right after a RIF mention: "RIF (≥3 failed cycles)", "(RIF, three or more)"."""
        spans = []
        for h in rif:
            m = _BRACKET.match(view.lower, h.end)
            if m:
                spans.append((m.start(1), m.end(1)))
        return spans

    # --- the grammar of a count --------------------------------------------------------

    def _counts(self, text: str, start: int, end: int, governors: list[tuple[int, int, bool]]) -> list[Count]:
        counts = []
        for m in self.number_list.finditer(text, start, end):
            values = [parse_number(n, self.rules.numbers) for n in
                      re.findall(r"\d+|[a-z]+(?:-[a-z]+)?", m.group("list"))]  # fmt: skip
            values = [v for v in values if v is not None and 0 < v < 100]
            if not values:
                continue
            if self._label(text, start, m.start()) or self.average.search(
                text, max(start, m.start() - 24), m.start()
            ):
                continue  # "day 3 ET", "a median of 4 previous failed transfers"
            before, strict = self._quantifier_before(text, start, m.start())
            pos, after = self._quantifier_after(text, m.end(), end)
            kind, words, pos = self._noun_phrase(text, pos, end)
            failed = bool(words & self.failure_words) or (kind != "" and self._failure_after(text, pos, end))
            governed = self._governed(
                text, start, m.start() if before is None else before, governors, before is not None
            )
            quantified = before is not None or after
            series = bool(words & self.series_words)
            counts.append(
                Count(min(values) + strict, kind, failed or governed, quantified, series, m.start(), pos)
            )
        return counts

    def _label(self, text: str, start: int, pos: int) -> bool:
        """A number after a unit names a day or a cycle, it counts nothing ("day 3 ET")."""
        last = _LAST_WORD.search(text, max(start, pos - 12), pos)
        return (
            last is not None
            and last.end() == pos - 1
            and (last.group(1) in self.not_nouns or last.group(1) + "s" in self.not_nouns)
        )

    def _quantifier_before(self, text: str, start: int, pos: int) -> tuple[int | None, int]:
        """Where "at least", "a minimum of", "≥", "more than" before a number begins, if
        one does, and 1 for a strict bound ("more than two" is three), else 0."""
        lo = max(start, pos - 16)
        before = text[lo:pos].rstrip()
        for q, strict in self.before_quantifiers:
            if before.endswith(q) and (len(before) == len(q) or not before[-len(q) - 1].isalnum()):
                return lo + len(before) - len(q), strict
        return None, 0

    def _quantifier_after(self, text: str, pos: int, end: int) -> tuple[int, bool]:
        rest = text[pos : min(end, pos + 16)]
        stripped = rest.lstrip()
        for q in self.after_quantifiers:
            if stripped.startswith(q):
                return pos + len(rest) - len(stripped) + len(q), True
        return pos, False

    def _noun_phrase(self, text: str, pos: int, end: int) -> tuple[str, set[str], int]:
        """What a number counts: the kind of its noun, the words of the phrase, and where
        the phrase ends; kind "" when no counted noun follows.
        The phrase runs to the last noun of the first noun's kind within reach ("two
        IVF/intracytoplasmic sperm injection cycles"), so "12 embryos transferred during
        several IVF cycles" counts embryos."""
        kind, words, head_end, phrase = "", [], pos, set()
        for _ in range(_MAX_MODIFIERS + 2):
            pos = self._skip_brackets(text, pos, end)
            m = _WORD.match(text, pos, end)
            if m is None or m.group(1) in ("(", ")", "[", "]"):
                break
            word = m.group(1)
            if word == ",":  # "≥8, 8-cell stage embryos"
                following = _WORD.match(text, m.end(), end)
                if kind or following is None or not following.group(1)[:1].isdigit():
                    break
                pos = m.end()
                continue
            noun = self._noun(word)
            if noun and noun != kind and kind:
                break
            if not noun and (word in _STOP or word in self.not_nouns or word.isdigit()):
                break
            words.append(word)
            if noun:
                kind, head_end, phrase = noun, m.end(), set(words)
            pos = m.end()
        return kind, phrase, head_end

    def _noun(self, word: str) -> str:
        kinds = {self.nouns.get(p, "") for p in word.split("/")}  # "IVF/ICSI"; not "IVF/intracytoplasmic"
        return kinds.pop() if len(kinds) == 1 else ""

    def _skip_brackets(self, text: str, pos: int, end: int) -> int:
        paren = _PAREN.match(text, pos, end)
        return paren.end() if paren else pos

    def _failure_after(self, text: str, pos: int, end: int) -> bool:
        """ "two IVF cycles with implantation failure": a failure after the counted noun."""
        pos = self._skip_brackets(text, pos, end)
        m = _WORD.match(text, pos, end)
        if m is None or m.group(1) not in _POSTMODIFIERS:
            return False
        words = re.findall(r"[\w'-]+", text[m.end() : min(end, m.end() + 40)])[:3]
        return any(w in self.failure_words for w in words)

    def _governed(
        self, text: str, start: int, pos: int, governors: list[tuple[int, int, bool]], quantified: bool
    ) -> bool:
        """A failure earlier in the same clause governs the count through a preposition:
        "failure to achieve a clinical pregnancy after three cycles", "failed to conceive
        after 3 or more transfers", "RIF (...) after three ET cycles", or directly ("had
        failed at least three IVF attempts"); "despite" alone
        does. "in" only with a quantifier or right after the failure ("in a minimum of
        three cycles", "implantation failure in two cycles"), "of" only right after it
        ("failure of 3 transfers"): not "women with RIF received IVIg in two cycles", nor
        "in RIF, the live birth rate after three transfers"."""
        if any(verb and e <= pos and not text[e:pos].strip() for _, e, verb in governors):
            return True  # "women who had failed at least three IVF attempts"
        last = _LAST_WORD.search(text, max(start, pos - 40), pos)
        if last is None or last.group(1) not in _GOVERNORS:
            return False
        if last.group(1) == "despite":
            return True
        if last.group(1) == "of" or last.group(1) == "in" and not quantified:  # "failure of 3 transfers"
            return any(0 <= last.start() - e <= 2 for _, e, _ in governors)
        return any(
            e <= last.start() and not _CLAUSE_BREAK.search(text, e, last.start()) for _, e, _ in governors
        )

    # --- age ---------------------------------------------------------------------------

    def _age_patterns(self, cues: tuple[str, ...]) -> list[re.Pattern[str]]:
        """ "under the age of 40", "< 38", "aged ≤ 40", "35 years or younger"."""
        years = r"(?:\s*(?:years?|yrs?|y)(?:\s+old|\s+of\s+age)?)?"
        before = [re.escape(c) for c in cues if not c.startswith("or ")]
        after = [re.escape(c) for c in cues if c.startswith("or ")]
        patterns = [re.compile(rf"(?<![\w])(?:{'|'.join(before)})\s*(\d{{2}})\b(?!\s*%)")]
        aged = [c for c in after if "young" in c]  # "or younger" says age; "or less" needs "years"
        if aged:
            patterns.append(re.compile(rf"(?<![\w.])(\d{{2}}){years},?\s*(?:{'|'.join(aged)})\b"))
        if len(aged) < len(after):
            plain = "|".join(c for c in after if c not in aged)
            patterns.append(re.compile(rf"(?<![\w.])(\d{{2}})\s*(?:years?|yrs?),?\s*(?:{plain})\b"))
        return patterns

    def _age(self, sentence: str) -> int | None:
        for pattern in self.ages:
            for m in pattern.finditer(sentence):
                if 25 <= int(m.group(1)) <= 50:
                    return int(m.group(1))
        return None


@Language.factory(
    "rifkb_rif_definition_v1", default_config=factory_config(),
    requires=["token.is_sent_start", "doc.spans", "doc._.rifkb_cues"],
    assigns=["doc._.rifkb_rif_definition"],
)  # fmt: skip
def make_rif_definition(nlp: Language, name: str, rules_dir: str | None) -> RifDefinitionReader:
    return RifDefinitionReader(name, rules_dir)
