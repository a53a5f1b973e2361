"""How big each group of a study is, as its abstract writes it: "(n = 52)" after a group,
"(n=73 in RIF patients, n=112 in non-RIF patients)" per stratum, "n = 60 per group" for
every arm, a number of people whose clause names one group ("Twenty-five patients were
treated with tacrolimus", "52 in the study group and 50 in control group", "Of 169
patients, 84 were assigned to aspirin treatment and 85 to placebo treatment"). How
annotation.md counts a group: the number allocated or analysed as the text says
(Cochrane Handbook 6.4: the denominator).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rifkb.nlp.arms import (
    CONTROL,
    PLACEBO,
    UNDEFINED,
    Arm,
    GroupRef,
    Reader,
    clause_start,
    defining,
    distinct,
)

_N_BRACKET = re.compile(r"[\(\[]\s*(n\s*=\s*\d[^()\[\]]*)[\)\]]", re.I)
_N_EACH = re.compile(r"n\s*=\s*(\d[\d,]*)(?:\s*(?:in|among|for)\s+([^,;]+))?", re.I)
_SIZE_OF_ALL = re.compile(r"\b(?:total|enrolled|all|overall|included|whole)\b[^()]*$", re.I)
# what every "40 per group" holds, in the lower-cased text: searched for first (in C from
# "p" to "e", see text.digits_not_after), it spares a search from every digit of most abstracts
_PER_GROUP_WORDS = re.compile(r"(?:per|each)\s+(?:group|arm)")
_PER_GROUP = re.compile(r"(?:n\s*=\s*)?(\d+)\s*(?:patients|women|subjects|couples)?\s*"
                        r"(?:per|in each|each|to each)\s+"
                        r"(?:group|arm)", re.I)  # fmt: skip
_ADJACENT = re.compile(r"\s*(?:-?\s*(?:positive|negative))?\s*(?:arm|group|cohort)?s?\s*", re.I)
_UNNAMED_GROUP = re.compile(r"\b(?:the|an?)\s+([\w-]+)\s+group\s*$", re.I)
# a number that counts everyone, then splits them into the groups
_A_TOTAL = re.compile(r"\b(?:total of|in total|overall|all)\s+$")
_SPLIT = re.compile(
    r"[^,;]*?\b(?:divided|allocated|randomi[sz]ed|assigned|split|distributed)\s+(?:\w+\s+)?"
    r"(?:(?:in)?to|between)\s+(?:the\s+)?(?:two|three|four|[234])\b"
)
# a count followed by its groups' counts in brackets, or a bracketed size by its allocation
_BROKEN_DOWN = re.compile(r"\s+(?:[\w-]+\s+){0,3}?\(\s*\d+\s+[^()]*?\d+[^()]*\)", re.I)
_ALLOCATED = re.compile(r"\s*(?:were|was)\s+(?:\w+\s+)?(?:randomi[sz]ed|allocated|divided|assigned)\b", re.I)
_SHARE = re.compile(r"[\w-]+\s+(?:of them\s+)?(?:were|was|in|to|at|received|underwent|had|who)\b")
_CLAUSE_CUT = re.compile(r"[,;:]|\band\b|\bwhile\b|\bwhereas\b|\.\s")


class ArmSizes:
    """The sizes of the groups a `Reader` found."""

    def __init__(self, reader: Reader):
        self.view, self.people = reader.view, reader.people

    def sizes(self, refs: list[GroupRef], numbers: list[tuple[int, int, int]],
              subgroup_of: Callable[[int], str | None]) -> list[Arm]:  # fmt: skip
        """Each group's size where the text writes it, in text order."""
        # a size written "(n = 97)" by a group before one counted in a clause
        # and "40 per group" before a number counted in a clause (the study's total)
        arms = sorted(self._bracketed(refs, subgroup_of), key=lambda a: a.start)
        per = _PER_GROUP.search(self.view.cased) if _PER_GROUP_WORDS.search(self.view.lower) else None
        if per:
            value = int(per.group(1))
            arms += [Arm(g, value, None, per.start()) for g in distinct(r.group for r in refs)]
        return arms + sorted(self._counted(refs, numbers, subgroup_of), key=lambda a: a.start)

    def _bracketed(self, refs: list[GroupRef], subgroup_of: Callable[[int], str | None]) -> list[Arm]:
        """ "the control group (n = 50)", "(n=73 in RIF patients, n=112 in non-RIF patients)"
        (a size per stratum), "The intervention group received ... (n = 62)" (the group its
        clause opens on)."""
        arms, text, since = [], self.view.cased, 0
        for m in _N_BRACKET.finditer(text):
            s, _ = self.view.sentence_of(m.start())
            before = [r for r in refs if max(s, since) <= r.start and r.end <= m.start()]
            since = m.end()
            if _SIZE_OF_ALL.search(text, max(s, m.start() - 40), m.start()) or _ALLOCATED.match(
                text, m.end()
            ):
                continue  # "Women with RIF ... (n=130) were randomly allocated to ...": everyone
            unnamed = _UNNAMED_GROUP.search(text, max(s, m.start() - 40), m.start())
            if unnamed and not (before and _ADJACENT.fullmatch(text, before[-1].end, m.start())):
                # "In the hCG-treated group (n=67 ...)" with no concept read in its name: an
                # arm all the same, which keeps its place in the order the study lists them
                group = UNDEFINED + unnamed.group(1).lower()
            elif before:
                group = self._sized(before, m.start(), s)
            else:
                continue
            for n in _N_EACH.finditer(m.group(1)):
                stratum = n.group(2).strip() if n.group(2) else subgroup_of(m.start())
                arms.append(Arm(group, int(n.group(1).replace(",", "")), stratum, m.start(1) + n.start(1)))
        return arms

    def _sized(self, before: list[GroupRef], at: int, sentence_start: int) -> str:
        """The group a "(n = …)" sizes: the label whose definition it ends ("group 1,
        including patients diagnosed with CE and treated by antibiotics (n=129)"), the group
        it follows ("the control group (n = 50)"), else the one its clause opens on."""
        labelled = [r for r in before if r.how == "label"]
        if labelled:
            return labelled[-1].group
        if _ADJACENT.fullmatch(self.view.cased, before[-1].end, at):
            return before[-1].group
        clause = clause_start(self.view.lower, sentence_start, at)
        return defining([r for r in before if r.start >= clause] or before[:1])

    def _counted(self, refs: list[GroupRef], numbers: list[tuple[int, int, int]],
                 subgroup_of: Callable[[int], str | None]) -> list[Arm]:  # fmt: skip
        """A number of people whose clause names one group: "25 patients were treated with
        tacrolimus (treatment group)", "40 in saline", "The control group included 15
        patients", "Study group of 50 patients received heparin"."""
        text, arms = self.view.lower, []
        numbers = [n for n in numbers if self._of_people(text, *n)]
        for i, (start, end, value) in enumerate(numbers):
            lead = text[max(0, start - 7) : start].rstrip()
            label = lead.endswith(("group", "groups")) and not self.people.match(text, _skip_space(text, end))
            ratio = text[start - 1 : start] == ":"
            if lead.endswith(("=", "(")) or label or ratio or text[end : end + 1] in "%/.:":
                continue  # a size in brackets (read apart), "group 1 women" (a label), a ratio "1:1"
            if re.match(
                r"\s*(?:years|yrs|days|weeks|months|hours|mg|g\b|ml|iu|cycles? of)", text[end : end + 8]
            ):
                continue
            low, high = _clause(text, self.view.sentence_of(start), start, end)
            inside = [r for r in refs if low <= r.start < high]
            if (
                not inside
                or _A_TOTAL.search(text, max(0, start - 14), start)
                or _SPLIT.match(text, end, high)
            ):
                continue  # the study's total: "A total of 68 patients were randomly divided into ..."
            if _BROKEN_DOWN.match(text, end):
                continue  # "176 women (88 treated with tacrolimus, 88 matched untreated controls)"
            # the group described after the number, up to the next number ("45 women with
            # ... (group A) with 44 apparently healthy women (group B)"), else its clause's
            following = numbers[i + 1][0] if i + 1 < len(numbers) else high
            after = [r for r in inside if end <= r.start < following]
            arms.append(Arm(defining(after or inside), value, subgroup_of(start), start))
        return arms

    def _of_people(self, text: str, start: int, end: int, value: int) -> bool:
        """A number of people: "51 consecutive women", or with its noun understood."""
        return bool(self.people.match(text, _skip_space(text, end)) or self._bare_share(text, start))

    def _bare_share(self, text: str, start: int) -> bool:
        """A number with its noun understood: "84 were assigned to aspirin", "52 in the study
        group", "40 in saline"."""
        return bool(_SHARE.match(text, start))


