"""rifkb_concepts_v1: concept mentions, from rules/lexicon.tsv and rules/patterns.tsv.

1. names of the lexicon and structured patterns are found in the folded text;
2. bare outcome words inside a list governed by "rate(s)" are read as outcomes
   (rules/rate_heads.tsv);
3. abbreviations the abstract defines (scispaCy's detector, after Schwartz & Hearst 2003)
   take the concept of their long form: "luteal phase support (LPS)" makes every later
   "LPS" progesterone, and "CE" defined as something other than chronic endometritis
   stops being chronic endometritis;
4. overlapping names keep the longest ("recurrent miscarriage" is RPL, not
   miscarriage), and a name marked `unless` yields to the more specific concept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.context import compiled_rules, folded, register_extensions
from rifkb.rules import Term

_RATE_WORD = re.compile(r"\brates?\b(\s+of\s+)?")
_LIST_END = re.compile(r"[.;:]|\s(?:in|with|between|was|were|when|compared|after|among|for)\s")
_LIST_START = re.compile(r"[.;:()]|\s(?:in|of|the|with|that|were|was|and the|by|on)\s")
_PARENTHESES = re.compile(r"\([^()]*\)")


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group())


@dataclass(frozen=True)
class Hit:
    """A concept mention: character span, concept id and type, and the rule behind it."""

    start: int
    end: int
    concept: str
    type: str
    rule: str
    unless: str | None = None


class ConceptTagger:
    def __init__(self, rules_dir: str | None):
        register_extensions()
        self.compiled = compiled_rules(rules_dir)
        self.rules = self.compiled.rules

    def __call__(self, doc: Doc) -> Doc:
        names = self._names(doc) + self._rate_lists(doc) + self._entities(doc)
        # Patterns describe context ("women who had one or more live births"), not a
        # name: they do not swallow the names inside them.
        hits = sorted(_longest(names) + self._patterns(doc), key=lambda h: (h.start, h.end))
        hits = self._resolve_abbreviations(doc, hits)
        present = {h.concept for h in hits}
        doc._.rifkb_mentions = [h for h in hits if h.unless not in present]
        return doc

    def _hit(self, start: int, end: int, term: Term) -> Hit:
        ctype = self.rules.concept_type(term.concept)
        return Hit(start, end, term.concept, ctype, term.source, term.unless)

    def _names(self, doc: Doc) -> list[Hit]:
        text = folded(doc)
        hits = []
        for index, source in ((self.compiled.terms_folded, text.lower),
                              (self.compiled.terms_cased, text.cased)):  # fmt: skip
            for match in index.finditer(source):
                hits.extend(self._hit(match.start, match.end, t) for t in match.payloads)
        return hits

    def _patterns(self, doc: Doc) -> list[Hit]:
        # One scan per pattern (an alternation of them all is slower in Python's re), and
        # only when the text holds one of the pattern's required words.
        text, lower = folded(doc).cased, folded(doc).lower
        return [
            Hit(m.start(), m.end(), p.concept, self.rules.concept_type(p.concept), p.source)
            for p in self.rules.patterns
            if not p.requires or any(word in lower for word in p.requires)
            for m in p.regex.finditer(text)
        ]

    def _entities(self, doc: Doc) -> list[Hit]:
        """A model's entities labelled with a concept id (an NER trained on rifkb's
        concepts, or an entity ruler) are mentions too."""
        return [
            Hit(e.start_char, e.end_char, label, self.rules.concept_type(label), f"model:{e.label_}")
            for e in doc.ents
            if (label := e.label_.lower()) in self.rules.concepts
        ]

    def _rate_lists(self, doc: Doc) -> list[Hit]:
        """'rates of pregnancy, clinical pregnancy, and implantation' and 'implantation,
        clinical pregnancy, or live birth rates': the bare heads of the list count."""
        text = folded(doc).lower
        hits = []
        for m in _RATE_WORD.finditer(text):
            if m.group(1):  # "rate(s) of ...": the list follows, estimates in parentheses
                following = _PARENTHESES.sub(_blank, text[m.end() : m.end() + 240])
                segment = _LIST_END.split(following, maxsplit=1)[0]
                offset = m.end()
            else:  # "... rates": the list precedes
                window = text[max(0, m.start() - 100) : m.start()]
                cut = max((x.end() for x in _LIST_START.finditer(window)), default=0)
                segment, offset = window[cut:], max(0, m.start() - 100) + cut
            for word in re.finditer(r"[a-z]+", _PARENTHESES.sub(_blank, segment)):
                concept = self.rules.rate_heads.get(word.group())
                if concept:
                    start = offset + word.start()
                    hits.append(
                        Hit(
                            start,
                            word.end() + offset,
                            concept,
                            self.rules.concept_type(concept),
                            "rate_heads.tsv",
                        )
                    )
        return hits

    def _resolve_abbreviations(self, doc: Doc, hits: list[Hit]) -> list[Hit]:
        abbreviations = getattr(doc._, "abbreviations", None) or []
        meaning: dict[str, Hit | None] = {}
        for short in abbreviations:
            long_form = short._.long_form
            inside = [h for h in hits if h.start >= long_form.start_char and h.end <= long_form.end_char
                      or h.start <= long_form.start_char < h.end]  # fmt: skip
            best = max(inside, key=lambda h: h.end - h.start, default=None)
            if short.text not in meaning or best is not None:
                meaning[short.text] = best
        if not meaning:
            return hits
        text = folded(doc).text
        kept = []
        for h in hits:  # a name that is a defined short form takes the long form's meaning
            short = text[h.start : h.end]
            if short not in meaning:
                kept.append(h)
            elif (source := meaning[short]) is not None:
                kept.append(Hit(h.start, h.end, source.concept, source.type, "abbreviation", source.unless))
        for short in abbreviations:  # and so does every place scispaCy found it
            source = meaning.get(short.text)
            if source is not None:
                kept.append(Hit(short.start_char, short.end_char, source.concept, source.type,
                                "abbreviation", source.unless))  # fmt: skip
        return _longest(kept)


def _longest(hits: list[Hit]) -> list[Hit]:
    """Of overlapping mentions keep the longest (the earliest when equally long)."""
    chosen: list[Hit] = []
    taken: list[tuple[int, int]] = []
    for hit in sorted(hits, key=lambda h: (h.start - h.end, h.start)):
        if all(hit.end <= s or hit.start >= e for s, e in taken) or any(
            (hit.start, hit.end) == (c.start, c.end) and hit.concept != c.concept for c in chosen
        ):
            chosen.append(hit)
            taken.append((hit.start, hit.end))
    return sorted(chosen, key=lambda h: (h.start, h.end))


@Language.factory("rifkb_concepts_v1", default_config={"rules_dir": None})
def make_concepts(nlp: Language, name: str, rules_dir: str | None) -> ConceptTagger:
    return ConceptTagger(rules_dir)
