"""What every rifkb component shares: its rules, saved and loaded with the pipeline; the
checks that name a missing component; the Doc extensions; and a per-call view of a Doc.

Components keep to what spaCy can save. Concept mentions are Spans in
`doc.spans["rifkb_mentions"]` (label = concept type, `id_` = concept id, `span._.rifkb_rule`
= the rule that found it); every other reading is a plain value (numbers, strings, lists
and dicts of them) under `doc._.rifkb_*`, so `DocBin(store_user_data=True)` keeps a
processed Doc whole. Nothing is cached on the Doc or in the module: a component's rules
live on the component, and go to disk with it (`to_disk` writes them under `rules/`).
"""

from __future__ import annotations

import re
import weakref
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import numpy
from spacy.attrs import IDX, LENGTH, SENT_START, SPACY
from spacy.tokens import Doc, Span

from rifkb.errors import PipelineError
from rifkb.nlp.text import fold
from rifkb.rules import RuleSet, load_rules, write_rules

T = TypeVar("T")

MENTIONS = "rifkb_mentions"
# Inputs a caller may set before the pipeline runs (see rifkb.nlp.reading.record_doc),
# then one extension per reading. All default to None: "not set / not run".
DOC_EXTENSIONS = (
    "rifkb_doc_id", "rifkb_title_end", "rifkb_publication_types",
    "rifkb_cues", "rifkb_effects", "rifkb_event_rates", "rifkb_counts", "rifkb_design",
    "rifkb_rif_definition", "rifkb_findings", "rifkb_study_data", "rifkb_arm_sizes", "rifkb_warnings",
    "rifkb_doses",
)  # fmt: skip
SPAN_EXTENSIONS = ("rifkb_rule",)


# spaCy keeps a Doc's and a Span's extension values in `doc.user_data`, under ("._.",
# name, start_char, end_char) (`Underscore._get_key`, spacy/tokens/underscore.py; None
# and None for the Doc's own). `doc._` and `span._` make an Underscore object at every
# access (~2.4 µs; ~100 an abstract), so rifkb's components read and write their own
# there directly; tests/nlp/test_extensions.py checks that `doc._` and `span._` see the
# same. Only for extensions whose default is None and that have no getter (not scispaCy's
# `doc._.abbreviations`, whose default is a list).
def extension(doc: Doc, name: str, start: int | None = None, end: int | None = None) -> Any:
    """`doc._.<name>`, or with a span's character offsets `span._.<name>`."""
    return doc.user_data.get(("._.", name, start, end))


def set_extension(doc: Doc, name: str, value: Any, start: int | None = None, end: int | None = None) -> None:
    """`doc._.<name> = value`, or with a span's character offsets `span._.<name> = value`."""
    doc.user_data[("._.", name, start, end)] = value


# Read-only views of rifkb_counts ({"sample_size": ..., "n_studies": ...}); getters are
# computed, never stored.
DOC_GETTERS = {
    "rifkb_sample_size": lambda doc: counted(doc, "sample_size"),
    "rifkb_n_studies": lambda doc: counted(doc, "n_studies"),
}


def counted(doc: Doc, what: str) -> int | None:
    """`doc._.rifkb_sample_size` ("sample_size") or `doc._.rifkb_n_studies` ("n_studies")."""
    return (extension(doc, "rifkb_counts") or {}).get(what)


def register_extensions() -> None:
    for name in DOC_EXTENSIONS:
        if not Doc.has_extension(name):
            Doc.set_extension(name, default=None)
    for name, getter in DOC_GETTERS.items():
        if not Doc.has_extension(name):
            Doc.set_extension(name, getter=getter)
    for name in SPAN_EXTENSIONS:
        if not Span.has_extension(name):
            Span.set_extension(name, default=None)


# --- what a component needs, and who provides it -------------------------------------------


@dataclass(frozen=True)
class Need:
    what: str
    provider: str
    present: Callable[[Doc], bool]


NEEDS = {
    "sentences": Need("sentence boundaries", "rifkb_sentences_v1 (or a parser, senter or sentencizer)",
                      lambda doc: doc.has_annotation("SENT_START")),
    "mentions": Need("concept mentions", "rifkb_concepts_v1", lambda doc: MENTIONS in doc.spans),
    "cues": Need("cue phrases", "rifkb_cues_v1", lambda doc: extension(doc, "rifkb_cues") is not None),
    "effects": Need("effect estimates", "rifkb_numbers_v1",
                    lambda doc: extension(doc, "rifkb_effects") is not None),
    "counts": Need("participant and study counts", "rifkb_counts_v1",
                   lambda doc: extension(doc, "rifkb_counts") is not None),
    "study_data": Need("the groups' numbers", "rifkb_study_data_v1",
                       lambda doc: extension(doc, "rifkb_study_data") is not None),
}  # fmt: skip


