"""rifkb_abbreviations_v1: scispaCy's abbreviation detector (Schwartz & Hearst 2003), with
its results kept in the form spaCy can save.

scispaCy's `make_serializable` mode is what it writes: `doc._.abbreviations` holds one
dict per short form (`short_text`, `short_start`, `short_end`, `long_text`, `long_start`,
`long_end`, token offsets) and `span._.long_form` the long form's text, instead of Span
objects, which `DocBin(store_user_data=True)` cannot save.

The algorithm is scispaCy's (`scispacy.abbreviation` 0.6: `filter_matches`,
`short_form_filter`, `find_abbreviation`, `find_matches_for`), step for step, on the
Doc's token arrays rather than on Token and Span objects, which cost as much as the
tokenizer's own work (spaCy's Matcher makes a Python Token of every token it walks):

- the bracket pattern (`(`, tokens, `)`) pairs every opening bracket with every later
  closing one, a cost growing with the square of the text's length, and the filter then
  drops every pair more than 8 tokens apart: only pairs 1–8 tokens apart are made;
- the short forms defined are then found everywhere as sequences of token texts;
- the definitions come out in a fixed order (long forms as first found, each one's short
  forms by position), where scispaCy's follows the hashes of Span objects in a set.

tests/nlp/test_abbreviations.py checks it finds what scispaCy's detector finds.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy
from spacy.attrs import ORTH
from spacy.language import Language
from spacy.tokens import Doc, Span

from rifkb.nlp.base import doc_text, set_extension, token_offsets

_MOST_INSIDE = 8  # tokens between the brackets that scispaCy's filter keeps

Token = tuple[int, int]  # a token span: (start, end)


class Abbreviations:
    def __init__(self, nlp: Language):
        # the extensions scispaCy's detector declares, declared the same way
        Doc.set_extension("abbreviations", default=[], force=True)
        Span.set_extension("long_form", default=None, force=True)
        self.vocab = nlp.vocab
        self.opening, self.closing = self.vocab.strings.add("("), self.vocab.strings.add(")")

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        tokens = _Tokens(doc)
        found = list(doc._.abbreviations)
        for (long_start, long_end), shorts in self._definitions(tokens).items():
            long_text = tokens.text(long_start, long_end)
            for start, end in sorted(shorts):
                set_extension(doc, "long_form", long_text, tokens.starts[start], tokens.ends[end - 1])
                found.append({
                    "short_text": tokens.text(start, end), "short_start": start, "short_end": end,
                    "long_text": long_text, "long_start": long_start, "long_end": long_end,
                })  # fmt: skip
        doc._.abbreviations = found
        return doc

    def _definitions(self, tokens: _Tokens) -> dict[Token, set[Token]]:
        """scispaCy's `find_matches_for`: each long form (the first one found with its
        text, whose short form's text was not defined before) with every place its short
        form occurs."""
        occurrences: dict[Token, set[Token]] = {}
        seen_long, seen_short = set(), set()
        for long, short in _candidates(tokens, self._brackets(tokens.orth)):
            found = _long_form(tokens, long, short)
            if found is None:
                continue
            long_text, short_text = tokens.text(*found), tokens.text(*short)
            if long_text in seen_long or short_text in seen_short:
                continue
            seen_long.add(long_text)
            seen_short.add(short_text)
            occurrences.setdefault(found, set()).update(tokens.find(short))
        return occurrences

    def _brackets(self, orth: numpy.ndarray) -> list[Token]:
        """What is between `(` and a `)` 1–8 tokens after it, in the order of spaCy's
        Matcher (by the closing bracket, then the latest opening first)."""
        opening = numpy.flatnonzero(orth == self.opening)
        closing = numpy.flatnonzero(orth == self.closing)
        if not len(opening) or not len(closing):
            return []
        low = numpy.searchsorted(closing, opening + 2).tolist()
        high = numpy.searchsorted(closing, opening + _MOST_INSIDE + 2).tolist()
        at = closing.tolist()
        pairs = [(at[c], o) for o, a, b in zip(opening.tolist(), low, high, strict=True) for c in range(a, b)]
        pairs.sort(key=lambda p: (p[0], -p[1]))
        return [(o + 1, c) for c, o in pairs]


class _Tokens:
    """A Doc's token texts (an array of their ids) and offsets (`token_offsets`)."""

    def __init__(self, doc: Doc):
        self.string = doc_text(doc)
        self.orth = doc.to_array(ORTH)
        self.starts, self.ends, self.reach = token_offsets(doc)

    def length(self, i: int) -> int:
        return self.ends[i] - self.starts[i]

    def word(self, i: int) -> str:
        return self.string[self.starts[i] : self.ends[i]]

    def text(self, start: int, end: int) -> str:
        """`doc[start:end].text`."""
        if start >= end:
            return ""
        return self.string[self.starts[start] : self.ends[end - 1]]

    def find(self, span: Token) -> list[Token]:
        """Every place the token texts of `span` occur."""
        pattern = self.orth[span[0] : span[1]]
        size = len(pattern)
        starts = numpy.flatnonzero(self.orth[: len(self.orth) - size + 1] == pattern[0])
        for offset in range(1, size):
            starts = starts[self.orth[starts + offset] == pattern[offset]]
        return [(s, s + size) for s in starts.tolist()]


