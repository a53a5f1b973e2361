"""rifkb_abbreviations_v1: scispaCy's abbreviation detector (Schwartz & Hearst 2003), with
its results kept in the form spaCy can save.

scispaCy's `make_serializable` mode is used: `doc._.abbreviations` holds one dict per short
form (`short_text`, `short_start`, `short_end`, `long_text`, `long_start`, `long_end`, token
offsets) and `span._.long_form` the long form's text, instead of Span objects, which
`DocBin(store_user_data=True)` cannot save.

The detector's algorithm is scispaCy's, unchanged; its two token matchers are replaced
by ones that find the same matches, in the same order, from the Doc's array of token
texts (spaCy's Matcher makes a Python Token object of every token it walks, which cost
as much as the tokenizer's own work):

- the parenthesis pattern (`(`, any tokens, `)`) pairs every opening bracket with every
  later closing one, so its cost grows with the square of the text's length, and the
  detector's own filter then drops every match of more than 8 tokens inside the
  brackets: only the pairs 1–8 tokens apart are made, in time linear in the length;
- the matcher of short forms, filled with each definition's short form and emptied
  after each Doc, is a search for those token sequences; with none (an abstract that
  defines no abbreviation) it finds nothing without a word, where spaCy's Matcher warns
  (W036) about something that says nothing of the data.
"""

from __future__ import annotations

import numpy
from spacy.attrs import ORTH
from spacy.language import Language
from spacy.tokens import Doc
from spacy.vocab import Vocab

_MOST_INSIDE = 8  # tokens between the brackets that the detector's filter keeps


class Abbreviations:
    def __init__(self, nlp: Language):
        from scispacy.abbreviation import AbbreviationDetector

        self.detector = AbbreviationDetector(nlp, make_serializable=True)
        self.detector.matcher = Parentheses(nlp.vocab)
        self.detector.global_matcher = Sequences(nlp.vocab)

    def __call__(self, doc: Doc) -> Doc:
        return self.detector(doc)


class Parentheses:
    """The matches of spaCy's Matcher for `(`, 1 to 8 tokens, `)`: (match id, start, end),
    ordered as it orders them (by end, then the latest start first)."""

    def __init__(self, vocab: Vocab):
        self.vocab = vocab
        self.key = vocab.strings.add("parenthesis")
        self.opening, self.closing = vocab.strings.add("("), vocab.strings.add(")")

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        if not len(doc):
            return []
        orth = doc.to_array(ORTH)
        opening = numpy.flatnonzero(orth == self.opening).tolist()
        closing = numpy.flatnonzero(orth == self.closing)
        if not opening or not len(closing):
            return []
        # for each "(", the ")" between 2 and 9 tokens after it
        low = numpy.searchsorted(closing, numpy.asarray(opening) + 2).tolist()
        high = numpy.searchsorted(closing, numpy.asarray(opening) + _MOST_INSIDE + 2).tolist()
        closing_at = closing.tolist()
        pairs = [
            (closing_at[c] + 1, o) for o, a, b in zip(opening, low, high, strict=True) for c in range(a, b)
        ]
        pairs.sort(key=lambda p: (p[0], -p[1]))
        return [(self.key, start, end) for end, start in pairs]


class Sequences:
    """The matches of spaCy's Matcher for patterns that are sequences of token texts
    (`[{"ORTH": ...}, ...]`, what the detector adds for each short form it defines):
    (match id, start, end), ordered by end, then start."""

    def __init__(self, vocab: Vocab):
        self.vocab = vocab
        self.patterns: dict[str, list[list[int]]] = {}

    def __len__(self) -> int:
        return len(self.patterns)

    def add(self, key: str, patterns: list[list[dict[str, str]]]) -> None:
        orths = [[self.vocab.strings.add(token["ORTH"]) for token in pattern] for pattern in patterns]
        self.patterns.setdefault(key, []).extend(orths)

    def remove(self, key: str) -> None:
        del self.patterns[key]

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        if not self.patterns or not len(doc):
            return []
        orth = doc.to_array(ORTH)
        found = []
        for key, patterns in self.patterns.items():
            match_id = self.vocab.strings.add(key)
            for pattern in patterns:
                size = len(pattern)
                starts = numpy.flatnonzero(orth[: len(orth) - size + 1] == pattern[0])
                for offset, value in enumerate(pattern[1:], start=1):
                    starts = starts[orth[starts + offset] == value]
                found += [(s + size, s, match_id) for s in starts.tolist()]
        found.sort(key=lambda m: (m[0], m[1]))
        return [(match_id, start, end) for end, start, match_id in found]


@Language.factory("rifkb_abbreviations_v1", assigns=["doc._.abbreviations", "span._.long_form"])
def make_abbreviations(nlp: Language, name: str) -> Abbreviations:
    return Abbreviations(nlp)
