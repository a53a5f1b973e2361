"""rifkb_concepts_v1: concept mentions, from rules/lexicon.tsv and rules/patterns.tsv.

1. names of the lexicon and structured patterns are found in the folded text;
2. bare outcome words inside a list governed by "rate(s)" are read as outcomes
   (rules/rate_heads.tsv);
3. abbreviations the abstract defines (`doc._.abbreviations`, from rifkb_abbreviations_v1
   or scispaCy's abbreviation_detector when one runs before) take the concept of their
   long form: "luteal phase support (LPS)" makes every later "LPS" progesterone, and "CE"
   defined as something other than chronic endometritis stops being chronic
   endometritis; a long form that names no concept but shares a word with the lexicon's
   names of the short form ("intravenous immunglobulin (IVIG)", misspelt) keeps the
   lexicon's reading (Schwartz & Hearst 2003 find the definitions);
4. overlapping names keep the longest ("recurrent miscarriage" is RPL, not
   miscarriage), and a name marked `unless` yields to the more specific concept;
5. a model's entities whose label is a concept id count as mentions.

Mentions go to `doc.spans["rifkb_mentions"]`: label = concept type, `id_` = concept id,
`span._.rifkb_rule` = `lexicon.tsv:12`, `patterns.tsv:3`, `rate_heads.tsv` or
`abbreviation`. A name inside a longer token (scispaCy keeps "IVF/ICSI" or "non-RIF"
whole) is widened to the token, as Spans must align with tokens.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

from spacy.language import Language
from spacy.tokens import Doc, Span

from rifkb.nlp.base import (
    MENTIONS,
    DocView,
    Hit,
    RuleComponent,
    TokenOffsets,
    doc_text,
    factory_config,
    remember_mentions,
    set_extension,
    token_offsets,
)
from rifkb.nlp.openings import OpenedPattern
from rifkb.nlp.text import PhraseIndex, fold
from rifkb.rules import RuleSet, Term

# ("rate" first and then the look-behind for a word's start, "\b" before it: re then
# skips from one "rate" to the next)
_RATE_WORD = re.compile(r"rate(?<!\wrate)s?\b(\s+of\s+)?")
_LIST_END = re.compile(r"[.;:]|\s(?:in|with|between|was|were|when|compared|after|among|for)\s")
_LIST_START = re.compile(r"[.;:()]|\s(?:in|of|the|with|that|were|was|and the|by|on)\s")
_PARENTHESES = re.compile(r"\([^()]*\)")
_WORD = re.compile(r"[a-z]{4,}")


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group())


class ConceptTagger(RuleComponent):
    def compile(self, rules: RuleSet) -> None:
        terms = [(t.text, t) for t in rules.terms]
        self.folded_names = PhraseIndex([(n, t) for n, t in terms if not t.case_sensitive], False)
        self.cased_names = PhraseIndex([(n, t) for n, t in terms if t.case_sensitive], True)
        self.required_words = sorted({word for p in rules.patterns for word in p.requires})
        self.patterns = [(p, OpenedPattern(p.regex)) for p in rules.patterns]  # each tried where it can match
        self.concept_stems: dict[str, set[str]] = {}
        for t in rules.terms:
            self.concept_stems.setdefault(t.concept, set()).update(_stems(fold(t.text)))

    def __call__(self, doc: Doc) -> Doc:
        view = DocView(doc)
        hits = self.find(doc, view) if len(doc) else []
        spans, mentions = _spans(doc, hits)
        doc.spans[MENTIONS] = spans
        remember_mentions(doc, doc.spans[MENTIONS], mentions)
        return doc

    def find(self, doc: Doc, view: DocView) -> list[Hit]:
        self.rules  # noqa: B018 - loads and compiles them on first use
        names = _longest(self._names(view) + self._rate_lists(view) + self._entities(doc))
        # Patterns describe context ("women who had one or more live births"), not a
        # name: they do not swallow the names inside them.
        patterns = self._patterns(view)
        names = self._resolve_abbreviations(doc, view, names, patterns)
        hits = sorted(names + patterns, key=lambda h: (h.start, h.end))
        present = {h.concept for h in hits}
        return [h for h in hits if h.unless not in present]

    def _hit(self, start: int, end: int, term: Term) -> Hit:
        return Hit(start, end, term.concept, self.rules.concept_type(term.concept), term.source, term.unless)

    def _names(self, view: DocView) -> list[Hit]:
        hits = []
        for index, text in ((self.folded_names, view.lower), (self.cased_names, view.cased)):
            for match in index.finditer(text):
                hits.extend(self._hit(match.start, match.end, t) for t in match.payloads)
        return hits

    def _patterns(self, view: DocView) -> list[Hit]:
        # One scan per pattern (an alternation of them all is slower in Python's re), and
        # only when the text holds one of the pattern's required words (each looked for once).
        present = {word for word in self.required_words if word in view.lower}
        hits = [
            Hit(
                *m.span("mention" if "mention" in p.regex.groupindex else 0),
                p.concept,
                self.rules.concept_type(p.concept),
                p.source,
            )
            for p, opened in self.patterns
            if not p.requires or not present.isdisjoint(p.requires)
            for m in opened.finditer(view.cased, view.lower, view.plain)
        ]
        # a mention never runs past the end of its sentence ("intrauterine administered 2
        # days before FET. In the hCG-treated group" names no intrauterine hCG)
        return [h for h in hits if view.sentence_of(h.start) == view.sentence_of(h.end - 1)]

    def _entities(self, doc: Doc) -> list[Hit]:
        """A model's entities labelled with a concept id (an NER trained on rifkb's
        concepts, or an entity ruler) are mentions too."""
        return [
            Hit(e.start_char, e.end_char, label, self.rules.concept_type(label), f"model:{e.label_}")
            for e in doc.ents
            if (label := e.label_.lower()) in self.rules.concepts
        ]

    def _rate_lists(self, view: DocView) -> list[Hit]:
        """'rates of pregnancy, clinical pregnancy, and implantation' and 'implantation,
        clinical pregnancy, or live birth rates': the bare heads of the list count."""
        text = view.lower
        hits = []
        for m in _RATE_WORD.finditer(text):
            if m.group(1):  # "rate(s) of ...": the list follows, estimates in parentheses
                following = _PARENTHESES.sub(_blank, text[m.end() : m.end() + 240])
                segment, offset = _LIST_END.split(following, maxsplit=1)[0], m.end()
            else:  # "... rates": the list precedes, abbreviations in parentheses
                window = _PARENTHESES.sub(_blank, text[max(0, m.start() - 100) : m.start()])
                cut = max((x.end() for x in _LIST_START.finditer(window)), default=0)
                segment, offset = window[cut:], max(0, m.start() - 100) + cut
            for word in re.finditer(r"[a-z]+", _PARENTHESES.sub(_blank, segment)):
                concept = self.rules.rate_heads.get(word.group())
                if concept:
                    start, end = offset + word.start(), offset + word.end()
                    hits.append(Hit(start, end, concept, self.rules.concept_type(concept), "rate_heads.tsv"))
        return hits

    def _resolve_abbreviations(
        self, doc: Doc, view: DocView, hits: list[Hit], context: list[Hit]
    ) -> list[Hit]:
        """Defined short forms take the concept their long form names (a name, or a
        pattern: `context`). A long form that names no concept ("intravenous
        immunglobulin", misspelt) leaves the lexicon's reading of the short form alone
        when it shares a word with one of that concept's names; one that shares none
        ("capillary electrophoresis (CE)") means something else, and the short form
        loses the lexicon's reading."""
        definitions = _abbreviations(doc)
        meaning: dict[str, Hit | None] = {}
        every = sorted(hits + context, key=lambda h: (h.start, h.end))
        starts = [h.start for h in every]
        read_as: dict[str, set[str]] = {}  # a name's text -> the concepts the lexicon reads it as
        for h in hits:
            read_as.setdefault(view.text[h.start : h.end], set()).add(h.concept)
        for short, (long_start, long_end), _ in definitions:
            near = every[bisect_left(starts, long_start - 200) : bisect_left(starts, long_end)]
            named = _named_by(near, long_start, long_end)
            if named is None and self._same_concept(view, read_as.get(short, set()), long_start, long_end):
                continue
            if short not in meaning or named is not None:
                meaning[short] = named
        if not meaning:
            return hits
        kept = []
        for h in hits:  # a name that is a defined short form takes the long form's meaning
            short = view.text[h.start : h.end]
            if short not in meaning:
                kept.append(h)
            elif (source := meaning[short]) is not None:
                kept.append(Hit(h.start, h.end, source.concept, source.type, "abbreviation", source.unless))
        for short, _, (start, end) in definitions:  # and so does every place it was found
            source = meaning.get(short)
            if source is not None:
                kept.append(Hit(start, end, source.concept, source.type, "abbreviation", source.unless))
        kept += _in_compounds(view.text, meaning)
        return _longest(kept)

    def _same_concept(self, view: DocView, read_as: set[str], long_start: int, long_end: int) -> bool:
        """Whether a long form that names no concept shares a word with a name of a
        concept the lexicon reads the short form as (`read_as`)."""
        words = _stems(view.lower[long_start:long_end])
        return any(words & self.concept_stems.get(concept, set()) for concept in read_as)


