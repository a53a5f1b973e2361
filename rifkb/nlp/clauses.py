"""How an abstract lays out a result: the closed-class grammar rifkb_findings_v1 reads with.

Not vocabulary (that is in the rule files) but the shape of reporting in abstracts:

- headings of a structured abstract, and which of them open others' work or the aim
  (NLM's BACKGROUND and OBJECTIVE categories and their usual names);
- clauses: a sentence cut at ';' and at contrast words, except inside brackets and before
  statistics ("(32/49; 65.3%) ...; p < 0.001" is one clause);
- a clause's opening setting ("In women with a clinical pregnancy, ...") and the reference
  groups of its comparisons ("... than in those who had a live birth"); what a comparison
  "with and without CE" compares;
- direction words that describe a mechanism ("elevated Th1/Th2 ratios") rather than state
  a result, and the direction word nearest an outcome; p-values ("p value: 0.009", "p = NS");
- groups named by a label ("group I versus group IV", "Low group") and what defines each.

Offsets are into the folded text (`DocView.lower`), so every span maps back to the Doc.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from rifkb.nlp.base import Hit

T = TypeVar("T")
Subjects = tuple[str, list[str]]  # ("treatment", ["ivig", "tnf_inhibitor"])

# what may follow a ';' without starting a clause: "(...); p < 0.001", "; 95% CI 1.2-1.8"
STATISTIC = r"(?:p\b|p-?value|\d+\s*%\s*ci|ci\b|or\b|rr\b|hr\b|i2|i²|n\s*=)"
_OPENING = re.compile(r"[^\w]*(?:\w+(?:\s+\w+)?\s*:\s*)?")  # "Results: " before a sentence's first word
_WORD = re.compile(r"[^\W\d_]{2,}")
_BRACKETS = re.compile(r"\((?:[^()]++|\([^()]*+\))*+\)|\[(?:[^\[\]]++|\[[^\[\]]*+\])*+\]")
_SETTING = re.compile(r"[^\w]*(?:\w+(?:\s+\w+)?\s*:\s*)?(?:in|among|for)\s[^,;:]{3,160},")
_VERB = re.compile(r"(?<!who )(?<!that )(?<!which )\b(?:was|were|is|are|had|has|have|showed|did|does)\b")
_COMPARISON = re.compile(r"\b(?:than|compared (?:to|with)|in comparison (?:to|with)|relative to|versus|vs)\b")
_COORDINATION = re.compile(r"^(?:\s*\w+)?\s*(?:,|,?\s*and|,?\s*or)\s+(?:\S+\s+)?$")
# The headings of a structured abstract: what follows BACKGROUND or OBJECTIVE (NLM's
# categories and their usual names) up to the next heading is others' work or an aim, not
# a result of this study ("Background: Women with hypothyroidism are at increased risk").
BACKGROUND = re.compile(r"(?:background|introduction|context|rationale|purpose|objectives?|aims?|problem)\b")
# (possessive: a word's characters, the spaces after it, are never given back, which could
# not make a match (what follows each is of another class) but had re try every split of
# every word of a sentence that is no heading: 53 -> 30 µs an abstract)
_HEADING = re.compile(r"\W*+((?:[^\W\d][\w()&/-]*+\s++){0,4}[^\W\d][\w()&/-]*+)\s*+(?::|$)")
# "To improve the pregnancy rate, it may be helpful to ...": a purpose, not a result ("To
# date", "To our knowledge", "To conclude" open no purpose)
PURPOSE = re.compile(
    r"\W*(?:\w+\s*:\s*)?(?:in order )?to\s+(?!date\b|our\b|the best\b|conclude\b|summari[sz]e\b|sum up\b)\w+"
)
# "women with and without CE", "treated ... and those without CE": both groups of a comparison
BOTH_GROUPS = re.compile(
    r"\b(?:with (?:or|and)|(?:and|or|vs\.?|versus) (?:those|women|patients))\s+without\s+(?:[\w-]+\s+){0,3}$"
)
# "When stratified by fresh or frozen cycles, ... not significantly different": a comparison
# of strata, not of the treatment the study is about
# (a word first, then the look-behind for its start, "\b" before it: re skips from one
# occurrence of the word to the next, here and in _GROUP and P below)
STRATA = re.compile(r"stratif(?<!\wstratif)(?:ied|ying|ication)\b")

# "p" first, then the look-behind that makes it a word's start (what "\bp" says): re
# skips to the letter p rather than trying the word boundary at every character
P = re.compile(r"p(?<!\wp)\s*(?:-?\s*value\s*)?([<>=≤≥:]+)\s*(\d*\.\d+|\d)", re.IGNORECASE)
P_NS = re.compile(r"p(?<!\wp)\s*[=:]\s*n\.?s\b", re.IGNORECASE)
# "decreased ratio of FOXP3+/FOXP3-CD45RA+ ...": a direction word, a measure of, the mechanism
_MEASURED = re.compile(
    r"^\s+(?:\w+\s+)?(?:levels?|ratios?|numbers?|percentages?|proportions?|expressions?|counts?"
    r"|frequenc(?:y|ies)|concentrations?|activity|density|production)\s+of\s+(?:[^\s,;]+\s+){0,3}$"
)
_ADJACENT = re.compile(r"^\s*(?:(?!(?:in|of|than|with|to|for|and|or|by)\s)[^\s,;]+\s+){0,2}$")
_PREDICATE_GAP = re.compile(r"^[^\w]*(?:\w+\s+){0,3}?(?:was|were|is|are)(?:\s+\w+ly)*\s+$")
_SELECTION = re.compile(r"\bwith\s+(?:\w+\s+)?$")  # "patients with elevated Th1/Th2 ratios"


class Located(Generic[T]):
    """Items of a Doc sorted by their start offset, taken between two offsets by bisection
    (no scan of the whole Doc for each sentence and clause)."""

    def __init__(self, items: Iterable[T], start_of: Callable[[T], int]):
        self.items = sorted(items, key=start_of)
        self.starts = [start_of(item) for item in self.items]

    def within(self, start: int, end: int) -> list[T]:
        return self.items[bisect_left(self.starts, start) : bisect_left(self.starts, end)]


@dataclass(frozen=True)
class Clause:
    """A clause (`clauses`) and what is said in it: its mentions, cues and effect estimates."""

    start: int
    end: int
    mentions: list[Hit]
    cues: list
    effects: list


def in_background(text: str, raw: str, sentences: list[tuple[int, int]]) -> list[bool]:
    """For each sentence, whether it is in a BACKGROUND or OBJECTIVE section: from such a
    heading to the next heading, or to the next line (an abstract that drops its later
    headings). `raw` is the text before folding, which keeps its line breaks."""
    flags, background, bare, previous_end = [], False, False, 0
    for start, end in sentences:
        m = _HEADING.match(text, start, end)
        if m:
            background = bool(BACKGROUND.match(m.group(1)))
        elif background and not bare and "\n" in raw[previous_end:start]:
            background = False
        flags.append(background)
        bare = bool(m) and not text[m.end() : end].strip()
        previous_end = start + len(text[start:end].rstrip())
    return flags


def clauses(
    text: str, start: int, end: int, breaks: re.Pattern[str], contrast: re.Pattern[str]
) -> list[tuple[int, int]]:
    """A sentence cut where `breaks` match (';', contrast words: "but", "whereas",
    "however") outside brackets ("(32/49; 65.3%)"); a sentence opening with a contrast word
    ("While HCQ may help ..., adding it ... did not") ends its first clause at its first
    comma outside brackets; "; however," is one cut."""
    found = [m.start() for m in breaks.finditer(text, start, end)]
    if not found:
        return [(start, end)]
    brackets = bracketed(text, start, end)
    cuts = {start, end} | {c for c in found if not inside(c, brackets)}
    opening = _OPENING.match(text, start, end)
    if opening and contrast.match(text, opening.end(), end):
        comma = next((start + m.start() for m in re.finditer(",", text[start:end])
                      if not inside(start + m.start(), brackets)), None)  # fmt: skip
        if comma is not None:
            cuts.add(comma)
    ordered = sorted(cuts)
    kept = [c for c, d in zip(ordered, ordered[1:], strict=False) if _WORD.search(text, c, d)]
    return list(zip(kept, [*kept[1:], end], strict=False))


def setting(text: str, start: int, end: int) -> int:
    """Where a clause's opening setting ("In women with a clinical pregnancy,", "For
    non-RIF patients,") ends; the clause start when it has none."""
    m = _SETTING.match(text, start, end)
    return m.end() if m and not _VERB.search(m.group(0)) else start


