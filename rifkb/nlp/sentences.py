"""rifkb_sentences_v1: sentence boundaries for abstracts, with no model.

A sentence ends at '.', '?' or '!' unless the token is a known abbreviation
(rules/sentences.tsv: 'vs.', 'et al.', 'i.v.') or the next word starts in lower case, and
at a line break (structured abstracts put each heading on its own line). A pipeline
whose parser or senter already set boundaries keeps them.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.base import DocView, RuleComponent, factory_config, remember_sentences, token_offsets
from rifkb.rules import RuleSet

_ENDS = {".", "?", "!"}
_END = re.compile(r"[.?!]")
_LINE = re.compile(r"\n")


class SentenceSplitter(RuleComponent):
    def compile(self, rules: RuleSet) -> None:
        self.abbreviations = rules.abbreviations

    def __call__(self, doc: Doc) -> Doc:
        if len(doc) and not doc.has_annotation("SENT_START"):
            self.rules  # noqa: B018 - loads and compiles them on first use
            self._split(doc)
        return doc

    def _split(self, doc: Doc) -> None:
        """Only the tokens that can end a sentence are looked at, found in the text: a
        line break (in a space token, as tokenizers keep whitespace apart from words) and
        '.', '?', '!' ending a token. A Python loop over every token would cost more than
        the rest of the component."""
        text = DocView(doc).text
        starts_at, ends_at, _ = token_offsets(doc)
        starts = numpy.full((len(doc), 1), -1, dtype="int32")
        first = sorted(_sentence_starts(text, starts_at, ends_at, self._ends) | {0})
        starts[first, 0] = 1
        doc.from_array([SENT_START], starts.astype("uint64"))
        last = [i - 1 for i in first[1:]] + [len(doc) - 1]
        remember_sentences(doc, [(starts_at[a], ends_at[b]) for a, b in zip(first, last, strict=True)])

    def _ends(self, text: str, starts_at: list[int], ends_at: list[int], i: int, following: int) -> bool:
        """Whether token i, a word ending in '.', '?' or '!', ends its sentence before the
        word `following`."""
        token = text[starts_at[i] : ends_at[i]]
        if token not in _ENDS and not token.endswith("."):
            return False
        if token in self.abbreviations or (
            token == "." and i > 0 and text[starts_at[i - 1] : ends_at[i - 1]] + "." in self.abbreviations
        ):
            return False
        return not text[starts_at[following] : starts_at[following] + 1].islower()


def _sentence_starts(
    text: str,
    starts_at: list[int],
    ends_at: list[int],
    ends: Callable[[str, list[int], list[int], int, int], bool],
) -> set[int]:
    """The tokens that start a sentence: the first word, a word after a line break, and
    a word after a token that `ends` its sentence."""

    def space(i: int) -> bool:
        return text[starts_at[i] : ends_at[i]].isspace()

    words = _Words(len(starts_at), space)
    found = {j for j in (words.after(-1),) if j is not None}
    for line in _LINE.finditer(text):
        i = bisect_right(starts_at, line.start()) - 1
        if i >= 0 and space(i) and (after := words.after(i)) is not None:
            found.add(after)
    words = _Words(len(starts_at), space)
    for end in _END.finditer(text):
        i = bisect_right(starts_at, end.start()) - 1
        if i < 0 or ends_at[i] != end.end():
            continue  # not a token's last character
        after = words.after(i)
        if after is not None and ends(text, starts_at, ends_at, i, after):
            found.add(after)
    return found


class _Words:
    """The first token after a token that is not space, asked for tokens in text order:
    a run of space tokens is walked once, however many line breaks it holds."""

    def __init__(self, size: int, space: Callable[[int], bool]):
        self.size, self.space = size, space
        self.asked, self.found = -2, -1  # the last token asked about, and its answer

    def after(self, i: int) -> int | None:
        if not (self.asked <= i < self.found):
            self.asked, self.found = (
                i,
                next((j for j in range(i + 1, self.size) if not self.space(j)), self.size),
            )
        return self.found if self.found < self.size else None


@Language.factory(
    "rifkb_sentences_v1", default_config=factory_config(),
    assigns=["token.is_sent_start"],
)  # fmt: skip
def make_sentences(nlp: Language, name: str, rules_dir: str | None) -> SentenceSplitter:
    return SentenceSplitter(name, rules_dir)
