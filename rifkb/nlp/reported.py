"""The numbers an abstract reports for a group, as its writers write them: counts
("32/49", "eight of 54", "28 patients (35.4%)", "Clinical pregnancy occurred in 14
women in the G-CSF group", "17.6% (3), two of them in G-CSF, one in saline group"),
percentages, and means with their SD ("10.5±10.5 cells/mm2"), or SE where the sentence
says SE. A percentage written beside a count is that count's. Not results: thresholds
("pNK cells ≥12%"), confidence levels ("95% CI"), shares over 100.

Closed-class grammar, not vocabulary: the number words come from rules/numbers.tsv.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from rifkb.nlp.base import DocView, EitherCase, extension
from rifkb.nlp.text import digits_not_after, number_at_start, number_words, parse_number

# --- closed-class grammar of reported numbers ---------------------------------------------
_NUM = r"\d+(?:[.·]\d+)?"
_DECIMAL = r"(?:[.·]\d+)?"
# a number standing alone (not within a word, a decimal, a list or a ratio), led by its digit
_ALONE = digits_not_after(r"\w.")
_ALONE_NOT_PERCENT = digits_not_after(r"\w.%")
_ALONE_NOT_RATIO = digits_not_after(r"\w.,/")
_PERCENT = re.compile(rf"({_ALONE}{_DECIMAL})\s?%")
_BARE_BEFORE_VS = re.compile(rf"({_ALONE_NOT_PERCENT}{_DECIMAL})(?=\s*(?:vs\.?|versus)\s*{_NUM}\s?%)")
_MEAN_SD = re.compile(rf"({_ALONE}{_DECIMAL})\s*(?:±|\+/-|\+-|\u2213)\s*({_NUM})(?:\s?%)?")
_COUNT_OF = r"({n})\s+(?:out\s+)?of\s+(?:the\s+)?(\d+)\b(?!\s*%)"
# "Clinical pregnancy occurred in 14 women in the G-CSF group": events, their group after them
_EVENTS_IN = re.compile(
    rf"({_ALONE_NOT_RATIO})\s+(?:women|patients|couples|subjects|participants)\s+(?=(?:in|of|from)\s)", re.I
)
_EVENTS_PERCENT = re.compile(rf"({_ALONE_NOT_RATIO})\s+(?:[a-z-]+\s+){{0,2}}\(\s*({_NUM})\s?%\s*\)", re.I)
# a number of women that sizes a group rather than counts its events
_BARE_SIZE = re.compile(
    r"\b(?:of|total|enrolled|included|randomi[sz]ed|allocated|recruited|comprised)\W*$", re.I
)
_NOT_A_RESULT = re.compile(r"\s*(?:ci|confidence|of (?:the )?(?:cases|patients|women) (?:were|had)\b)", re.I)
_THRESHOLD = re.compile(r"[≥≤<>]\s*$")
_CI_BEFORE = re.compile(r"(?:ci|confidence interval)\W{0,6}$", re.I)
_LISTED_N = re.compile(r"\bn\s*=\s*\d+(?:\s*(?:,|and|,\s*and)\s*\d+)+")
_SE = re.compile(r"\b(?:s\.?e\.?m?|standard error)\b", re.I)


class Value(NamedTuple):
    start: int
    end: int
    events: int | None
    total: int | None
    percent: float | None
    mean: float | None
    sd: float | None
    se: bool = False
    count_at: int = -1  # where its n/N starts (an event rate's start), when it is a count


def _either(numbers: dict[str, int], not_after: str, written: str) -> EitherCase:
    """`written`, a {n} in it for a number (digits or words) not after `not_after`; for the
    lower-case text, led by the characters a number opens with (`text.number_at_start`)."""
    word, lead = number_words(numbers), number_at_start(numbers, not_after)
    cased = re.compile(written.format(n=rf"(?<![{not_after}])(?:\d+|{word})"), re.I)
    return EitherCase(cased, None if lead is None else re.compile(written.format(n=lead)))


class ReportedNumbers:
    """Finds the reported numbers of an abstract, with the rules' number words."""

    def __init__(self, numbers: dict[str, int]):
        self.numbers = numbers
        word = number_words(numbers)
        self.count_of = _either(numbers, r"\w.,", _COUNT_OF)
        self.of_them = _either(numbers, r"\w.,", r"({n})\s+of\s+(?:them|whom)\s+(?:were\s+)?in\b")
        self.more_of_them = re.compile(rf"[^,;.]*?[,;]\s*(?:and\s+)?(\d+|{word})\s+(?:were\s+)?in\b", re.I)
        self.number = _either(numbers, r"\w.,/", r"{n}(?![\w.,/%])")

    def people_numbers(self, view: DocView) -> list[tuple[int, int, int]]:
        found = []
        for m in self.number.finditer(view):
            value = int(m.group()) if m.group().isdigit() else parse_number(m.group(), self.numbers)
            if value is not None and 0 < value < 100000 and not 1900 <= value <= 2100:
                found.append((m.start(), m.end(), value))
        return found

    def values(self, view: DocView) -> list[Value]:
        """Every reported result of a group: counts, percentages and means, in text order;
        a percentage written beside a count is that count's."""
        text, taken, values = view.cased, [], []

        def free(s: int, e: int) -> bool:
            return not any(a < e and s < b for a, b in taken)

        for m in _MEAN_SD.finditer(text):
            s, e = view.sentence_of(m.start())
            values.append(Value(m.start(), m.end(), None, None, None, float(_dot(m.group(1))),
                                float(_dot(m.group(2))), bool(_SE.search(text, s, e))))  # fmt: skip
            taken.append(m.span())
        for m in self._counts(view):
            events, total = m
            taken.append((events[0], total[1]))
            percent = _percent_beside(text, events[0], total[1])
            span = (
                (events[0], total[1])
                if not percent
                else (min(events[0], percent[1][0]), max(total[1], percent[1][1]))
            )
            values.append(Value(*span, events[2], total[2], percent[0] if percent else None, None, None,
                                count_at=events[0]))  # fmt: skip
            taken.append(span)
        for start, end, events in self._breakdown(view):
            if free(start, end):
                values.append(Value(start, end, events, None, None, None, None))
                taken.append((start, end))
        for m in _EVENTS_IN.finditer(text):
            if free(*m.span()) and not _BARE_SIZE.search(text, max(0, m.start() - 25), m.start()):
                values.append(Value(m.start(), m.end(), int(m.group(1)), None, None, None, None))
                taken.append(m.span())
        for m in _EVENTS_PERCENT.finditer(text):
            if free(*m.span()):
                values.append(
                    Value(m.start(), m.end(), int(m.group(1)), None, float(_dot(m.group(2))), None, None)
                )
                taken.append(m.span())
        for regex in (_PERCENT, _BARE_BEFORE_VS):
            for m in regex.finditer(text):
                if free(*m.span()) and _a_result(text, m):
                    values.append(Value(m.start(), m.end(), None, None, float(_dot(m.group(1))), None, None))
                    taken.append(m.span())
        return sorted(values)

    def _breakdown(self, view: DocView) -> list[tuple[int, int, int]]:
        """Events broken down by group: "abortion rates was 17.6% (3), two of them in G-CSF,
        one in saline group" (the number, where it stands, and what it counts)."""
        found = []
        for m in self.of_them.finditer(view):
            end = view.sentence_of(m.start())[1]
            found.append((m.start(1), m.end(1), self._value(m.group(1))))
            more = self.more_of_them.match(view.cased, m.end(), end)
            while more:
                found.append((more.start(1), more.end(1), self._value(more.group(1))))
                more = self.more_of_them.match(view.cased, more.end(), end)
        return [f for f in found if f[2] is not None]

    def _value(self, word: str) -> int | None:
        return int(word) if word.isdigit() else parse_number(word, self.numbers)

    def _counts(self, view: DocView) -> list[tuple[tuple, tuple]]:
        """(events, total) spans and values of 'n/N' (the event rates rifkb_numbers read) and
        'n of N' ("Thirty-six of 94")."""
        found = [((r["start"], r["start"], r["events"]), (r["end"], r["end"], r["total"]))
                 for r in (extension(view.doc, "rifkb_event_rates") or [])]  # fmt: skip
        for m in self.count_of.finditer(view):
            word = m.group(1)
            events = int(word) if word.isdigit() else parse_number(word, self.numbers)
            if events is not None and events <= int(m.group(2)):
                found.append(((m.start(), m.start(1), events), (m.end(), m.end(), int(m.group(2)))))
        return sorted(found)


