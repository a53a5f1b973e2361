"""The two sides of a comparative clause, and the direction of a result relative to the
treated arm (issue 17).

A comparison names the group it is about and the group it is measured against: "higher
in A than in B", "compared with B, A ...", "A versus B", "in the A and B groups were x%
and y%, respectively". Words state the direction of the side named first ("the abortion
rate was significantly higher in the placebo group" is about the placebo arm: for the
treatment, a decrease); numbers state it of each side ("35% in the control group versus
12% in the heparin group"). Which text names which group is arms.Reader's reading
(GroupRef), shared with the study data; this module only places those references on the
sides of a clause. CONSORT 2010 item 17a asks for each group's result and the contrast
between them; abstracts write the contrast in either order, so a reader of words near a
concept inverts half of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rifkb.nlp import clauses as grammar
from rifkb.nlp.arms import CASES, CONTROL, FERTILE, GroupRef

# a group's value: "42.9%", "48.3% versus 23.26" (the second of a pair may drop its "%"),
# not an interval's level ("95% CI") nor a p-value
_PERCENT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*%(?!\s*(?:ci\b|confidence))")
_PAIRED = re.compile(r"\s*(?:\([^()]*\)\s*)?(?:versus|vs\.?|and|,)\s*(\d+(?:\.\d+)?)(?![\d.])(?!\s*%)")
# "18.4 and 11.2 pg/ml, respectively": plain numbers in a list the clause closes with "respectively"
_LISTED = re.compile(
    r"(?<![\w.=<>])(\d+(?:\.\d+)?)(?=\s*(?:%|[a-zµ/]+\b)?\s*(?:,|and\b|or\b|vs\b|versus\b|$))"
)
_RESPECTIVELY = re.compile(r"\brespectively\b")
# a group's count: "in 19/58 women in the intralipid group" (its share, as a percentage)
_FRACTION = re.compile(r"(?<![\w./])(\d+)\s*/\s*(\d+)(?![\w./])")
# how a value names its group after it ("12% in the heparin group") or before it ("GH group 42.9%")
_AFTER = re.compile(r"^\s*(?:\([^()]*\)\s*)?(?:(?:women|patients|couples)\s+)?(?:in|of|for|with|among)\s+"
                    r"(?:the\s+|those\s+|women\s+|patients\s+)?(?:\w+\s+){0,2}?$")  # fmt: skip
_BEFORE = re.compile(r"^\s*(?:group|arm|groups|arms)?\s*[:,]?\s*(?:was|were|of|=)?\s*$")
_CONTROL_GROUPS = (CONTROL, FERTILE)


def control_side(ref: GroupRef) -> bool:
    """A reference to the comparator: placebo, controls, untreated, fertile controls."""
    return ref.group.split(":")[0] in _CONTROL_GROUPS


def first_side(text: str, refs: list[GroupRef], start: int, end: int) -> GroupRef | None:
    """The group a comparative clause is about: the first it names outside the reference
    of its comparison ("than in B", "compared with B,") and outside brackets."""
    references = grammar.references(text, start, end)
    brackets = grammar.bracketed(text, start, end)
    for ref in refs:
        if start <= ref.start < end and not grammar.inside(ref.start, references + brackets):
            return ref
    return None


def values(text: str, start: int, end: int) -> list[tuple[int, int, float]]:
    """The groups' values of a clause, in order: percentages and what pairs with them, or
    the numbers of a "respectively" list."""
    fractions = [(m, int(m.group(1)), int(m.group(2))) for m in _FRACTION.finditer(text, start, end)]
    found = [(m.start(), m.end(), 100 * n / total) for m, n, total in fractions if 0 < n <= total]
    for m in _PERCENT.finditer(text, start, end):
        found.append((m.start(), m.end(), float(m.group(1))))
        paired = _PAIRED.match(text, m.end(), end)
        if paired:
            found.append((paired.start(1), paired.end(1), float(paired.group(1))))
    if not found and _RESPECTIVELY.search(text, start, end):
        stop = _RESPECTIVELY.search(text, start, end).start()
        p = grammar.P.search(text, start, end)
        stop = min(stop, p.start()) if p else stop
        found = [(m.start(), m.end(), float(m.group(1))) for m in _LISTED.finditer(text, start, stop)]
    return sorted(set(found))


def by_group(text: str, refs: list[GroupRef], start: int, end: int) -> list[tuple[GroupRef, float]]:
    """Each value with the group it belongs to: in order of a "respectively" list ("in the
    G-CSF and placebo groups were 37.5% and 16.7%, respectively"), else the group named
    right after the value ("12% in the heparin group") or right before it ("GH group 42.9%")."""
    found = values(text, start, end)
    inside = [r for r in refs if start <= r.start < end]
    if not found or not inside:
        return []
    if _RESPECTIVELY.search(text, start, end):
        listed = _distinct_groups(r for r in inside if r.start < found[0][0])
        return list(zip(listed, [v for _, _, v in found], strict=True)) if len(listed) == len(found) else []
    out = []
    for i, (s, e, v) in enumerate(found):
        stop = found[i + 1][0] if i + 1 < len(found) else end
        after = next((r for r in inside if e <= r.start < stop and _AFTER.match(text[e : r.start])), None)
        before = next((r for r in reversed(inside) if r.end <= s and _BEFORE.match(text[r.end : s])), None)
        if after or before:
            out.append((after or before, v))
    return out


def numeric_direction(text: str, refs: list[GroupRef], start: int, end: int,
                      treated: Iterable[str]) -> tuple[str, str] | None:  # fmt: skip
    """The direction the groups' values state for the treated side (a group in `treated`:
    the subject's id or the study's cases) against the control side: "40% in the
    sildenafil group versus 22% in the control group" is an increase), with the treated
    side's group."""
    treated = set(treated) | {CASES}
    sides: dict[str, tuple[float, str]] = {}
    for ref, value in by_group(text, refs, start, end):
        group = ref.group.split(":")[0]
        side = "control" if control_side(ref) else "treated" if group in treated else None
        if side and side not in sides:
            sides[side] = (value, group)
    if len(sides) < 2 or sides["treated"][0] == sides["control"][0]:
        return None
    return ("increase" if sides["treated"][0] > sides["control"][0] else "decrease"), sides["treated"][1]


def _distinct_groups(refs: Iterable[GroupRef]) -> list[GroupRef]:
    seen: dict[str, GroupRef] = {}
    for r in refs:
        seen.setdefault(r.group, r)
    return list(seen.values())
