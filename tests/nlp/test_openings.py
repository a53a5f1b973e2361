"""A rule's expression tried only where one of its openings stands (rifkb.nlp.openings)
finds what `finditer` finds trying it everywhere: for expressions drawn from a grammar of
the constructs rule files use (Hypothesis), and for every expression of rifkb's own rule
files on every dev abstract."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rifkb.nlp.base import IGNORED_CASE_EXTRAS, DocView
from rifkb.nlp.openings import OpenedPattern, openings
from rifkb.rules import load_rules

# --- expressions drawn from a grammar ------------------------------------------------------

_ATOMS = st.sampled_from(
    ["a", "b", "A", "B", "k", "s", "1", "2", "-", r"\(", " ", "é", "É",
     "[ab]", "[AB]", "[0-3]", "[a-c1]", r"\w", r"\s", r"\d", ".", "[^a]", r"\b",
     "(?<!a)", "(?<=b)", "(?=a)", "(?!1)", r"(?<!\wk)", "^", "$"]
)  # fmt: skip


def _combined(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.lists(children, min_size=2, max_size=3).map("".join),  # a sequence
        st.lists(children, min_size=2, max_size=3).map(lambda xs: "(?:" + "|".join(xs) + ")"),  # a branch
        children.map(lambda x: f"(?:{x})?"),
        children.map(lambda x: f"(?:{x})+"),
        children.map(lambda x: f"({x})"),  # a group the rule reads
        children.map(lambda x: f"(?-i:{x})"),
    )


_expressions = st.recursive(_ATOMS, _combined, max_leaves=8)
_texts = st.text(
    alphabet="abABks12 -(éÉ\u212aſ", max_size=30
)  # the Kelvin sign and 'ſ' match k and s ignoring case


def _found(matches) -> list[tuple]:
    return [(m.span(), m.groups()) for m in matches]


@settings(max_examples=1000, deadline=None)
@given(_expressions, st.sampled_from([0, re.IGNORECASE]), _texts)
@example(r"\b(?:ab|[0-3])\s", re.IGNORECASE, "AB 2 ab")
@example(r"\bsa", re.IGNORECASE, "ſa sa")  # 'ſ' matches s ignoring case: the text is not plain
@example(r"(?:ab\d|ba)k", 0, "ab1k bak")  # an opening read up to a digit class, not past it
@example(r"k1", re.IGNORECASE, "\u212a1")  # the Kelvin sign is k in the lower-case text
def test_an_expression_tried_at_its_openings_finds_what_it_finds_everywhere(expression, flags, text):
    try:
        regex = re.compile(expression, flags)
    except re.error:
        return
    lower, plain = text.lower(), not any(c in text for c in IGNORED_CASE_EXTRAS)
    assert len(lower) == len(text)
    assert _found(OpenedPattern(regex).finditer(text, lower, plain)) == _found(regex.finditer(text))
    # and every match, from whatever place it is tried, opens with an opening
    starts = openings(regex)
    if starts is not None and plain:
        where = lower if flags else text
        for at in range(len(text) + 1):
            if (m := regex.match(text, at)) is not None:
                assert any(where.startswith(s, m.start()) for s in starts), (m, starts)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (r"\binterleukin\s*\(IL\)\s*-?\s*4\b", ("interleukin",)),
        (r"\b(?:IV|i\.v\.|intravenous)\W+", ("i.v.", "intravenous", "iv")),
        (r"\b(?:two|three|[2-4])\s+", ("2", "3", "4", "three", "two")),
        (r"\bCD(?:3|4|8)\s*\+", ("cd3", "cd4", "cd8")),
        (r"(?:>\s*or\s*=|≥|>=)\s*[2-9]", (">", ">=", "≥")),
        (
            r"b(?<!\wb)ut|h(?<!\wh)owever|;(?!\s*p)",
            (";", "but", "however"),
        ),  # looks around match no character
        (r"\bT[\s-]*helper", None),  # a single letter: found too often to be worth it
        (r"\b\w+ cells", None),  # anything at all
        (r"(?:a|)b", None),  # a branch that can open with nothing
        (r"\bµg", None),  # a letter outside ASCII: its cases are not one lower case
    ],
)
def test_the_openings_of_expressions_as_rule_files_write_them(expression, expected):
    assert openings(re.compile(expression, re.IGNORECASE)) == expected


# --- rifkb's own rule files -----------------------------------------------------------------


@pytest.fixture
def views(nlp, data):
    from rifkb.corpus.formats import read_records
    from rifkb.records.bibliographic import document_text

    records = [r for chunk in read_records(data / "dev.jsonl", "jsonl") for r in chunk]
    return [DocView(nlp.make_doc(document_text(r)[0])) for r in records]


def test_every_rule_expression_finds_at_its_openings_what_it_finds_everywhere(views):
    rules = load_rules(None)
    expressions = [p.regex for p in rules.patterns] + [m.pattern for m in rules.measures if m.pattern]
    opened = [OpenedPattern(r) for r in expressions]
    # most open with words (this fails on a Python whose parser the reading does not know)
    assert sum(o.openings is not None for o in opened) >= len(opened) * 3 // 4
    for o in opened:
        for view in views:
            got = _found(o.finditer(view.cased, view.lower, view.plain))
            assert got == _found(o.regex.finditer(view.cased)), o.regex.pattern


def test_openings_multiplied_past_a_few_dozen_stop_at_what_came_before():
    # each opening is a str.find over every abstract: 4 × 4 × 4 would be 64
    found = openings(re.compile(r"[0-3][0-3][0-3]x"))
    assert found == tuple(a + b for a in "0123" for b in "0123")
