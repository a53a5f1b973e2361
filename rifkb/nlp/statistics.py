"""A grammar of reported effect estimates: what follows a measure name ("OR", "hazard
ratios", "the relative live-birth rate"), read as journals write it.

Why a hand-written parser, not a pattern per notation: the parts of an estimate come in
any order with any of a dozen separators, brackets and labels, and are interleaved with
annotations (a p-value, an I², a unit). A small recursive-descent reader over the text,
one anchored regular expression per kind of token (number, interval label, bracket,
range separator, p/I² annotation, list word), accepts those combinations without listing
them, runs in time linear in what it reads, and needs no library (lark or pyparsing
would want the text tokenised first, and scispaCy's tokens glue "OR=.14" and "RR1.8").

    estimate   := [abbreviation] link value {annotation} [interval] {annotation}
    interval   := [open] [label [open]] [from|between] number separator number [unit] [close] [label]
    list       := estimate {(',' | 'and' | ';') ['for' words] estimate} ['respectively']
                | value {',' | 'and' value} [',' 'with'] labels 'of' interval {'and' interval}
    header     := '(' label ')' ... value '(' number separator number ')' ...

Numbers may use a middle dot (2·31), start with a dot (.4) and carry a minus written as
a hyphen, a minus sign or a dash. An interval with no bracket and no label is accepted
only when it brackets the estimate ("OR: 2.97, 2.05–4.29").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DASH = "-\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d"
_NUMBER = rf"(?:[{_DASH}]\s?)?(?:\d+(?:[.·]\d+)?|[.·]\d+)(?![\d.·]\d)"
_LABEL = (
    r"(?:95\s*%\s*-?\s*|95\s*per\s*cent\s+)?(?:CIs?|C\.I\.|confidence\s+(?:intervals?|limits?))"
    r"(?:\s*[\(\[]\s*CIs?\s*[\)\]])?(?:\s*(?:of\s+)?95\s*%)?"
    rf"|95\s*%(?=\s*[:=,(\[]|\s*[{_DASH}]?\s?[\d.])"
)
_UNIT = r"(?:(?!(?:and|to|or|CI|CIs|p|vs)\b)[A-Za-zµ]{1,8}(?:/[A-Za-z]{1,4})?)"
_SEPARATOR = rf"[{_DASH}~∼～,;]|to|and"

_NUMBER_RE = re.compile(_NUMBER)
_ABBREVIATION = re.compile(r"\s*[\(\[]\s*(?!95\b|CIs?\b)[A-Za-z][A-Za-z\s.'-]{0,40}?[\)\]]")
_HEADER = re.compile(rf"\s*(?:[\(\[]\s*(?:{_LABEL})\s*[\)\]]|,?\s*(?:and|with)\s+(?:{_LABEL}))", re.I)
_LINK = re.compile(
    r"(?:\s*(?:[:=≈]|\b(?:was|were|is|are|of|at|estimated|estimate|equal(?:led)?\s+to|amounted\s+to)\b|,))*\s*",
    re.I,
)
_LONG_LINK = re.compile(
    rf"\s+(?:for|of|in|between|with|among|regarding)\b[^\d;.]{{0,110}}?\b(?:was|were|is|are)\s+(?=[{_DASH}]?\s?[\d.])",
    re.I,
)
# a value, perhaps a percentage (a risk difference of 8.0%), never a count n/N nor "95% CI"
_VALUE = re.compile(rf"(?P<value>{_NUMBER})(?!\d|\s?/|\s?%\s*-?\s*(?:CI|C\.I|confidence))(?:\s?%)?", re.I)
_INTERVAL = re.compile(
    rf"""\s*[,;]?\s*(?:(?:with|and|respective)\s+(?=95|CI|C\.I|confidence))?
    (?P<open>[\(\[{{])?\s*
    (?:(?P<label>{_LABEL})\s*(?:[:=,]|\b(?:of|was|were|is|from)\b)?\s*(?P<open2>[\(\[])?\s*)?
    (?:(?P<from>from|between|ranging\s+from)\s+)?
    (?P<low>{_NUMBER})\s*%?\s*(?:{_UNIT}\s*)?
    (?P<sep>{_SEPARATOR})\s*
    (?P<high>{_NUMBER})(?!\s*/)\s*%?(?:\s*{_UNIT})?
    (?P<close>\s*[\)\]}}])?
    (?P<after>\s*[,;]?\s*(?:95\s*%\s*)?CI\b(?:\s*[\)\]}}])?)?""",
    re.I | re.X,
)
_ANNOTATION = re.compile(
    rf"""\s*[,;]?\s*[\(\[]?\s*(?:
        p\s*(?:-?\s*values?)?\s*(?P<rel>[<>=≤≥]=?|<\s*or\s*=|>\s*or\s*=)\s*(?P<p>{_NUMBER})
      | I\s*(?:2|²|\^2|-?\s*squared)\s*[=:]?\s*{_NUMBER}\s*%?
      | n\s*=\s*\d+
    )\s*[\)\]]?""",
    re.I | re.X,
)
_CONTINUATION = re.compile(
    r"\s*[,;]?\s*(?:(?-i:and|or)\s+)?(?:(?:for|in|of|with)\s+[^\d;:.\[\]()]{1,60}?\s*[:,]?\s*)?[\(\[]?\s*",
    re.I,
)
_PLURAL_LABEL = re.compile(
    r"\s*[,;]?\s*(?:(?:with|and)\s+)?(?:(?:the\s+)?respective\s+)?(?:95\s*%\s*)?"
    r"(?:CIs|confidence\s+intervals|confidence\s+limits)\s*(?:[\(\[]\s*CIs?\s*[\)\]])?\s*(?:of|were|:|,|=)?\s*",
    re.I,
)
_BETWEEN_INTERVALS = re.compile(r"\s*(?:,\s*(?:and\s+)?|;\s*|and\s+)")
_RESPECTIVELY = re.compile(r"[^.;]{0,40}?\brespective(?:ly)?\b", re.I)
_HEADED_VALUE = re.compile(
    rf"[\(\[]?\s*(?P<value>{_NUMBER})(?=\s*[\(\[]\s*{_NUMBER}\s*(?:{_SEPARATOR})\s*{_NUMBER}\s*[\)\]])",
    re.I,
)
# a unit between a difference and its interval: "0.13 years (95% CI, -0.51 to 0.76 years)"
_UNIT_GAP = re.compile(rf"\s+{_UNIT}(?:\s+{_UNIT})?(?=\s*[,;]?\s*(?:[\(\[]|95\s*%|CI\b))")
_CLOSERS = re.compile(r"\s*[\)\]]")
_PAIR = re.compile(rf"\s*(?P<low>{_NUMBER})\s*(?:{_SEPARATOR})\s*(?P<high>{_NUMBER})", re.I)


@dataclass(frozen=True)
class Estimate:
    """One estimate as written: its value, interval, p-value, and where it stands
    (`value_start`, the offset attribution looks back from; `end`, after what was read)."""

    value: float
    ci_low: float | None
    ci_high: float | None
    p: str | None
    value_start: int
    end: int


def number(text: str) -> float:
    """A number as abstracts write it: '2·31', '.4', '−1.78', '- 0.5'."""
    cleaned = re.sub(rf"[{_DASH}]\s?", "-", text.strip()).replace("·", ".")
    return float(cleaned)


def read_estimates(text: str, pos: int, limit: int, plural: bool = False) -> list[Estimate]:
    """The estimates written after a measure name ending at `pos` (one, or a list), read
    no further than `limit` for a header's values. `plural`: the name was plural ("ORs")."""
    pos = _skip(_ABBREVIATION, text, pos)
    header = _HEADER.match(text, pos)
    if header:
        return _headed(text, header.end(), limit)
    first = _first(text, pos)
    if first is None:
        return []
    return _listed(text, first, plural)