def _in_compounds(text: str, meaning: dict[str, Hit | None]) -> list[Hit]:
    """A defined short form at the head of a hyphenated compound the tokenizer keeps whole
    ("APA-positive", "CE-negative", "IVIg-treated"), which the detector, reading tokens,
    does not find."""
    found = []
    for short, source in meaning.items():
        if source is None or not short.isalnum():
            continue
        # what `(?<![\w-])SHORT(?=-\w)` finds, looked for with str.find: a short form is
        # rarely written, and the expression was tried at every character of the text
        # (\w is what str.isalnum() or "_" says, in re as in str)
        needle = short + "-"
        at = text.find(needle)
        while at != -1:
            end = at + len(short)
            before = text[at - 1] if at else " "
            after = text[end + 1 : end + 2]
            if not (before.isalnum() or before in "_-") and (after.isalnum() or after == "_"):
                found.append(Hit(at, end, source.concept, source.type, "abbreviation", source.unless))
                at = text.find(needle, end)
            else:
                at = text.find(needle, at + 1)
    return found


def _abbreviations(doc: Doc) -> list[tuple[str, tuple[int, int], tuple[int, int]]]:
    """(short text, long form's char span, short form's char span) of every abbreviation
    the detector found, in scispaCy's serialisable form (dicts) or its default (Spans)."""
    if not Doc.has_extension("abbreviations"):
        return []
    found, tokens, text = [], token_offsets(doc), doc_text(doc)
    for a in doc._.abbreviations or ():
        if isinstance(a, dict):  # offsets from the token arrays: two Spans each cost more
            long_span = _char_span(doc, tokens, a["long_start"], a["long_end"])
            short_span = _char_span(doc, tokens, a["short_start"], a["short_end"])
        else:
            long_span = (a._.long_form.start_char, a._.long_form.end_char)
            short_span = (a.start_char, a.end_char)
        found.append((text[short_span[0] : short_span[1]], long_span, short_span))
    return found