def references(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The reference groups of comparisons: from "than", "compared with", "versus" to the
    next comma (comparisons inside brackets, "(38.5% vs. 44.4%)", are numbers)."""
    brackets = bracketed(text, start, end)
    spans = []
    for m in _COMPARISON.finditer(text, start, end):
        if not inside(m.start(), brackets):
            stop = text.find(",", m.end(), end)
            spans.append((m.start(), end if stop < 0 else stop))
    return spans


def coordinated(text: str, first_end: int, second_start: int) -> bool:
    """Two mentions in one list: "recurrent implantation failure and pregnancy loss"."""
    return bool(_COORDINATION.match(text[first_end:second_start]))


def coordinated_hits(text: str, a: Hit, b: Hit) -> bool:
    """Two mentions, in either order, in one list (`coordinated`)."""
    first, second = sorted((a, b), key=lambda h: h.start)
    return coordinated(text, first.end, second.start)


def bracketed(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [m.span() for m in _BRACKETS.finditer(text, start, end)]


def inside(offset: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= offset < b for a, b in spans)


def modifiers(text: str, mentions: list[Hit], cues: list) -> dict[tuple, tuple[list[Hit], bool]]:
    """Direction words that describe a mechanism rather than a result: before it
    ('elevated Th1/Th2 ratios') or as its predicate ('uNK cells was significantly higher').
    Each with the mechanism (or mechanisms named at one place) and whether it selects whom
    the study took ('RIF patients with elevated Th1/Th2 ratios were recruited'): such a word
    is no result of its own."""
    found: dict[tuple, tuple[list[Hit], bool]] = {}
    for cue in cues:
        s, e, c = cue
        if c not in ("increase", "decrease"):
            continue
        for h in mentions:
            gap = text[e : h.start] if 0 <= h.start - e <= 60 else None
            before = gap is not None and bool(_ADJACENT.match(gap) or _MEASURED.match(gap))
            predicate = 0 <= s - h.end <= 40 and _PREDICATE_GAP.match(text[h.end : s])
            if h.type != "mechanism" or not (before or predicate):
                continue
            if cue in found and found[cue][0][0].start != h.start:
                break
            described = found.get(cue, ([], False))[0] + [h]
            found[cue] = (described, bool(before and _SELECTION.search(text[max(0, s - 12) : s])))
    return found


def nearest(cues: list, mention: Hit) -> str | None:
    """The increase/decrease word closest to an outcome ("lower live birth rates"); one
    before the outcome is preferred to one after it at the same distance."""
    near = [
        (mention.start - e if e <= mention.start else s - mention.end + 1, c)
        for s, e, c in cues
        if c in ("increase", "decrease")
    ]
    return min(near)[1] if near else None


def compared(text: str, mentions: list[Hit]) -> Subjects | None:
    """What a comparison of women with and without something is about: "similar between
    women treated with antibiotics for CE and those without CE" compares CE, not the
    antibiotics."""
    for h in mentions:
        if h.type in ("intervention", "mechanism") and BOTH_GROUPS.search(
            text[max(0, h.start - 30) : h.start]
        ):
            return ("treatment" if h.type == "intervention" else "association"), [h.concept]
    return None


def p_values(text: str) -> list[float]:
    """The p-values of a text; "p = NS" (not significant) is read as above 0.05."""
    values = [1.0 for _ in P_NS.finditer(text)]
    for rel, value in P.findall(text):
        number = float(value)
        values.append(number + (1e-9 if ">" in rel else 0.0))
    return values


# --- groups named by a label: "group I vs group IV", "Low group" -------------------------

_GROUP = re.compile(r"group(?<!\wgroup)s?\b")
_NUMBERED = re.compile(r"\s+((?:[ivx]+|\d)\b(?:\s*(?:,|,?\s*and|,?\s*or|&)\s*(?:[ivx]+|\d)\b)*)")  # after it
_LEVELS = re.compile(r"\b((?:(?:low|middle|intermediate|high)\s*(?:,\s*)?(?:and\s+|or\s+)?)+)$")  # before it
_LABEL_PART = re.compile(r"[ivx]+|\d|low|middle|intermediate|high")
_LEVEL_SIGN = {"low": "decrease", "high": "increase"}
LEVEL_NAMES = ("low", "middle", "intermediate", "high")
_AS = re.compile(r"\bas\s*$")
_WHO = re.compile(r"\b(?:patients|women|subjects|cases|controls|couples)\b")
# the subjects named between two offsets (not negated, not optional), and of what type
Defining = Callable[[int, int, str | None], Subjects | None]


@dataclass(frozen=True)
class Label:
    name: str  # "i", "3", "low"
    start: int  # of the name
    end: int  # of the whole label ("group 1 and 2")
    opening: int  # of the whole label


@dataclass(frozen=True)
class Legend:
    """What labelled groups are: for each label, where it is defined, the subjects its
    definition names ("Group I: 41 patients using both IVIG and adalimumab"; none for
    "Group IV: patients using no IVIG or Humira") and, for a level ("Low group" of "Th1
    cell levels"), the direction of that level."""

    labels: list[Label]
    defined: dict[str, tuple[int, Subjects | None, str | None]]

    def about(self, start: int, end: int) -> tuple[Subjects | None, str | None] | None:
        """The subjects of a clause that compares labelled groups, taken from the group it
        names first, with that group's level; (None, None) when that group is defined by no
        subject (a population: "Group 3 had a higher IR than group 1 and 2"); None when the
        clause names no defined label or defines the label itself."""
        named = [label for label in self.labels if start <= label.start < end]
        if not named or named[0].name not in self.defined:
            return None
        first, subjects, level = self.defined[named[0].name]
        return None if start <= first < end else (subjects, level)


def legend(text: str, sentence_of: Callable[[int], tuple[int, int]], defining: Defining) -> Legend:
    """The labelled groups of an abstract and what defines each: a numbered group by the
    subjects named between its label and the next ("Group I: ... using both IVIG and
    adalimumab, Group II: ..."), or before it ("... were reviewed as group 3", "patients
    receiving LIT (group 1)"); the levels of a mechanism ("Low", "High group") by the
    mechanism named with them."""
    found = labels(text)
    levels = next((s for s in (defining(*sentence_of(label.start), "mechanism")
                               for label in found if label.name in LEVEL_NAMES) if s), None)  # fmt: skip
    defined: dict[str, tuple[int, Subjects | None, str | None]] = {}
    for i, label in enumerate(found):
        if label.name in defined:
            continue
        if label.name in LEVEL_NAMES:
            if levels:  # defined by the mechanism they are levels of, wherever they are named
                defined[label.name] = (-1, levels, _LEVEL_SIGN.get(label.name))
            continue
        spans = _definitions(text, found, i, sentence_of(label.start))
        named = [(defining(*span, None), bool(_WHO.search(text, *span))) for span in spans]
        subjects = next((subjects for subjects, _ in named if subjects), None)
        if subjects or any(who for _, who in named):
            defined[label.name] = (label.start, subjects, None)
    return Legend(found, defined)


def _definitions(text: str, found: list[Label], i: int, sentence: tuple[int, int]) -> list[tuple[int, int]]:
    """Where label `i` may be defined, most likely first: after it, up to the next label
    ("Group I: ..."); before it when it follows "(" or "as"."""
    label, (s_start, s_end) = found[i], sentence
    after = (label.end, min([s_end] + [o.start for o in found[i + 1 :] if o.start >= label.end]))
    before = (max([s_start] + [o.end for o in found[:i] if s_start <= o.end <= label.opening]), label.opening)
    lead = text[max(s_start, label.opening - 4) : label.opening]
    if lead.rstrip().endswith("("):
        return [before, after]
    return [after, before] if _AS.search(lead) else [after]


def labels(text: str) -> list[Label]:
    if "group" not in text:
        return []
    found = []
    for group in _GROUP.finditer(text):
        numbered = _NUMBERED.match(text, group.end())
        level = _LEVELS.search(text, max(0, group.start() - 50), group.start())
        for m, opening, end in ((numbered, group.start(), numbered and numbered.end()),
                                (level, level and level.start(), group.end())):  # fmt: skip
            if m:
                parts = _LABEL_PART.finditer(m.group(1))
                found += [Label(p.group(0), m.start(1) + p.start(), end, opening) for p in parts]
    return sorted(found, key=lambda label: label.start)