def placebo_apart(refs: list[GroupRef], arms: list[Arm]) -> tuple[list[GroupRef], list[Arm]]:
    """A placebo arm is an arm of its own only beside an untreated control arm of its own
    size ("A placebo group (n = 49) ... A control group (n = 50) did not receive an
    injection"); else it is the control arm."""
    sized = {a.group for a in arms}
    if PLACEBO in sized and CONTROL in sized:
        return refs, arms
    return ([r._replace(group=CONTROL) if r.group == PLACEBO else r for r in refs],
            [a._replace(group=CONTROL) if a.group == PLACEBO else a for a in arms])  # fmt: skip


def resolve_undefined(refs: list[GroupRef], arms: list[Arm]) -> list[GroupRef]:
    """A label never defined ("in 53.9% of women in group 2") in a study of two arms, one
    of them labelled: the other arm."""
    sized = distinct(a.group for a in arms if a.subgroup is None)
    if len(sized) != 2:
        return refs
    labelled = {r.group for r in refs if r.how == "label" and not r.group.startswith(UNDEFINED)}
    other = [g for g in sized if g not in labelled]
    if len(labelled & set(sized)) != 1 or len(other) != 1:
        return refs
    return [r._replace(group=other[0]) if r.group.startswith(UNDEFINED) else r for r in refs]


def _clause(text: str, sentence: tuple[int, int], start: int, end: int) -> tuple[int, int]:
    """The clause of a number: from the last ',', ';' or 'and' before it to the next."""
    cuts = [m.end() for m in _CLAUSE_CUT.finditer(text, sentence[0], start)]
    following = _CLAUSE_CUT.search(text, end, sentence[1])
    return (cuts[-1] if cuts else sentence[0]), (following.start() if following else sentence[1])


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at] in " -":
        at += 1
    # modifiers between the number and its noun: "51 consecutive women", "30 RIF patients"
    m = re.match(
        r"(?:[\w-]+\s+){0,3}?(?=(?:patients|women|subjects|couples|cases|controls|participants)\b)",
        text[at : at + 60],
    )
    return at + (m.end() if m else 0)
