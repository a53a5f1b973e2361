"""rifkb_counts_v1: sample size and number of included studies.

A count is a number (digits or words: "Fifty-one", "One hundred and six") followed,
within a few modifiers ("96 RIF patients", "66 (96 cycles) infertile women"), by a noun
of rules/nouns.tsv, or written "(n = 160)" after a group. Numbers coordinated before one
noun count each ("two cross-sectional and one quasi-experimental studies"); a number
after a label noun names, not counts ("group 1 women"). Each count is read in its clause
(rules/cues.tsv): a stated total ("A total of 108", "Of 169 patients, ...", "1173
patients in total"); included ("The study included 143 patients", "50 women ... were
enrolled", "Five RCTs including 840 patients"); or screened, not in the study ("138
patients ... were assessed for eligibility", "after excluding 42 women", "7,226
publications identified"). A bare number whose noun is understood ("Of the 7,226
publications identified, 53 were selected ...; 30 ... were included") counts what the
count before it counts. How annotation.md counts:

- the stated total of people wins; then the first count of included people, with the
  groups listed with it or included by the same verb ("conducted on 96 RIF patients and
  80 fertile controls" is 176); otherwise the first count, summed with the other groups
  of its sentence;
- fertile or healthy controls counted in a later sentence are added ("Age-matched
  healthy fertile women (n = 160) were included as controls");
- an abstract whose stated total counts cycles, embryos or samples and no people
  ("a study of 161 cycles") has no sample size;
- the number of studies is the first included (or stated total) count of studies with
  the studies listed with it, never the records a search screened.

Written to `doc._.rifkb_counts` as {"sample_size": int or None, "n_studies": int or None};
`doc._.rifkb_sample_size` and `doc._.rifkb_n_studies` read it.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import NamedTuple

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.base import DocView, EitherCase, RuleComponent, factory_config, set_extension
from rifkb.nlp.text import alternation, number_words, parse_number
from rifkb.rules import RuleSet

# A number: "1,221" or "143", not part of a decimal, a date, a ratio or a percentage.
# (The first digit comes first, then what may not precede it, so that re skips to digits
# instead of trying the look-behind at every character: the same matches.)
_DIGITS = re.compile(r"\d(?<![\w.,/%-]\d)(?:\d{0,2}(?:,\d{3})+(?![\w.,/]\d)|\d*(?![\w./]|,\d|\s?%))")
# (read in lower-cased text; "n(?<!\wn)" is "\bn" with the letter first, which re skips to)
_GROUP_N = re.compile(r"\(\s*n\s*=\s*(\d{1,3}(?:,\d{3})+|\d+)\b|n(?<!\wn)\s*=\s*(\d{1,3}(?:,\d{3})+|\d+)\b")
_MODIFIER = re.compile(r"\s*(?:\([^()]{0,40}\)\s*)?([\w'-]+)")
_WORD_BEFORE = re.compile(r"([a-z]+)\s*$")
_MAX_MODIFIERS = 4
_MOST_PEOPLE = 10**8  # more than any registry study counts: a number, not a sample
# English function words that end a noun phrase: grammar, not vocabulary
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
    "as",
    "is",
    "are",
    "be",
    "will",
    "would",
    "can",
    "could",
    "may",
    "should",
    "must",
    "who",
    "which",
}
# what joins the groups of one list: "96 RIF patients and 80 fertile controls", "40 women
# with RIF and 40 women with RPL as well as 20 fertile controls"
_LIST = re.compile(
    r"(?:\s+(?:with|without)(?:\s+[\w/-]+){1,3}?)?"
    r"\s*(?:,|;|\band\b|\bor\b|\bas well as\b|\bplus\b|\bversus\b|\bvs\b\.?|\bcompared\s+(?:with|to)\b"
    r"|\)|\s)*"
)
_CLAUSE_END = re.compile(r"[;.]")
# the nouns whose kind a count takes; "participant", "study", "unit" are counted, and a
# noun of another kind (attempts, labels) only modifies the head after it
_COUNTED = ("participant", "study", "unit", "not_participant")
# the main verb of a count's clause: "... were (retrospectively) included"
_PASSIVE = re.compile(r"\b(?:were|was)\s+(?:[a-z]+ly\s+)?$")
_ADJACENT = re.compile(r"^[\s,]*$")
_ALLOCATED = re.compile(r"\W*(?:were|was)\s+(?:\w+\s+)?(?:randomi[sz]ed|allocated|divided|assigned)\b")
_BARE_SUBJECT = re.compile(r"\s+(?:were|was|had|have|met|satisfied|fulfilled|completed|returned)\b")
# the subject of "... served as controls", "... was collected ... as the control group"
_SERVED_AS_CONTROLS = re.compile(r"\bas\s+(?:the\s+)?(?:controls?|control\s+group|comparison\s+group)\b")


class Count(NamedTuple):  # (a named tuple: cheap to make and to copy with changes)
    value: int
    kind: str  # "participant" | "study" | "group" | "unit" (cycles, embryos, samples)
    start: int
    end: int  # the end of its own words: "two cross-sectional" in "two cross-sectional and one ... studies"
    sentence: int
    total: bool = False  # a stated total: "a total of", "in total", "Of N, ..."
    included: bool = False  # "included", "recruited", "study of" before it; "were enrolled" after it
    screened: bool = False  # "assessed for eligibility", "excluding", a search's records: not in the study
    # "fertile": fertile or healthy controls, which annotation.md adds to the patients;
    # "group": a control group ("the control group (n = 50)", "selected as control")
    control: str = ""
    verb: int = -1  # where the inclusion verb of its clause stands (counts sharing one are one list)
    joined: bool = False  # listed after the count before it: "96 RIF patients and 80 fertile controls"
    approximate: bool = False  # "almost 1600 women", "about 200": no sample size
    part: bool = False  # "the remaining 75": part of a count before it, never added to it


class CountReader(RuleComponent):
    needs = ("sentences", "mentions", "cues")

    def compile(self, rules: RuleSet) -> None:
        words = number_words(rules.numbers)  # in lower case
        lower = re.compile(words) if all(w.isascii() for w in rules.numbers) else None
        self.number_words = EitherCase(re.compile(words, re.IGNORECASE), lower)
        self.noun_kinds: dict[str, str] = {}
        for kind, nouns in rules.nouns.items():  # a noun listed twice keeps its first kind
            for noun in nouns:
                self.noun_kinds.setdefault(noun, kind)
        self.units, self.labels = set(rules.nouns["unit"]), set(rules.nouns["label"])
        self.instruments = re.compile(rf"\b(?:{_words(rules.nouns['instrument'])})\b")
        self.totals = [re.compile(rf"\b{re.escape(c)}\W*$") for c in rules.cues["total"]]
        self.total_after = re.compile(rf"\W*(?:\(\w+\)\s*)?(?:{_words(rules.cues['total'])})\b")
        self.proportion = re.compile(rf"\b(?:{_words(rules.cues['proportion'])})\s+$")
        self.approximate = re.compile(rf"(?<!\w)(?:{_words(rules.cues['approximate'])})\s*$")
        self.part = re.compile(rf"\b(?:{_words(rules.cues['part'])})\s+$")
        self.control_trait = re.compile(rf"\b(?:{_words(rules.cues['control_trait'])})\b")
        self.controls = rules.with_role("control")
        self.included_before = _before(rules.cues["inclusion"])
        # a group's "(n = 240)" is included by a verb ("were enrolled in this study (n=240"),
        # not by the words describing it ("group 2, including patients without CE (n=103)")
        self.group_included_before = _before(rules.cues["inclusion"], passive=True)
        self.screened_before = re.compile(rf"\b(?:{_words(rules.cues['screening'])})\s+(?:(?:the|a|an)\s+)?$")
        number = rf"(?:\d+|{number_words(rules.numbers)})"
        self.conjunct = re.compile(
            rf"\s*(?:,\s*(?:(?P<word>and|or)\s+)?|\s(?P<and>and|or)\s+){number}(?![\w.,/%])", re.I
        )

    def read(self, doc: Doc, view: DocView) -> None:
        counts = self.counts(view)
        found = {"sample_size": sample_size(counts), "n_studies": n_studies(counts)}
        set_extension(doc, "rifkb_counts", found)

    def counts(self, view: DocView) -> list[Count]:
        numbers = [
            (m.start(), m.end(), int(m.group().replace(",", ""))) for m in _DIGITS.finditer(view.cased)
        ]
        for m in self.number_words.finditer(view):
            value = parse_number(m.group(), self.rules.numbers)
            if value is not None:
                numbers.append((m.start(), m.end(), value))
        counts = [c for n in numbers if n[2] <= _MOST_PEOPLE and (c := self._count(view, *n))]
        counts = sorted(counts + self._groups(view), key=lambda c: c.start)
        counts = sorted(counts + self._elided(view, counts, numbers), key=lambda c: c.start)
        if not counts:
            return []
        ends = [0] + [c.end for c in counts[:-1]]
        starts = [c.start for c in counts[1:]] + [len(view.text)]
        counts = [
            c._replace(**self._role(view, c, e, s)) for c, e, s in zip(counts, ends, starts, strict=True)
        ]
        return _join(view, _broken_down(view, counts))

    def _count(self, view: DocView, start: int, end: int, value: int) -> Count | None:
        before = view.lower[max(0, start - 12) : start]
        if self.proportion.search(before) or self._labelled(before):
            return None  # "one out of ten couples", "group 1 women"
        head = self._head(view.lower, end)
        if head is None or head[0] not in ("participant", "study", "unit"):
            return None
        return Count(value, head[0], start, head[1], view.sentence_index(start))

    def _head(self, text: str, pos: int) -> tuple[str, int] | None:
        """The kind of the noun a number counts, within a few modifiers, and where the
        number's own words end. Numbers coordinated before one noun share it ("two
        cross-sectional and one quasi-experimental studies", "A, B and C studies"), but a
        comma alone does not coordinate ("400 records, 11 RCTs")."""
        own_end, steps, commas, conjoined, attempts = None, 0, False, False, False
        while steps <= _MAX_MODIFIERS:
            m = _MODIFIER.match(text, pos)
            if m is None or m.group(1) in _STOP:
                conjunct = self.conjunct.match(text, pos) if steps else None
                if conjunct is None:  # not "March 2019, 154 women": a conjunct follows a modifier
                    return None
                word = conjunct.group("word") or conjunct.group("and")
                conjoined, commas = conjoined or bool(word), commas or not word
                own_end, pos, steps = own_end or pos, conjunct.end(), 0
                continue
            if m.group(1).isdigit() or m.group(1) in self.rules.numbers:
                return None  # "2021 identified 2 RCTs": the noun is the next number's
            kind = self._noun_kind(m.group(1))
            pos, steps = m.end(), steps + 1
            if kind in _COUNTED:
                if (commas and not conjoined) or (attempts and kind != "participant"):
                    return None  # "two failed IVF cycles" counts attempts, as before it
                return kind, own_end or pos
            attempts = attempts or kind is not None  # "312 IVF specialists": a modifier
        return None

    def _noun_kind(self, word: str) -> str | None:
        return "unit" if word in self.units else self.noun_kinds.get(word)

    def _labelled(self, before: str) -> bool:
        word = _WORD_BEFORE.search(before)
        return word is not None and word.group(1) in self.labels

    def _groups(self, view: DocView) -> list[Count]:
        """'(n = 160)' after a group: of people, unless its noun counts cycles or samples."""
        groups = []
        for m in _GROUP_N.finditer(view.lower):
            word = _WORD_BEFORE.search(view.lower[max(0, m.start() - 20) : m.start()])
            kind = self._noun_kind(word.group(1)) if word else None
            if kind == "not_participant":
                continue
            value = int((m.group(1) or m.group(2)).replace(",", ""))
            kind = "unit" if kind == "unit" else "group"
            groups.append(Count(value, kind, m.start(), m.end(), view.sentence_index(m.start())))
        return groups

    def _elided(self, view: DocView, counts: list[Count], numbers: list[tuple[int, int, int]]) -> list[Count]:
        """'Of the 7,226 publications identified, 53 were selected ...; 30 satisfied the
        criteria and were included': a bare number, the subject of its clause, counts what
        the count before it in the sentence counts. Of several, the last (the flow narrows)."""
        taken = {c.start for c in counts}
        last: dict[int, Count] = {}
        for start, end, value in sorted(numbers):
            sentence = view.sentence_index(start)
            before = [c for c in counts if c.sentence == sentence and c.end <= start and c.kind != "unit"]
            if start in taken or not _BARE_SUBJECT.match(view.lower, end):
                continue
            if self._verb(view, end, sentence, ("inclusion",)) is None:
                continue
            if before and value < before[-1].value:
                last[sentence] = Count(value, before[-1].kind, start, end, sentence)
            elif not before and self._answers_instrument(view, sentence):
                last[sentence] = Count(value, "participant", start, end, sentence)
        return list(last.values())

    def _answers_instrument(self, view: DocView, sentence: int) -> bool:
        """A survey's respondents: "An anonymous questionnaire was sent to 1,350 members
        ...; 412 completed it", "287 returned completed questionnaires"."""
        s, e = view.sentences[sentence]
        return bool(self.instruments.search(view.lower, s, e))

    def _role(self, view: DocView, count: Count, previous_end: int, next_start: int) -> dict[str, object]:
        text, start, end = view.lower, count.start, count.end
        before = text[max(0, previous_end, start - 40) : start]  # its own words, not the count's before it
        screening = ("screening", "search") if count.kind == "study" else ("screening",)
        verb = self._verb(view, end, count.sentence, ("inclusion", *screening))
        screened = self.screened_before.search(before) is not None or (
            verb is not None and verb[1] in screening
        )
        total = any(r.search(before) for r in self.totals) or bool(
            self.total_after.match(text[end : end + 25])
        )
        if re.search(r"(?:^|[.:\n]\s*)Of\s+(?:the\s+)?$", view.cased[max(0, start - 10) : start]):
            total = True  # "Of 169 patients, 84 were assigned to ..." (not "8 of 31 women")
        if count.kind == "group" and _ALLOCATED.match(text, end):
            total = True  # "Women with RIF ... (n=130) were randomly allocated to ...": everyone
        included_before = self.group_included_before if count.kind == "group" else self.included_before
        included = included_before.search(before) is not None or (verb is not None and verb[1] == "inclusion")
        return {
            "total": total and not screened, "included": included and not screened, "screened": screened,
            "control": self._control(view, max(previous_end, start - 45), min(next_start, end + 60))
            or self._served(view, count, next_start),
            "verb": verb[0] if verb and included else -1,
            "approximate": bool(self.approximate.search(before)), "part": bool(self.part.search(before)),
        }  # fmt: skip

    def _verb(
        self, view: DocView, end: int, sentence: int, categories: tuple[str, ...]
    ) -> tuple[int, str] | None:
        """The first cue of the categories that is the verb of the clause after a count:
        right after it ("7,226 publications identified", "Five RCTs including") or
        after 'were' ("138 patients ... were assessed for eligibility")."""
        if sentence < 0:
            return None
        clause_end = view.sentences[sentence][1]
        stop = _CLAUSE_END.search(view.lower, end, clause_end)
        clause_end = stop.start() if stop else clause_end
        cues = view.cues
        found: tuple[int, str] | None = None
        for c_start, _, category in cues[bisect_left(cues, (end,)) :]:
            if c_start >= clause_end or (found is not None and c_start > found[0]):
                break
            between = view.lower[end:c_start]
            if category not in categories or not (_ADJACENT.match(between) or _PASSIVE.search(between)):
                continue
            # a phrase of two categories ("identified": included, or a search's yield) reads
            # as the later category given
            if found is None or categories.index(category) > categories.index(found[1]):
                found = (c_start, category)
        return found

    def _served(self, view: DocView, count: Count, next_start: int) -> str:
        """Controls said so at their sentence's end: "One hundred and ten patients whose
        implants osseointegrated ... served as controls"."""
        if count.sentence < 0:
            return ""
        high = min(next_start, view.sentences[count.sentence][1])
        return "served" if _SERVED_AS_CONTROLS.search(view.lower, count.end, high) else ""

    def _control(self, view: DocView, low: int, high: int) -> str:
        """A count of controls: fertile or healthy ones (a control concept or word near it),
        or a control group; not nearer another count ("96 RIF patients and 80 fertile
        controls")."""
        if any(h.concept in self.controls for h in view.mentions_in(low, high)):
            return "fertile"
        if self.control_trait.search(view.lower[low:high]):
            return "fertile"
        if any(c == "control_group" for _, _, c in view.cues_in(low, high)):
            # ("served as controls", said of the count: controls recruited apart, added)
            return "served" if _SERVED_AS_CONTROLS.search(view.lower, low, high) else "group"
        return ""


