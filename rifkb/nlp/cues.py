"""rifkb_cues_v1: the cue phrases of rules/cues.tsv found in the text, by category.

Cues are the small words other components reason with: directions of a result
("higher", "did not improve"), negation, hedges, significance, aims and calls for future
work, control groups, totals, the words of a RIF definition. They are found once, as whole
words, case-insensitive, and written to `doc._.rifkb_cues` as `[start, end, category]`
character offsets (a phrase of two categories appears twice).
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.base import DocView, RuleComponent, factory_config
from rifkb.nlp.text import PhraseIndex
from rifkb.rules import RuleSet


class CueTagger(RuleComponent):
    def compile(self, rules: RuleSet) -> None:
        phrases = [(p, c) for c, ps in rules.cues.items() for p in ps]
        self.index = PhraseIndex(phrases, keep_case=False, plural=False)

    def __call__(self, doc: Doc) -> Doc:
        doc._.rifkb_cues = self.find(DocView(doc).lower) if len(doc) else []
        return doc

    def find(self, folded: str) -> list[list]:
        self.rules  # noqa: B018 - loads and compiles them on first use
        return [[m.start, m.end, c] for m in self.index.finditer(folded) for c in m.payloads]


@Language.factory("rifkb_cues_v1", default_config=factory_config(), assigns=["doc._.rifkb_cues"])
def make_cues(nlp: Language, name: str, rules_dir: str | None) -> CueTagger:
    return CueTagger(name, rules_dir)