def require(component: str, doc: Doc, needs: Iterable[str]) -> None:
    """Raise PipelineError naming the component to add when the Doc lacks a reading."""
    if not len(doc):
        return
    for key in needs:
        need = NEEDS[key]
        if not need.present(doc):
            raise PipelineError(
                f"{component} needs {need.what}: add {need.provider} before it in the pipeline"
            )


# --- components driven by rule files -------------------------------------------------------


class RuleComponent:
    """A component whose language knowledge is a rule set: loaded from `rules_dir` (the
    packaged rules when None), written with the pipeline by `to_disk` and read back by
    `from_disk`, so a saved pipeline carries the rules it was built with.

    The rules are loaded on first use, not when spaCy constructs the component: loading a
    saved pipeline constructs each component from its config, then `from_disk` hands it
    the saved rules, and the folder named in the config may no longer exist."""

    needs: tuple[str, ...] = ()

    def __init__(self, name: str, rules_dir: str | None):
        register_extensions()
        self.name = name
        self.rules_dir = rules_dir
        self._rules: RuleSet | None = None

    @property
    def rules(self) -> RuleSet:
        if self._rules is None:
            self.use_rules(load_rules(Path(self.rules_dir) if self.rules_dir else None))
        assert self._rules is not None
        return self._rules

    def use_rules(self, rules: RuleSet) -> None:
        self._rules = rules
        self.compile(rules)

    def compile(self, rules: RuleSet) -> None:
        """Build from the rules what each call needs (phrase indexes, patterns)."""

    def __call__(self, doc: Doc) -> Doc:
        require(self.name, doc, self.needs)
        if len(doc):
            self.rules  # noqa: B018 - loads and compiles them on first use
            self.read(doc, DocView(doc))
        return doc

    def read(self, doc: Doc, view: DocView) -> None:
        raise NotImplementedError

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        write_rules(self.rules, Path(path) / "rules")

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> RuleComponent:
        self.use_rules(load_rules(Path(path) / "rules"))
        return self


# --- a Doc as components read it -----------------------------------------------------------


class Hit(NamedTuple):
    """A concept mention: character span, concept id and type, and the rule behind it.
    (A named tuple: components make and compare thousands of them per abstract, and a
    frozen dataclass costs three times as much to make.)"""

    start: int
    end: int
    concept: str
    type: str
    rule: str
    unless: str | None = None


# 'İ' and 'ı' match "i", 'ſ' matches "s" in Python's re ignoring case; no other character
# matches an ASCII letter other than its lower case (tests/nlp/test_speed.py checks every
# code point).
IGNORED_CASE_EXTRAS = "\u0130\u0131\u017f"


class _Memo:
    """What is worked out once per Doc and shared by every component that reads it: the
    text and its two folded copies (lower case with dashes and spaces unified, and the
    same with case kept, each of the text's length); and, each with what it was read
    from, the sentences, mentions and cues. A Doc's text never changes (spaCy joins it
    from its tokens on every access of Doc.text); the rest is read again whenever what
    it came from changed: the sentences when the tokens did (a retokenizer) or when
    boundaries were first set, mentions
    and cues when `doc.spans["rifkb_mentions"]` or `doc._.rifkb_cues` was set again or
    grew; the tokens' offsets when the tokens changed. `derived` holds what a component
    worked out from these for another to reuse, with what it was worked out from (see
    `DocView.derived`)."""

    __slots__ = ("text", "lower", "cased", "plain", "tokens", "sentences", "mentions", "cues", "derived")

    def __init__(self, text: str):
        self.text = text
        self.cased = fold(text, keep_case=True)
        lowered = self.cased.lower()
        self.lower = lowered if len(lowered) == len(text) else fold(text)
        self.plain = not any(c in text for c in IGNORED_CASE_EXTRAS)
        self.tokens: tuple[int, TokenOffsets] | None = None
        self.sentences: tuple[tuple[int, bool], list[tuple[int, int]], list[int]] | None = None
        self.mentions: tuple[object, int, list[Hit], list[int]] | None = None
        self.cues: tuple[object, int, list[tuple[int, int, str]], list[int]] | None = None
        self.derived: dict[str, tuple[tuple, object]] = {}