def _char_span(doc: Doc, tokens: TokenOffsets, start: int, end: int) -> tuple[int, int]:
    """`doc[start:end]`'s (start_char, end_char)."""
    if start < end:
        return tokens.starts[start], tokens.ends[end - 1]
    empty = doc[start:end]
    return empty.start_char, empty.end_char


def _named_by(hits: list[Hit], start: int, end: int) -> Hit | None:
    """The concept a long form names: the longest mention inside it (or running into it)
    that covers at least half of it; a name of a part ("killer cell" in "killer cell
    immunoglobulin receptor") does not name the whole."""
    inside = [h for h in hits if start <= h.start and h.end <= end or h.start <= start < h.end]
    best = max(inside, key=lambda h: h.end - h.start, default=None)
    if best is None or 2 * (min(best.end, end) - max(best.start, start)) < end - start:
        return None
    return best


def _stems(folded: str) -> set[str]:
    """Words of four letters or more, cut to five ("immunglobulin" and "immunoglobulin"
    share "immun"): enough to tell a variant spelling of a name from another name."""
    return {w[:5] for w in _WORD.findall(folded)}


def _longest(hits: list[Hit]) -> list[Hit]:
    """Of overlapping mentions keep the longest (the earliest when equally long); one
    name of two concepts stays both. Characters taken are marked as they are, so the
    cost grows with the text, not with the square of the number of mentions."""
    if not hits:
        return []
    taken = bytearray(max(h.end for h in hits))
    chosen: dict[tuple[int, int], list[Hit]] = {}
    for hit in sorted(hits, key=lambda h: (h.start - h.end, h.start)):
        same = chosen.get((hit.start, hit.end))
        if same is not None and all(c.concept != hit.concept for c in same):
            same.append(hit)
        elif same is None and not any(taken[hit.start : hit.end]):
            taken[hit.start : hit.end] = b"\x01" * (hit.end - hit.start)
            chosen[(hit.start, hit.end)] = [hit]
    return sorted((h for group in chosen.values() for h in group), key=lambda h: (h.start, h.end))


def _spans(doc: Doc, hits: list[Hit]) -> tuple[list[Span], list[Hit]]:
    """Mentions as Spans, each (token span, concept) once; and as the components after
    this one read them (`DocView.mentions`: the spans' offsets, concept and type)."""
    spans: dict[tuple[int, int, str], Span] = {}
    mentions: list[Hit] = []
    if not hits:
        return [], mentions
    tokens = token_offsets(doc)
    for h in hits:
        found = _expand(tokens, h.start, h.end)
        if found is None:
            continue
        key = (*found, h.concept)
        if key not in spans:
            span = Span(doc, *found, label=h.type, span_id=h.concept)
            set_extension(doc, "rifkb_rule", h.rule, span.start_char, span.end_char)
            spans[key] = span
            mentions.append(Hit(tokens.starts[found[0]], tokens.ends[found[1] - 1], h.concept, h.type, ""))
    return list(spans.values()), mentions


def _expand(tokens: TokenOffsets, start: int, end: int) -> tuple[int, int] | None:
    """The tokens `doc.char_span(start, end, alignment_mode="expand")` spans, found
    without the Token objects it makes to find them."""
    first, last = _token_at(tokens, start), _token_at(tokens, end - 1)
    if first < 0 or last < 0:
        return None
    if start == tokens.ends[first]:  # in the first token's trailing space
        first += 1
    return first, last + 1


def _token_at(tokens: TokenOffsets, char: int) -> int:
    """spaCy's token_by_char: the token whose text or trailing space holds `char`."""
    i = bisect_right(tokens.starts, char) - 1
    return i if char >= 0 and i >= 0 and char < tokens.reach[i] else -1


@Language.factory(
    "rifkb_concepts_v1", default_config=factory_config(),
    assigns=["doc.spans", "span._.rifkb_rule"],
)  # fmt: skip
def make_concepts(nlp: Language, name: str, rules_dir: str | None) -> ConceptTagger:
    return ConceptTagger(name, rules_dir)
