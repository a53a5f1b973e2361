"""rifkb_sentences_v1: sentence boundaries for abstracts, with no model.

A sentence ends at '.', '?' or '!' unless the token is a known abbreviation
(rules/sentences.tsv: 'vs.', 'et al.', 'i.v.'), and at a line break (structured
abstracts put each heading on its own line). A pipeline whose parser already set
boundaries keeps them.
"""

from __future__ import annotations

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.context import compiled_rules, register_extensions

_ENDS = {".", "?", "!"}


class SentenceSplitter:
    def __init__(self, rules_dir: str | None):
        register_extensions()
        self.abbreviations = compiled_rules(rules_dir).rules.abbreviations

    def __call__(self, doc: Doc) -> Doc:
        if not doc.has_annotation("SENT_START"):
            self._split(doc)
        doc._.rifkb_sentences = [(s.start_char, s.end_char) for s in doc.sents]
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
        if len(doc):
            starts[0, 0] = 1
            doc.from_array([SENT_START], starts.astype("uint64"))

    def _ends(self, token, following) -> bool:  # noqa: ANN001 - spaCy tokens
        text = token.text
        if text not in _ENDS and not text.endswith("."):
            return False
        if text in self.abbreviations or (
            text == "." and token.i > 0 and token.nbor(-1).text + "." in self.abbreviations
        ):
            return False
        return not following.text[:1].islower()


@Language.factory("rifkb_sentences_v1", default_config={"rules_dir": None})
def make_sentences(nlp: Language, name: str, rules_dir: str | None) -> SentenceSplitter:
    return SentenceSplitter(rules_dir)
