"""rifkb_sentences_v1: sentence boundaries for abstracts, with no model.

A sentence ends at '.', '?' or '!' unless the token is a known abbreviation
(rules/sentences.tsv: 'vs.', 'et al.', 'i.v.') or the next word starts in lower case, and
at a line break (structured abstracts put each heading on its own line). A pipeline
whose parser or senter already set boundaries keeps them.
"""

from __future__ import annotations

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Token

from rifkb.nlp.base import RuleComponent, factory_config
from rifkb.rules import RuleSet

_ENDS = {".", "?", "!"}


class SentenceSplitter(RuleComponent):
    def compile(self, rules: RuleSet) -> None:
        self.abbreviations = rules.abbreviations

    def __call__(self, doc: Doc) -> Doc:
        if len(doc) and not doc.has_annotation("SENT_START"):
            self.rules  # noqa: B018 - loads and compiles them on first use
            self._split(doc)
        return doc

    def _split(self, doc: Doc) -> None:
        # One from_array call: setting token.is_sent_start re-checks the whole doc each time.
        starts = numpy.full((len(doc), 1), -1, dtype="int32")
        line_break, previous = True, None
        for token in doc:
            if token.is_space:
                line_break = line_break or "\n" in token.text
                continue
            if line_break or (previous is not None and self._ends(previous, token)):
                starts[token.i, 0] = 1
            line_break, previous = False, token
        starts[0, 0] = 1
        doc.from_array([SENT_START], starts.astype("uint64"))

    def _ends(self, token: Token, following: Token) -> bool:
        text = token.text
        if text not in _ENDS and not text.endswith("."):
            return False
        if text in self.abbreviations or (
            text == "." and token.i > 0 and token.nbor(-1).text + "." in self.abbreviations
        ):
            return False
        return not following.text[:1].islower()


@Language.factory(
    "rifkb_sentences_v1", default_config=factory_config(),
    assigns=["token.is_sent_start"],
)  # fmt: skip
def make_sentences(nlp: Language, name: str, rules_dir: str | None) -> SentenceSplitter:
    return SentenceSplitter(name, rules_dir)