def _join(view: DocView, counts: list[Count]) -> list[Count]:
    """Mark the counts listed after the count before them in the same sentence."""
    joined, previous = [], None
    for c in counts:
        listed = (
            previous is not None
            and previous.sentence == c.sentence
            and bool(_LIST.fullmatch(view.lower[previous.end : c.start]))
        )
        joined.append(c._replace(joined=listed))
        if previous is None or c.start >= previous.end:
            previous = c
    return joined


def _broken_down(view: DocView, counts: list[Count]) -> list[Count]:
    """Mark the counts in a parenthesis opened after a larger count of its sentence as its
    parts: "176 women (88 treated with tacrolimus, 88 matched untreated controls)" is 176,
    "(n = 60; 30 given IVIg, 30 controls)" is 60."""
    marked = []
    for i, c in enumerate(counts):
        whole = next(
            (p for p in reversed(counts[:i]) if p.sentence == c.sentence and p.value > c.value
             and _open_parenthesis(view.lower[p.start : c.start])),
            None,
        )  # fmt: skip
        marked.append(c._replace(part=True) if whole is not None else c)
    return marked


def _open_parenthesis(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += (ch == "(") - (ch == ")")
    return depth > 0


def _words(phrases: tuple[str, ...]) -> str:
    return alternation(phrases)


def _before(phrases: tuple[str, ...], passive: bool = False) -> re.Pattern[str]:
    """A cue up to three words before a count: 'included in this study 143', 'excluding 42';
    `passive`: after 'were' or 'was'."""
    verb = r"\b(?:were|was)\s+(?:[a-z]+ly\s+)?" if passive else r"\b"
    return re.compile(rf"{verb}(?:{_words(phrases)})\s+(?:[\w(]+\s+){{0,3}}\(?$")


def sample_size(counts: list[Count]) -> int | None:
    people = [c for c in counts if c.kind in ("participant", "group") and not c.screened and not c.part]
    totals = [c for c in people if c.total]
    included = [c for c in people if c.included and not c.control]
    first = next((c for c in counts if c.kind in ("participant", "group", "unit") and not c.screened), None)
    if totals:
        used = _listed(totals[0], people)  # "A total of 45 RIF patients and 30 controls"
    elif _counts_units(first, people):
        return None  # "a study of 161 cycles in patients": the abstract counts cycles, not people
    elif included:
        used = _listed(included[0], people)
    elif people:
        used = _first_groups(people)
    else:
        return None
    if used[0].approximate:
        return None  # "Almost 1600 women were included": annotation.md gives no sample size
    return sum(c.value for c in used) + sum(c.value for c in _controls_after(used, people))


def total_of_groups(sample: int | None, arms: list[dict[str, object]] | None) -> int | None:
    """The sample size given the sizes of the groups a study compares (rifkb_study_data's
    `rifkb_arm_sizes`): a count that is one group's size ("82 of 157 women received G-CSF"
    read as 82) gives way to the groups' sum, which annotation.md counts ("30 RIF women and
    50 fertile controls is 80"); a count the groups add up to, or exceed, stays."""
    sizes = [int(str(a["total"])) for a in arms or ()]
    if sample is None or len(sizes) < 2:
        return sample
    return sum(sizes) if sample in sizes and sum(sizes) > sample else sample


def _counts_units(first: Count | None, people: list[Count]) -> bool:
    """The first count is a stated or included number of cycles, embryos or samples, and
    its sentence counts no people ("1,245 IVF cycles of 530 women" does)."""
    if first is None or first.kind != "unit" or not (first.total or first.included):
        return False
    return not any(c.sentence == first.sentence for c in people)


def _first_groups(people: list[Count]) -> list[Count]:
    """With no total and no count said to be included: the first count with the other
    groups of its sentence; arms written '(n = 33)' one sentence each are summed."""
    first = people[0]
    if first.kind == "group":
        others = next((i for i, c in enumerate(people) if c.kind != "group"), len(people))
        used = people[:others]
    else:
        used = [c for c in people if c.sentence == first.sentence]
    rest = used[1:]
    if len(rest) >= 2 and sum(c.value for c in rest) == first.value:
        return [first]  # "75 women ... four groups: 41, 23, 6 and 5 patients", "(n=130) ... (n=65) or (n=65)"
    return used


def _controls_after(used: list[Count], people: list[Count]) -> list[Count]:
    """Controls recruited in a later sentence ("Age-matched healthy fertile women (n = 160)
    were included as controls", "We also recruited 45 fertile women and 40 ...")."""
    sentences = {c.sentence for c in used}
    later = [
        c for c in people
        if (c.control in ("fertile", "served") or c.control and c.included) and c.sentence not in sentences
        and c.start > used[0].start
    ]  # fmt: skip
    return _listed(later[0], people) if later else []


def _listed(first: Count, counts: list[Count]) -> list[Count]:
    """A count and the counts listed right after it ("96 RIF patients and 80 fertile
    controls"), or included by the same verb ("66 ... women ..., and 233 ... women ...
    were enrolled")."""
    listed, chained = [first], True
    for c in counts:
        if c.start <= first.start or c.sentence != first.sentence:
            continue
        chained = chained and c.joined
        if chained or (first.verb >= 0 and c.verb == first.verb):
            listed.append(c)
    return listed


def n_studies(counts: list[Count]) -> int | None:
    studies = [c for c in counts if c.kind == "study" and not c.screened and not c.part]
    if not studies:
        return None
    chosen = next((c for c in studies if c.total or c.included), studies[0])
    return sum(c.value for c in _listed(chosen, studies))


@Language.factory(
    "rifkb_counts_v1", default_config=factory_config(),
    requires=["token.is_sent_start", "doc.spans", "doc._.rifkb_cues"], assigns=["doc._.rifkb_counts"],
)  # fmt: skip
def make_counts(nlp: Language, name: str, rules_dir: str | None) -> CountReader:
    return CountReader(name, rules_dir)