def _skip(regex: re.Pattern[str], text: str, pos: int) -> int:
    m = regex.match(text, pos)
    return m.end() if m else pos


def _first(text: str, pos: int) -> Estimate | None:
    """link value [annotations] [interval] [annotations]."""
    for link in (_LINK.match(text, pos), _LONG_LINK.match(text, pos)):
        if link is None:
            continue
        value = _VALUE.match(text, link.end())
        if value is not None:
            return _completed(text, value)
    return None


def _completed(text: str, value: re.Match[str], strict: bool = False, plain: bool = False) -> Estimate | None:
    """An estimate from its value on: annotations and the interval, in any order.
    `strict`: it must have an interval; `plain`: it has none (a value in a list)."""
    v = number(value.group("value"))
    pos, p, interval = value.end(), None, None
    for _ in range(4):
        found = _interval(text, pos, v) if interval is None and not plain else None
        if found is not None:
            interval, pos = found, found[2]
            continue
        note = _ANNOTATION.match(text, pos) or _UNIT_GAP.match(text, pos)
        if note is None:
            break
        p = p or (_p_value(note) if "p" in note.groupdict() else None)
        pos = note.end()
    if strict and interval is None:
        return None
    low, high = (interval[0], interval[1]) if interval else (None, None)
    return Estimate(v, low, high, p, value.start("value"), pos)


