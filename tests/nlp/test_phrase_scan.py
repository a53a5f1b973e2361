"""The whole-word scan every phrase index runs (rifkb.nlp.text.WholeWords, an Aho–Corasick
automaton) finds what a plain reading of its definition finds, and what the trie-shaped
regular expression it replaced found: from left to right, at each place not preceded by
a word character, the longest string followed by no word character; then on after it."""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st

from rifkb.nlp.text import ASCII_CASED, ASCII_LOWER, DIGITS, PhraseIndex, WholeWords, alternation

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


_BOUNDARIES = {"a-z0-9": ASCII_LOWER, "A-Za-z0-9": ASCII_CASED, "a-z": ASCII_LOWER - DIGITS}


@settings(max_examples=500, deadline=None)
@given(
    st.sets(_strings, min_size=1, max_size=8),
    st.text(alphabet=_LETTERS, max_size=40),
    st.sampled_from([("a-z0-9", "a-z0-9"), ("A-Za-z0-9", "A-Za-z0-9"), ("a-z0-9", "a-z")]),
)
@example({"ab", "abn", "b"}, "abnb ab", ("a-z0-9", "a-z0-9"))  # the longest fails its end: a shorter one
@example({"a", "a b"}, "a b", ("a-z0-9", "a-z0-9"))  # overlapping hits: the leftmost, longest
def test_the_scan_finds_the_longest_whole_words_from_left_to_right(strings, text, boundaries):
    word, after = boundaries
    scan = WholeWords(strings, _BOUNDARIES[word], _BOUNDARIES[after])
    plainly = _plainly(text, strings, word, after)
    assert scan.spans(text) == plainly
    # and what the regular expression of the phrase indexes before it found
    regex = re.compile(f"(?<![{word}])(?:{alternation(strings)})(?![{after}])")
    assert [m.span() for m in regex.finditer(text)] == plainly


def test_a_phrase_index_gives_each_hit_its_payloads():
    index = PhraseIndex(
        [("IVIg", "ivig"), ("IVIG", "ivig-2"), ("RR", "rr")], keep_case=True, digit_after=True
    )
    hits = list(index.finditer("IVIg and IVIGs, RR1.8, sRR"))
    assert [(h.start, h.end, h.payloads) for h in hits] == [
        (0, 4, ("ivig",)),
        (9, 14, ("ivig-2",)),
        (16, 18, ("rr",)),
    ]


def test_an_index_of_no_names_finds_nothing():
    assert list(PhraseIndex([], keep_case=False).finditer("anything at all")) == []


@settings(max_examples=300, deadline=None)
@given(st.lists(_strings, max_size=8), st.text(alphabet=_LETTERS, max_size=40))
@example(["a", "a-b"], "a-b")  # listed first is not longest first
def test_an_alternation_matches_what_the_longest_first_one_matches(strings, text):
    flat = "|".join(sorted(map(re.escape, strings), key=len, reverse=True))
    for shape in (r"\b(?:{})\s+\w*$", r"(?:{})(?:-(?:{}))*\b"):
        expected = [m.span() for m in re.finditer(shape.format(flat, flat), text)]
        got = [m.span() for m in re.finditer(shape.format(alternation(strings), alternation(strings)), text)]
        assert got == expected
