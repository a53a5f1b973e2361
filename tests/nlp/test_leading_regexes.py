"""Regular expressions rewritten to open with the characters their matches start with
(`text.digits_not_after`, `text.words_at_start`; Python's re skips to those in C) find
exactly what they found as first written, with a look back or a word boundary first: the
same spans and groups, searched from any position to any end."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rifkb.nlp import arm_sizes, arms, design, dose_grammar, reported
from rifkb.nlp import clauses as grammar
from rifkb.nlp.text import digits_not_after, words_at_start

# pieces of the writing these expressions read, so that random texts hold their matches
_PIECES = [
    "0", "7", "12", "400", "1,200", "2.5", "·5", ".4", "%", " %", "±", "+/-", "/", ",", ".", ";", "-",
    " ", "  ", "(", ")", "=", "<", "p", "P", "n", "N", "a", "an", "the", "The", "group", "Groups",
    "groups", "I", "II", "A", "b", "and", "or", "vs", "versus", "women", "Patients", "in", "of",
    "per", "each", "Each", "arm", "mg", "mg/kg", "IU", "ml", "g", "to", "but", "however", "While",
    "yet", "although", "whereas", "butter", "abut", "ci", "x", "é", "_", "1a",
    # and whole pieces of it
    ".5%", "2.5 %", "(12.5%)", "12/40", "3 women in ", "7 of 9", "p<0.05", "P = .04", "3±1.2",
    "10 vs 20%", ". mg", "·5 g", "40 per group", "n = 20 each arm", "group I and II", "the IVIg group",
]  # fmt: skip
_texts = st.lists(st.sampled_from(_PIECES), max_size=25).map("".join)


def _found(regex: re.Pattern[str], text: str, pos: int, end: int) -> list[tuple]:
    return [(m.span(), m.groups()) for m in regex.finditer(text, pos, end)]


def _same(old: re.Pattern[str], new: re.Pattern[str], text: str, data: st.DataObject) -> None:
    pos = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(pos, len(text)))
    assert _found(new, text, 0, len(text)) == _found(old, text, 0, len(text))
    assert _found(new, text, pos, end) == _found(old, text, pos, end)
    assert (new.search(text, pos, end) is None) == (old.search(text, pos, end) is None)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([r"\w.", r"\w.%", r"\w.,/", r"\w.,/%-"]), _texts, st.data())
@example(r"\w.", "12.5 7", None)
def test_digits_not_after_is_the_look_back_then_the_digits(chars, text, data):
    old = re.compile(rf"(?<![{chars}])(\d+)")
    new = re.compile(rf"({digits_not_after(chars)})")
    if data is None:  # the example: "12" and "7" stand alone, "5" is a decimal's
        assert [m.group() for m in new.finditer(text)] == ["12", "7"]
        return
    _same(old, new, text, data)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["but", "however", "while", "whereas", "yet", "a", "an", "x-ray"]),
                min_size=1, max_size=4, unique=True), _texts, st.data())  # fmt: skip
def test_words_at_start_is_the_word_boundary_then_the_words(words, text, data):
    old = re.compile(rf";|\b(?:{'|'.join(map(re.escape, words))})\b")
    new = re.compile(";|" + words_at_start(words, after=r"\b"))
    _same(old, new, text, data)


def test_words_at_start_keeps_the_boundary_for_a_word_opening_with_no_word_character():
    assert words_at_start(["-fold", "but"]) == r"\b(?:\-fold|but)"
    # as r"\b-fold": after a word, not after a space
    assert re.search(words_at_start(["-fold"]), "a two-fold rise")
    assert re.search(words_at_start(["-fold"]), "a -fold rise") is None


# each as first written, before it opened with its first characters
_NUM = r"\d+(?:[.·]\d+)?"
_AS_WRITTEN = {
    "percent": (reported._PERCENT, re.compile(rf"(?<![\w.])({_NUM})\s?%")),
    "bare before vs": (
        reported._BARE_BEFORE_VS,
        re.compile(rf"(?<![\w.%])({_NUM})(?=\s*(?:vs\.?|versus)\s*{_NUM}\s?%)"),
    ),
    "mean and sd": (
        reported._MEAN_SD,
        re.compile(rf"(?<![\w.])({_NUM})\s*(?:±|\+/-|\+-|\u2213)\s*({_NUM})(?:\s?%)?"),
    ),
    "events in": (
        reported._EVENTS_IN,
        re.compile(
            r"(?<![\w.,/])(\d+)\s+(?:women|patients|couples|subjects|participants)\s+(?=(?:in|of|from)\s)",
            re.I,
        ),
    ),
    "events and percent": (
        reported._EVENTS_PERCENT,
        re.compile(rf"(?<![\w.,/])(\d+)\s+(?:[a-z-]+\s+){{0,2}}\(\s*({_NUM})\s?%\s*\)", re.I),
    ),
    "statistics": (
        design._STATISTICS,
        re.compile(r"p(?<!\wp)\s*[<>=≤]|\d\s*%|\d(?<!\w\d)\d*\s*/\s*\d+\b", re.IGNORECASE),
    ),
    "group labels": (
        arms._LABEL,
        re.compile(
            r"\bgroups?\s+((?:[ivx]+|[a-d]|\d)\b(?:\s*(?:,|,?\s*and|,?\s*or|&)\s*(?:[ivx]+|[a-d]|\d)\b)*)",
            re.I,
        ),
    ),
    "named group": (
        arms._NAMED_GROUP,
        re.compile(
            r"\b(?:the|a|an)\s+((?!(?:two|three|four|both|all|each|same|other|whole|study|first|second|"
            r"control|comparison|healthy|fertile)\b)[a-z][\w-]*(?:\s+(?!group)[a-z][\w-]*)?)\s+group\b"
        ),
    ),
}


_WRITING = "Groups I and b vs the IVIg group: .5%, 2.5 % 10.5% 7 women in 3 (12.5%); p<0.05, 12/40, 3±1.2%"


@pytest.mark.parametrize("name", sorted(_AS_WRITTEN))
@settings(max_examples=200, deadline=None)
@given(text=_texts, data=st.data())
@example(text=_WRITING, data=None)
def test_a_rewritten_expression_finds_what_it_found_as_first_written(name, text, data):
    new, old = _AS_WRITTEN[name]
    if data is None:
        for written in (text, text.lower()):
            assert _found(new, written, 0, len(written)) == _found(old, written, 0, len(written))
        return
    _same(old, new, text, data)
    _same(old, new, text.lower(), data)


@settings(max_examples=300, deadline=None)
@given(text=_texts, data=st.data())
@example(text="75mg/kg and 1,200 IU; .4 g, . mg", data=None)
def test_the_dose_grammar_reads_the_amounts_it_read_before(nlp, text, data):
    dose = nlp.get_pipe("rifkb_doses").grammar.dose
    old = re.compile(dose.pattern.replace(dose_grammar._LEADING_NUMBER, dose_grammar._NUMBER, 1), dose.flags)
    assert old.pattern != dose.pattern
    text = text.lower()  # the grammar reads the folded text
    if data is None:
        assert [m.group("amount") for m in dose.finditer(text)] == ["75", "1,200", ".4"]
        return
    _same(old, dose, text, data)


@settings(max_examples=300, deadline=None)
@given(text=_texts, data=st.data())
def test_a_clause_breaks_where_it_broke_before(nlp, text, data):
    contrast = "|".join(map(re.escape, nlp.get_pipe("rifkb_findings").rules.cues["contrast"]))
    old = re.compile(rf";(?!\s*{grammar.STATISTIC})|\b(?:{contrast})\b")
    _same(old, nlp.get_pipe("rifkb_findings").clause_break, text.lower(), data)


@settings(max_examples=500, deadline=None)
@given(_texts)
@example("40 Patients Each  ARM")
def test_a_size_per_group_is_looked_for_only_where_its_words_are(text):
    # the words looked for first, in the lower-cased text, are in every "40 per group"
    if arm_sizes._PER_GROUP.search(text):
        assert arm_sizes._PER_GROUP_WORDS.search(text.lower())


# the number expressions of reported.py, as first written: digits or number words after
# none of some characters, read ignoring case in the text as written
_NUMBER_PIECES = [
    *_PIECES, "One", "one", "TWO", "Twenty", "twenty-one", "Fifty-one", "one hundred and six",
    "Eight", "eighteen", "ten", "tens", "often", "hundred", "seventy", "of", " of ", "out", "them",
    "whom", "were", " in ", "the", "8 of 40", "Thirty-six of 94", "two of them were in",
    "5 out of the 12", "10 of 20%", "noone", "-one", "/two", ".3", "4,",
]  # fmt: skip
_number_texts = st.lists(st.sampled_from(_NUMBER_PIECES), max_size=25).map("".join)


@pytest.fixture(scope="module")
def reported_numbers():
    from rifkb.rules import load_rules

    return reported.ReportedNumbers(load_rules(None).numbers)


@pytest.mark.parametrize(
    "name, not_after, written",
    [
        ("number", r"\w.,/", r"(?<![\w.,/])(?:\d+|{word})(?![\w.,/%])"),
        ("count_of", r"\w.,", r"(?<![\w.,])(\d+|{word})\s+(?:out\s+)?of\s+(?:the\s+)?(\d+)\b(?!\s*%)"),
        ("of_them", r"\w.,", r"(?<![\w.,])(\d+|{word})\s+of\s+(?:them|whom)\s+(?:were\s+)?in\b"),
    ],
)
@settings(max_examples=300, deadline=None)
@given(text=_number_texts, data=st.data())
@example(text="Thirty-six of 94, two of them were in; 7/12 of 40 and often one", data=None)
def test_a_number_led_by_its_first_characters_is_found_as_first_written(
    reported_numbers, name, not_after, written, text, data
):
    from rifkb.nlp.text import number_words

    old = re.compile(written.format(word=number_words(reported_numbers.numbers)), re.I)
    either = getattr(reported_numbers, name)
    assert either.lower is not None  # rifkb's number words are ASCII
    for pos, end in [(0, len(text))] + ([] if data is None else [
        (p := data.draw(st.integers(0, len(text))), data.draw(st.integers(p, len(text))))
    ]):  # fmt: skip
        # the same spans; the groups in lower case (their values are read ignoring case)
        as_written = [
            (span, tuple(g and g.lower() for g in groups)) for span, groups in _found(old, text, pos, end)
        ]
        assert _found(either.lower, text.lower(), pos, end) == as_written
        assert _found(either.cased, text, pos, end) == _found(old, text, pos, end)
    if data is None:  # the example: number words and digits both found
        first = {"number": "thirty-six", "count_of": "thirty-six of 94", "of_them": "two of them were in"}
        assert next(either.lower.finditer(text.lower())).group() == first[name]


def test_number_at_start_gives_way_to_a_number_word_it_cannot_lead():
    from rifkb.nlp.text import number_at_start

    assert number_at_start({"one": 1, "zwölf": 12}, r"\w") is None
    assert re.fullmatch(number_at_start({"one": 1}, r"\w"), "one")


_HEADING_PIECES = ["Background", "RESULTS", "Aim of the study", "IL-6", "(n)", "a/b", "&", ":", " : ",
                   "\n", " ", "  ", "- ", "—", "1", "2x", "women", "were", ".", "é"]  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_HEADING_PIECES), max_size=14).map("".join), st.data())
@example("— Aim of the study were: x", None)
def test_a_heading_is_read_as_before_its_quantifiers_were_possessive(text, data):
    old = re.compile(r"\W*((?:[^\W\d][\w()&/-]*\s+){0,4}[^\W\d][\w()&/-]*)\s*(?::|$)")
    new = grammar._HEADING
    starts = range(len(text) + 1) if data is None else [data.draw(st.integers(0, len(text)))]
    for pos in starts:
        for end in (len(text), data.draw(st.integers(pos, len(text))) if data else pos):
            m1, m2 = old.match(text, pos, end), new.match(text, pos, end)
            assert (m1 and (m1.span(), m1.groups())) == (m2 and (m2.span(), m2.groups()))


@settings(max_examples=300, deadline=None)
@given(_texts)
@example("the ivig group")
def test_a_named_group_is_looked_for_only_where_group_is_written(text):
    # arms.Reader._case_groups skips the expression on an abstract that never writes "group"
    text = text.lower()
    assert "group" in text or arms._NAMED_GROUP.search(text) is None
    if text == "the ivig group":
        assert arms._NAMED_GROUP.search(text)