# Kept per Doc only as long as the Doc lives: never on the Doc (none of it is a reading)
# and never serialised, so nothing of one Doc can reach another.
_MEMOS: weakref.WeakKeyDictionary[Doc, _Memo] = weakref.WeakKeyDictionary()


def _memo(doc: Doc, text: str | None = None) -> _Memo:
    found = _MEMOS.get(doc)
    if found is None:
        found = _MEMOS[doc] = _Memo(doc.text if text is None else text)
    return found


def remember_text(doc: Doc, text: str) -> None:
    """Spare the components joining a new Doc's text from its tokens: `text` is the
    string the tokenizer made the Doc of, which spaCy's tokenizers keep whole."""
    _memo(doc, text)


def doc_text(doc: Doc) -> str:
    """`doc.text`, which spaCy joins from the tokens at every call, read once per Doc."""
    return _memo(doc).text


class TokenOffsets(NamedTuple):
    """Where each token of a Doc starts and ends in its text, and where its trailing
    space ends (`reach`)."""

    starts: list[int]
    ends: list[int]
    reach: list[int]


def token_offsets(doc: Doc) -> TokenOffsets:
    """The Doc's token offsets, read from its arrays once per Doc (and again after a
    retokenizer): Token objects cost more than the work done with them."""
    memo = _memo(doc)
    if memo.tokens is None or memo.tokens[0] != len(doc):
        starts, lengths, spaces = doc.to_array([IDX, LENGTH, SPACY]).astype("int64").T
        ends = starts + lengths  # (in numpy: summing the lists in Python cost twice as much)
        memo.tokens = (len(doc), TokenOffsets(starts.tolist(), ends.tolist(), (ends + spaces).tolist()))
    return memo.tokens[1]


class DocView:
    """What a component reads of a Doc: the text folded for matching, sentence offsets,
    mentions and cues, worked out once per Doc (see `_Memo`) and never stored on it.

    `plain`: a regular expression of lower-case ASCII letters, digits and symbols finds
    in `lower` exactly what it finds in `cased` ignoring case, which Python's re does
    several times more slowly (it folds the case of every character it tries), unless the
    text holds one of the three characters that re, ignoring case, takes for an ASCII
    letter that is not their lower case (`IGNORED_CASE_EXTRAS`)."""

    def __init__(self, doc: Doc):
        self.doc = doc
        self._memo = memo = _memo(doc)
        self.text, self.lower, self.cased, self.plain = memo.text, memo.lower, memo.cased, memo.plain

    @cached_property
    def sentences(self) -> list[tuple[int, int]]:
        """(start, end) character offsets of the sentences, as `doc.sents` gives them."""
        return self._sentences()[0]

    @cached_property
    def _sentence_starts(self) -> list[int]:
        return self._sentences()[1]

    def _sentences(self) -> tuple[list[tuple[int, int]], list[int]]:
        memo, doc = self._memo, self.doc
        key = _sentences_key(doc)
        if memo.sentences is None or memo.sentences[0] != key:
            remember_sentences(doc, _read_sentences(doc, len(self.text)))
        assert memo.sentences is not None
        return memo.sentences[1], memo.sentences[2]

    def sentence_of(self, char: int) -> tuple[int, int]:
        """(start, end) of the sentence holding a character offset."""
        i = bisect_right(self._sentence_starts, char) - 1
        if i >= 0 and char < self.sentences[i][1]:
            return self.sentences[i]
        return 0, len(self.text)

    def sentence_index(self, char: int) -> int:
        i = bisect_right(self._sentence_starts, char) - 1
        return i if i >= 0 and char < self.sentences[i][1] else -1

    @cached_property
    def mentions(self) -> list[Hit]:
        """Concept mentions in text order."""
        return self._mentions()[0]

    @cached_property
    def _mention_starts(self) -> list[int]:
        return self._mentions()[1]

    def _mentions(self) -> tuple[list[Hit], list[int]]:
        memo, group = self._memo, self.doc.spans.get(MENTIONS)
        size = -1 if group is None else len(group)
        if memo.mentions is None or memo.mentions[0] is not group or memo.mentions[1] != size:
            remember_mentions(self.doc, group, _read_mentions(group or ()))
        assert memo.mentions is not None
        return memo.mentions[2], memo.mentions[3]

    @cached_property
    def cues(self) -> list[tuple[int, int, str]]:
        """(start, end, category) of every cue phrase found by rifkb_cues_v1, in order."""
        return self._cues()[0]

    @cached_property
    def _cue_starts(self) -> list[int]:
        return self._cues()[1]

    def _cues(self) -> tuple[list[tuple[int, int, str]], list[int]]:
        memo, found = self._memo, extension(self.doc, "rifkb_cues")
        size = -1 if found is None else len(found)
        if memo.cues is None or memo.cues[0] is not found or memo.cues[1] != size:
            cues = sorted((s, e, c) for s, e, c in found or ())
            memo.cues = (found, size, cues, [c[0] for c in cues])
        return memo.cues[2], memo.cues[3]

    def cues_in(self, start: int, end: int) -> list[tuple[int, int, str]]:
        """Cues that start within [start, end), found by bisection (a long text has many
        sentences and many cues: a scan of all cues per sentence would be quadratic)."""
        return _between(self.cues, self._cue_starts, start, end)

    def mentions_in(self, start: int, end: int) -> list[Hit]:
        """Mentions that start within [start, end)."""
        return _between(self.mentions, self._mention_starts, start, end)

    def derived(self, name: str, inputs: tuple, make: Callable[[], T]) -> T:
        """What `make()` works out from this Doc's sentences, mentions and cues and from
        `inputs` (values compared by equality, such as rules), made once per Doc and shared
        between components: made again when the sentences, mentions or cues it was made
        from were read again (they changed) or the inputs differ."""
        key = (self.sentences, self.mentions, self.cues)
        found = self._memo.derived.get(name)
        if found is not None:
            (sentences, mentions, cues, *given), value = found
            if sentences is key[0] and mentions is key[1] and cues is key[2] and tuple(given) == inputs:
                return value  # type: ignore[return-value]
        value = make()
        self._memo.derived[name] = ((*key, *inputs), value)
        return value

    @cached_property
    def title_end(self) -> int:
        return extension(self.doc, "rifkb_title_end") or 0


