"""The whole-word scan every phrase index runs (rifkb.nlp.text._whole_words) finds what a
plain reading of its definition finds: from left to right, at each place not preceded by
a word character, the longest string followed by no word character; then on after it.
Both of its shapes (look-behind first, or first characters first) are checked."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from rifkb.nlp.text import _whole_words, alternation

_LETTERS = "abnoAB1 -≥"
_strings = st.text(alphabet=_LETTERS, min_size=1, max_size=5)


def _plainly(text: str, strings: set[str], word: str, after: str) -> list[tuple[int, int]]:
    is_word, is_after = re.compile(f"[{word}]"), re.compile(f"[{after}]")
    found, p = [], 0
    while p < len(text):
        if p == 0 or not is_word.match(text[p - 1]):
            ends = [p + len(s) for s in strings if text.startswith(s, p)]
            ends = [e for e in ends if e == len(text) or not is_after.match(text[e])]
            if ends:
                found.append((p, max(ends)))
                p = max(ends)
                continue
        p += 1
    return found


@settings(max_examples=500, deadline=None)
@given(
    st.sets(_strings, min_size=1, max_size=8),
    st.text(alphabet=_LETTERS, max_size=40),
    st.sampled_from([("a-z0-9", "a-z0-9"), ("A-Za-z0-9", "A-Za-z0-9"), ("a-z0-9", "a-z")]),
)
def test_the_scan_finds_the_longest_whole_words_from_left_to_right(strings, text, boundaries):
    word, after = boundaries
    pattern = re.compile(_whole_words(strings, word, after))
    assert [m.span() for m in pattern.finditer(text)] == _plainly(text, strings, word, after)


def test_both_shapes_are_used():
    few = _whole_words({"Odds ratio", "HR", "fail"}, "a-z0-9", "a-z0-9")
    many = _whole_words({"a", "b", "c", "d"}, "a-z0-9", "a-z0-9")
    assert few.startswith("(?:") and many.startswith("(?<!")


@settings(max_examples=300, deadline=None)
@given(st.lists(_strings, max_size=8), st.text(alphabet=_LETTERS, max_size=40))
@example(["a", "a-b"], "a-b")  # listed first is not longest first
def test_an_alternation_matches_what_the_longest_first_one_matches(strings, text):
    flat = "|".join(sorted(map(re.escape, strings), key=len, reverse=True))
    for shape in (r"\b(?:{})\s+\w*$", r"(?:{})(?:-(?:{}))*\b"):
        expected = [m.span() for m in re.finditer(shape.format(flat, flat), text)]
        got = [m.span() for m in re.finditer(shape.format(alternation(strings), alternation(strings)), text)]
        assert got == expected