def _interval(text: str, pos: int, value: float) -> tuple[float, float, int] | None:
    m = _INTERVAL.match(text, pos)
    if m is None:
        return None
    low, high, sep = number(m.group("low")), number(m.group("high")), m.group("sep").lower()
    starter = (m.group("from") or "").lower()
    if (sep == "and") != starter.startswith("between") or (starter.endswith("from") and sep != "to"):
        return None
    labelled = bool(m.group("label") or m.group("after"))
    bracketed = bool(m.group("open") or m.group("open2"))
    if not (labelled or bracketed or starter) and (sep in ",;" or not low <= value <= high):
        return None  # a bare pair is an interval only when it brackets the estimate
    return low, high, m.end()


_RELATIONS = {"=": "", "<": "<", ">": ">", "≤": "≤", "≥": "≥", "<=": "≤", ">=": "≥"}


def _p_value(note: re.Match[str]) -> str | None:
    """The p-value as written, its relation kept ('<0.001', '0.03'; '.02' is '0.02')."""
    if not note.group("p"):
        return None
    relation = re.sub(r"\s*or\s*=", "=", note.group("rel"))
    written = note.group("p").replace("·", ".").replace(" ", "")
    return _RELATIONS.get(relation, relation) + ("0" + written if written.startswith(".") else written)


def _listed(text: str, first: Estimate, plural: bool) -> list[Estimate]:
    """The first estimate and those listed after it: each with its interval, or plain
    values closed by 'respectively' (or named by a plural measure), or plain values whose
    intervals follow as a list of their own ('with 95% CIs of 1.05, 1.86 and 0.97-1.53')."""
    found = [first]
    with_interval = first.ci_low is not None
    while (following := _following(text, found[-1].end, with_interval)) is not None:
        found.append(following)
    if len(found) == 1 or found[-1].ci_low is not None:
        return found
    intervals = _interval_list(text, found[-1].end, len(found))
    if intervals is not None:
        return [Estimate(e.value, lo, hi, e.p, e.value_start, end) for e, (lo, hi, end) in
                zip(found, intervals, strict=True)]  # fmt: skip
    if plural or _RESPECTIVELY.match(text, found[-1].end):
        return found
    return [first]


def _following(text: str, pos: int, with_interval: bool) -> Estimate | None:
    """The next estimate of a list, or None: a list is all with intervals or all without."""
    cont = _CONTINUATION.match(text, _skip(_CLOSERS, text, pos))
    if cont is None or cont.end() == pos:
        return None
    value = _VALUE.match(text, cont.end())
    if value is None:
        return None
    return _completed(text, value, strict=with_interval, plain=not with_interval)


def _interval_list(text: str, pos: int, count: int) -> list[tuple[float, float, int]] | None:
    label = _PLURAL_LABEL.match(text, pos)
    if label is None:
        return None
    pos, found = label.end(), []
    for i in range(count):
        if i:
            sep = _BETWEEN_INTERVALS.match(text, pos)
            if sep is None:
                return None
            pos = sep.end()
        m = _PAIR.match(text, pos)
        if m is None:
            return None
        found.append((number(m.group("low")), number(m.group("high")), m.end()))
        pos = m.end()
    return found


def _headed(text: str, pos: int, limit: int) -> list[Estimate]:
    """'adjusted HR (95% CI) for live birth [1.42 (1.05–1.92)] and for miscarriage [0.81
    (0.52–1.26)]': the header declares the notation; each value with a bracketed pair
    that follows, up to `limit`, is an estimate."""
    found = []
    for m in _HEADED_VALUE.finditer(text, pos, limit):
        estimate = _completed(text, m, strict=True)
        if estimate is not None:
            found.append(estimate)
    return found


def numbers_in(text: str) -> list[float]:
    """Every number of a text (for tests and checks)."""
    return [number(m.group()) for m in _NUMBER_RE.finditer(text)]