def _a_result(text: str, m: re.Match[str]) -> bool:
    """A percentage that reports a result: not a threshold ("pNK cells ≥12%"), a confidence
    level ("95% CI") or a share over 100."""
    before = text[max(0, m.start() - 12) : m.start()]
    return (
        not (
            _THRESHOLD.search(before[-3:]) or _CI_BEFORE.search(before) or _NOT_A_RESULT.match(text, m.end())
        )
        and float(_dot(m.group(1))) <= 100
    )


def _dot(number: str) -> str:
    return number.replace("·", ".")


def _percent_beside(text: str, start: int, end: int) -> tuple[float, tuple[int, int]] | None:
    after = re.compile(rf"\s*(?:[;,]\s*|\(\s*)({_NUM})\s?%").match(text, end)
    if after:
        return float(_dot(after.group(1))), after.span()
    before = re.compile(rf"({_NUM})\s?%\s*[\(\[,]?\s*$").search(text, max(0, start - 16), start)
    if before:
        return float(_dot(before.group(1))), before.span()
    return None


def bracket_runs(text: str, values: list[Value]) -> list[list[int]]:
    """Indexes of values listed together in one bracket with 'and' or ','."""
    runs: list[list[int]] = []
    for i, v in enumerate(values):
        if runs and re.fullmatch(r"\s*(?:,|and|,\s*and)\s*", text[values[runs[-1][-1]].end : v.start]):
            runs[-1].append(i)
        else:
            runs.append([i])
    return [
        r for r in runs if len(r) >= 2 and "(" in text[max(0, values[r[0]].start - 3) : values[r[0]].start]
    ]


def with_listed_events(text: str, values: list[Value]) -> list[Value]:
    """Percentages listed in a bracket with their counts after them: "(46.24% and 23.66%,
    n=43 and 22, respectively)" are 43 and 22 events."""
    out = list(values)
    for run in bracket_runs(text, values):
        close = text.find(")", values[run[-1]].end)
        listed = _LISTED_N.search(text, values[run[-1]].end, close if close > 0 else len(text))
        counts = [int(n) for n in re.findall(r"\d+", listed.group(0))] if listed else []
        if len(counts) == len(run):
            for i, events in zip(run, counts, strict=True):
                out[i] = out[i]._replace(events=events)
    return out
