"""The whole-word scan every phrase index runs (rifkb.nlp.text.WholeWords, an Aho–Corasick
automaton) finds what a plain reading of its definition finds, and what the trie-shaped
regular expression it replaced found: from left to right, at each place not preceded by
a word character, the longest string followed by no word character; then on after it."""

from __future__ import annotations

import gc
import pickle
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


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sets(_strings, min_size=1, max_size=6), min_size=2, max_size=4),
    st.lists(st.text(alphabet=_LETTERS, max_size=40), min_size=1, max_size=4),
    st.data(),
)
@example([{"ab"}, {"ab", "abn"}], ["abn ab"], None)  # one string held by two scanners
def test_scanners_sharing_an_automaton_each_find_what_they_find_alone(sets, texts, data):
    name = f"test-{id(sets)}"
    shared = [WholeWords(s, ASCII_LOWER, ASCII_LOWER, shared=name) for s in sets]
    alone = [WholeWords(s, ASCII_LOWER, ASCII_LOWER) for s in sets]
    for text in texts:
        # each text read by the scanners in turn, in any order, the same text more than once
        order = list(range(len(sets))) if data is None else data.draw(st.permutations(range(len(sets))))
        for i in order + order[:1]:
            assert (
                shared[i].spans(text) == alone[i].spans(text) == _plainly(text, sets[i], "a-z0-9", "a-z0-9")
            )
        if data is not None and data.draw(st.booleans()):
            # a scanner joins after the automaton was made (a second pipeline), and one is
            # made again from a pickle (a spawned worker's pipeline)
            extra = data.draw(st.sets(_strings, min_size=1, max_size=6))
            sets.append(extra)
            shared.append(
                pickle.loads(pickle.dumps(WholeWords(extra, ASCII_LOWER, ASCII_LOWER, shared=name)))
            )
            alone.append(WholeWords(extra, ASCII_LOWER, ASCII_LOWER))
            assert shared[-1].spans(text) == alone[-1].spans(text)
            assert shared[0].spans(text) == alone[0].spans(text)


def test_a_scanner_no_longer_used_leaves_the_shared_automaton():
    keep = WholeWords({"ab"}, ASCII_LOWER, ASCII_LOWER, shared="test-leave")
    gone = WholeWords({"no"}, ASCII_LOWER, ASCII_LOWER, shared="test-leave")
    assert gone.spans("no ab") == [(0, 2)]
    del gone
    gc.collect()
    assert keep.spans("ab no") == [(0, 2)]
    newcomer = WholeWords({"b1"}, ASCII_LOWER, ASCII_LOWER, shared="test-leave")
    assert newcomer.spans("b1 no") == [(0, 2)]
    assert "no" not in keep._shared._built.automaton  # made again without the one gone