def _candidates(tokens: _Tokens, brackets: list[Token]) -> Iterator[tuple[Token, Token]]:
    """scispaCy's `filter_matches`: (long form, short form) candidates, the short form
    inside the brackets ("in vitro fertilisation (IVF)") or, with more than three tokens
    inside, the long form ("IVF (in vitro fertilisation)")."""
    for start, end in brackets:
        if end - start > _MOST_INSIDE or start == 1:
            continue
        if end - start > 3:
            short, long = (start - 2, start - 1), (start, end)
            if _unbalanced(tokens, start, end):
                continue
        else:
            short = (start, end)
            letters = sum(tokens.length(i) for i in range(start, end))
            most = min(letters + 5, letters * 2)  # words to look back over
            long = (max(start - most - 1, 0), start - 1)
        if _short_form(tokens, *short):
            yield long, short


def _unbalanced(tokens: _Tokens, start: int, end: int) -> bool:
    depth = 0
    for i in range(start, end):
        word = tokens.word(i)
        if word == "(":
            depth += 1
        elif word == ")":
            if depth == 0:
                return True
            depth -= 1
    return depth != 0


def _short_form(tokens: _Tokens, start: int, end: int) -> bool:
    """scispaCy's `short_form_filter`: words of 2 to 9 characters, at least half of the
    text letters, a letter first."""
    if not all(2 <= tokens.length(i) < 10 for i in range(start, end)):
        return False
    text = tokens.text(start, end)
    return sum(c.isalpha() for c in text) / len(text) >= 0.5 and text[0].isalpha()


def _long_form(tokens: _Tokens, long: Token, short: Token) -> Token | None:
    """scispaCy's `find_abbreviation`: the short form's letters and digits found right to
    left in the candidate long form (its words joined by single spaces), the first one at
    the start of a word; the long form's tokens from the one holding that character."""
    long_form = " ".join(tokens.word(i) for i in range(*long))
    short_form = " ".join(tokens.word(i) for i in range(*short))
    long_index, short_index = len(long_form) - 1, len(short_form) - 1
    while short_index >= 0:
        char = short_form[short_index].lower()
        if not char.isalnum():
            short_index -= 1
            continue
        while (long_index >= 0 and long_form[long_index].lower() != char) or (
            short_index == 0 and long_index > 0 and long_form[long_index - 1].isalnum()
        ):
            long_index -= 1
        if long_index < 0:
            return None
        long_index -= 1
        short_index -= 1
    long_index += 1
    # scispaCy counts the Doc's own spaces here, not the single ones of the joined form
    lengths = 0
    for i in range(*long):
        lengths += tokens.reach[i] - tokens.starts[i]  # the token and its trailing space
        if lengths > long_index:
            return (i, long[1])
    return long


@Language.factory("rifkb_abbreviations_v1", assigns=["doc._.abbreviations", "span._.long_form"])
def make_abbreviations(nlp: Language, name: str) -> Abbreviations:
    return Abbreviations(nlp)