def _sentences_key(doc: Doc) -> tuple[int, bool]:
    return (len(doc), doc.has_annotation("SENT_START"))


def remember_sentences(doc: Doc, sentences: list[tuple[int, int]]) -> None:
    """Keep the (start, end) character offsets of the sentences the Doc's boundaries make
    (the component that sets them knows them)."""
    _memo(doc).sentences = (_sentences_key(doc), sentences, [s for s, _ in sentences])


def remember_mentions(doc: Doc, group: object, hits: list[Hit]) -> None:
    """Keep the mentions of `doc.spans["rifkb_mentions"]` (the SpanGroup `group`) as the
    Hits `hits` read from it, sorted (the component that sets them knows them)."""
    ordered = sorted(hits, key=lambda h: (h.start, h.end))
    size = -1 if group is None else len(group)  # type: ignore[arg-type]
    _memo(doc).mentions = (group, size, ordered, [h.start for h in ordered])


class EitherCase(NamedTuple):
    """An expression ignoring case, for the text as written, and the same expression not
    ignoring case, for the lower-case text (None when it cannot be: a word not ASCII),
    which re searches several times faster (see `DocView.plain`): both find the same."""

    cased: re.Pattern[str]
    lower: re.Pattern[str] | None

    def finditer(self, view: DocView) -> Iterator[re.Match[str]]:
        if view.plain and self.lower is not None:
            return self.lower.finditer(view.lower)
        return self.cased.finditer(view.cased)


def _read_mentions(spans: Iterable[Span]) -> list[Hit]:
    # (a span's rule is evidence, read where evidence is written: `s._` is slow)
    return [Hit(s.start_char, s.end_char, s.id_, s.label_, "") for s in spans]


def _read_sentences(doc: Doc, length: int) -> list[tuple[int, int]]:
    """Sentence offsets read from the Doc's arrays: `doc.sents` walks every token in
    Python, and each component needs the sentences of every Doc."""
    if not doc.has_annotation("SENT_START"):
        return [(0, length)]
    first = numpy.flatnonzero(doc.to_array(SENT_START) == 1).tolist()
    if not first or first[0] != 0:
        first.insert(0, 0)
    last = [*(i - 1 for i in first[1:]), len(doc) - 1]
    tokens = token_offsets(doc)
    return [(tokens.starts[a], tokens.ends[b]) for a, b in zip(first, last, strict=True)]


def _between(items: list, starts: list[int], start: int, end: int) -> list:
    return items[bisect_left(starts, start) : bisect_left(starts, end)]


def factory_config(**extra: Any) -> dict[str, Any]:
    """The default config of a rule-driven factory: the packaged rules."""
    return {"rules_dir": None, **extra}
