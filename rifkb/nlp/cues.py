"""rifkb_cues_v1: the cue phrases of rules/cues.tsv found in the text, by category.

Cues are the small words other components reason with: directions of a result
("higher", "did not improve"), negation, hedges, significance, aims and calls for future
work, control groups, totals, the words of a RIF definition. They are found once, as whole
words, case-insensitive, and written to `doc._.rifkb_cues` as `[start, end, category]`
character offsets (a phrase of two categories appears twice). Of overlapping phrases the
longest counts ("no significant difference" is no difference, not "significant"), except
that negation and absence words, which modify what follows them (Chapman et al.'s ConText,
2011), are matched on their own and never hide a cue ("failed to" beside "failed").
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.base import DocView, RuleComponent, factory_config, set_extension
from rifkb.nlp.text import PhraseIndex
from rifkb.rules import RuleSet

MODIFIERS = ("negation", "absence")


class CueTagger(RuleComponent):
    def compile(self, rules: RuleSet) -> None:
        self.indexes = [
            PhraseIndex([(p, c) for c, ps in rules.cues.items() for p in ps if (c in MODIFIERS) == modifier],
                        keep_case=False, plural=False)
            for modifier in (False, True)
        ]  # fmt: skip

    def __call__(self, doc: Doc) -> Doc:
        set_extension(doc, "rifkb_cues", self.find(DocView(doc).lower) if len(doc) else [])
        return doc

    def find(self, folded: str) -> list[list]:
        self.rules  # noqa: B018 - loads and compiles them on first use
        found = [
            [m.start, m.end, c] for index in self.indexes for m in index.finditer(folded) for c in m.payloads
        ]
        return sorted(found)


@Language.factory("rifkb_cues_v1", default_config=factory_config(), assigns=["doc._.rifkb_cues"])
def make_cues(nlp: Language, name: str, rules_dir: str | None) -> CueTagger:
    return CueTagger(name, rules_dir)
