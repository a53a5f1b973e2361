"""Does a record concern the corpus? A prefilter for `rifkb scan` that never drops a record
in which the extraction pipeline would find a concept mention.

rifkb_concepts_v1 (rifkb/nlp/concepts.py) finds mentions four ways, and each has its
counterpart here, built from the same rule set:

1. names of lexicon.tsv, as `PhraseIndex` finds them: every spelling `name_variants`
   generates, in the text folded by `fold` (lower case, or case kept for the names that
   are case-sensitive), as whole words (no letter or digit on either side). Here all
   spellings go into two Aho–Corasick automata (pyahocorasick, one pass over each folded
   text, in C) and each hit's two neighbouring characters are checked;
2. patterns.tsv: a pattern is tried only when the text holds one of its `requires`
   words (a substring of the lower-case folded text); here too, and the record is kept
   when it matches ("heart failure" holds "fail" and names nothing); a pattern without
   `requires` is run as it is;
3. rate_heads.tsv: a bare outcome word counts inside a list governed by "rate(s)", so
   the word anywhere (as a substring) in a text that has "rate" or "rates" keeps it;
4. abbreviations take the concept of a long form that is itself a mention (1 or 2), and
   a model's entities are not used by `rifkb scan`: neither can add a mention to a text
   in which 1–3 found none.

So `concerns(text)` is true for every text in which the pipeline finds a mention (and
for a few more: a hit that a longer name overlaps, a rate word far from the list). The
text is the one the pipeline reads: `document_text` of the record (title, blank line,
abstract sections one per line, "Label: text").
"""

from __future__ import annotations

import re

import ahocorasick

from rifkb.nlp.text import automaton, fold, name_variants
from rifkb.rules import RuleSet

# as rifkb.nlp.concepts reads "rate(s)"; the list it governs is looked for nearby
_RATE_WORD = re.compile(r"\brates?\b")
_WORD_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_WORD_CASED = _WORD_LOWER | frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
# what a key of the lower-case automaton stands for (one key can be all three: flags)
_NAME, _WORD_REQUIRED, _RATE_HEAD = 1, 2, 4


class Prefilter:
    """Built once per rule set (milliseconds); `concerns` is called once per record."""

    def __init__(self, rules: RuleSet):
        self.fingerprint = rules.fingerprint
        lower: dict[str, int] = {}
        cased: set[str] = set()
        for term in rules.terms:
            if term.case_sensitive:
                cased |= name_variants(term.text, keep_case=True)
            else:
                for variant in name_variants(term.text, keep_case=False):
                    lower[variant] = lower.get(variant, 0) | _NAME
        # a required word found, the patterns that require it are run
        self._requiring: dict[str, list[re.Pattern[str]]] = {}
        for pattern in rules.patterns:
            for word in pattern.requires:
                self._requiring.setdefault(word, []).append(pattern.regex)
                lower[word] = lower.get(word, 0) | _WORD_REQUIRED
        self._patterns = tuple(p.regex for p in rules.patterns if not p.requires)
        for word in rules.rate_heads:
            lower[word] = lower.get(word, 0) | _RATE_HEAD
        self._lower = _automaton({k: (len(k), kind) for k, kind in lower.items() if k})
        # Case-sensitive names get an automaton of their own, run over the text as it is
        # cased. Put in the lower-case one (to run the second only where the first hits),
        # the short ones ("CE", "RM", "LIT") matched inside every other word of PubMed's
        # prose: ~13 hits a record, each a turn of the Python loop, 3x the second C pass.
        self._cased = _automaton({k: (len(k), _NAME) for k in cased if k})

    def concerns(self, text: str) -> bool:
        """Whether the pipeline could find a concept mention in this text."""
        folded = fold(text)
        rate_heads = False
        required: set[str] = set()
        for end, (length, kind) in self._lower.iter(folded):
            if kind & _WORD_REQUIRED:
                required.add(folded[end + 1 - length : end + 1])
            if kind & _RATE_HEAD:
                rate_heads = True
            if kind & _NAME and _whole_word(folded, end + 1 - length, end + 1, _WORD_LOWER):
                return True
        if rate_heads and _RATE_WORD.search(folded):
            return True
        cased = fold(text, keep_case=True)
        if any(_whole_word(cased, end + 1 - length, end + 1, _WORD_CASED) for end, (length, _)
               in self._cased.iter(cased)):  # fmt: skip
            return True
        patterns = {p for word in required for p in self._requiring[word]}
        return any(p.search(cased) for p in (*self._patterns, *patterns))


def _automaton(keys: dict[str, tuple[int, int]]) -> ahocorasick.Automaton:
    """An automaton of the keys; one that finds nothing when there are none (pyahocorasick
    refuses to search with an empty one)."""
    return automaton(keys or {"\0never\0": (0, _NAME)})  # fold() leaves no NUL next to "never"


def _whole_word(text: str, start: int, end: int, word: frozenset[str]) -> bool:
    """No letter or digit right before or after text[start:end], as PhraseIndex's
    look-behind and look-ahead ask."""
    return (start == 0 or text[start - 1] not in word) and (end == len(text) or text[end] not in word)
