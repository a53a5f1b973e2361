"""Matching phrases in abstract text: the mechanism under concepts, cues and measures.

Why not spaCy's PhraseMatcher: scispaCy's tokenizer keeps compounds such as
`IVIg-treated`, `NK-cells`, `IFN-γ/IL-10` or `OR=.14` as single tokens, so a name
matched token by token is missed inside them. Instead the text is folded to a copy of
the *same length* (lower case, every dash a hyphen, every space a blank), names are
folded the same way, and all names go into one Aho–Corasick automaton, so that finding
every name in an abstract is one linear scan. Offsets in the folded text are offsets in
the original, so every match maps back to a spaCy span.
"""

from __future__ import annotations

import itertools
import os
import re
import threading
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

import ahocorasick

P = TypeVar("P")
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2212\u2012\ufe63\uff0d"
_SPACES = "\n\r\t\u00a0\u2009\u202f\u2002\u2003"
_FOLD_CASE = {ord(c): "-" for c in _DASHES} | {ord(c): " " for c in _SPACES}
# Prefixes written with or without a hyphen (antiphospholipid, anti-phospholipid).
_PREFIXES = ("anti", "non", "intra", "sub", "pre")
# Greek letters and their spelled-out names are interchangeable in names (TNF-α, TNF-alpha).
_GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "κ": "kappa"}
_MAX_SEPARATOR_VARIANTS = 4


# (pairs for `fold`: str.replace of each character present is several times faster
# than str.translate with a table on the texts of abstracts, which hold few of them)
_FOLD_PAIRS = tuple((chr(k), v) for k, v in _FOLD_CASE.items())
_FOLD_ASCII = tuple((c, v) for c, v in _FOLD_PAIRS if c.isascii())


def fold(text: str, keep_case: bool = False) -> str:
    """The text with dashes and spaces unified (and lower-cased), same length."""
    for char, replacement in _FOLD_ASCII if text.isascii() else _FOLD_PAIRS:
        if char in text:
            text = text.replace(char, replacement)
    if keep_case:
        return text
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def name_variants(name: str, keep_case: bool, plural: bool = True) -> set[str]:
    """Spellings of one name: ' ' or '-' between words, a hyphen also dropped
    ('anti-nuclear', 'antinuclear'), Greek letters spelled out, a final plural."""
    bases = {fold(name, keep_case)}
    if not keep_case:
        bases |= {_hyphenate_prefix(b) for b in bases}
    for letter, spelled in _GREEK.items():
        bases |= {b.replace(letter, spelled) for b in bases if letter in b}
    variants: set[str] = set()
    for base in bases:
        parts = re.split(r"([ -])", base)
        seps = parts[1::2]
        if len(seps) > _MAX_SEPARATOR_VARIANTS:
            variants.add(base)
            continue
        choices = [(" ", "-") if s == " " else ("-", " ", "") for s in seps]
        for combo in itertools.product(*choices):
            words = parts[::2]
            variants.add("".join(w + s for w, s in zip(words, (*combo, ""), strict=True)))
    if plural:
        variants |= {_plural(v, keep_case) for v in variants if v[-1:].isalpha()}
    return variants


def _hyphenate_prefix(name: str) -> str:
    """'antiphospholipid antibody' -> 'anti-phospholipid antibody' (the first word only)."""
    for prefix in _PREFIXES:
        rest = name[len(prefix) :]
        if name.startswith(prefix) and len(rest) > 3 and rest[0].isalpha():
            return f"{prefix}-{rest}"
    return name


def _plural(word: str, keep_case: bool) -> str:
    if keep_case:
        return word + "s"
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


def _trie(strings: Iterable[str]) -> dict:
    """The strings as nested dicts by character; "" marks where one ends."""
    trie: dict = {}
    for s in strings:
        node = trie
        for ch in s:
            node = node.setdefault(ch, {})
        node[""] = {}
    return trie


def alternation(strings: Iterable[str]) -> str:
    """A regular expression for any of the strings, the longest first: what
    `"|".join(sorted(map(re.escape, strings), key=len, reverse=True))` matches, shaped as
    a trie (Python's re tries every alternative of a flat one at every position it
    reaches; a trie, one character). Used with re.IGNORECASE, the strings must be in
    lower case (two branches "O..." and "o..." would both match one character)."""
    return _trie_node(_trie(strings))


def phrase_before(phrases: Iterable[str], most: int = 1) -> re.Pattern[str]:
    """One of `phrases`, then at most `most` words, at the end of the text searched: what
    is read in the words before a mention or a cue ("did not significantly improve": a
    negation a word before "improve")."""
    return re.compile(rf"\b(?:{alternation(phrases)})\s+(?:\w+\s+){{0,{most}}}$")


def _trie_node(node: dict) -> str:
    alternatives = [re.escape(ch) + _trie_node(child) for ch, child in sorted(node.items()) if ch]
    if not alternatives:
        return ""
    body = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
    return f"(?:{body})?" if "" in node else body


class PhraseHit(NamedTuple, Generic[P]):  # a named tuple: one is made per name found
    start: int
    end: int
    payloads: tuple[P, ...]


class PhraseIndex(Generic[P]):
    """Names with payloads, found as whole words in folded text."""

    def __init__(self, names: Iterable[tuple[str, P]], keep_case: bool, plural: bool = True,
                 digit_after: bool = False):  # fmt: skip
        """`digit_after`: a name may be glued to a number that follows it ("RR1.8")."""
        self.keep_case = keep_case
        table: dict[str, list[P]] = {}
        for name, payload in names:
            for variant in name_variants(name, keep_case, plural):
                table.setdefault(variant, []).append(payload)
        self._table = {k: tuple(v) for k, v in table.items()}
        word = ASCII_CASED if keep_case else ASCII_LOWER
        self._scan = WholeWords(
            self._table,
            word,
            word - DIGITS if digit_after else word,
            shared="cased" if keep_case else "folded",
        )

    def finditer(self, folded: str) -> Iterator[PhraseHit[P]]:
        table = self._table
        for start, end in self._scan.spans(folded):
            yield PhraseHit(start, end, table[folded[start:end]])

    def __len__(self) -> int:
        return len(self._table)


DIGITS = frozenset("0123456789")
ASCII_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz") | DIGITS
ASCII_CASED = ASCII_LOWER | frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


class WholeWords:
    """Where any of some strings stands as a whole word: from left to right, at each place
    not preceded by a `word` character, the longest string not followed by an `after`
    one; then on after it (what `(?<![word])(?:a|b|...)(?![after])`, longest first, finds
    with re.finditer). An Aho–Corasick automaton (pyahocorasick, C) finds every
    occurrence of every string in one pass; the boundaries and the choice are checked on
    its hits, which in an abstract are few. A trie-shaped regular expression did the same
    at a third of the speed: Python's re tries it at every character.

    `shared`: scanners given the same name share one automaton (see `_SharedScan`): the
    texts they search are the same ones (an abstract's folded text, read by 5 of rifkb's
    components), scanned once for all of them."""

    def __init__(self, strings: Iterable[str], word: frozenset[str], after: frozenset[str],
                 shared: str | None = None):  # fmt: skip
        self._word, self._after = word, after
        self.strings = frozenset(s for s in strings if s)
        self._empty = not self.strings  # pyahocorasick will not search with no words
        self._shared_name = None if self._empty else shared
        self._join()
        if self._shared is None and not self._empty:
            self._automaton = automaton({s: len(s) for s in self.strings})

    def _join(self) -> None:
        self._serial = next(_SERIALS)
        self._shared = None if self._shared_name is None else _shared_scan(self._shared_name)
        if self._shared is not None:
            self._shared.join(self)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("_shared", "_serial")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._join()  # a number of this process's own, and its shared automaton here

    def spans(self, text: str) -> list[tuple[int, int]]:
        if self._empty:
            return []
        hits = self._automaton.iter(text) if self._shared is None else self._shared.hits(self, text)
        word, after, size = self._word, self._after, len(text)
        longest: dict[int, int] = {}  # start -> the furthest end of a whole word there
        for last, length in hits:
            start, end = last + 1 - length, last + 1
            if (start and text[start - 1] in word) or (end < size and text[end] in after):
                continue
            if longest.get(start, 0) < end:
                longest[start] = end
        found, resume = [], 0
        for start in sorted(longest):
            if start >= resume:
                resume = longest[start]
                found.append((start, resume))
        return found


def automaton(values: dict[str, Any]) -> ahocorasick.Automaton:
    """An Aho–Corasick automaton of the strings, each with its value (one at least)."""
    made = ahocorasick.Automaton()
    for string, value in values.items():
        made.add_word(string, value)
    made.make_automaton()
    return made


_SERIALS = itertools.count()  # a scanner's number, never given twice (an id() can be)


class _Built(NamedTuple):
    automaton: ahocorasick.Automaton  # string -> (its length, the slots of the scanners holding it)
    slots: dict[int, int]  # a scanner's serial -> its slot

    def scan(self, text: str) -> list[list[tuple[int, int]]]:
        """The (last character, length) of each string found, slot by slot."""
        found: list[list[tuple[int, int]]] = [[] for _ in self.slots]
        for last, (length, slots) in self.automaton.iter(text):
            for slot in slots:
                found[slot].append((last, length))
        return found


class _SharedScan:
    """One automaton for the strings of every live scanner sharing it, run once per text
    and its hits handed to each scanner that searches that text (the last text is kept:
    the components of a pipeline read an abstract's one folded text in turn). Two passes
    an abstract instead of seven: 250 µs of scanning became ~100. Made again when a
    scanner it does not hold asks (a new pipeline, or one unpickled); scanners no longer
    used drop out then."""

    def __init__(self) -> None:
        self._members: weakref.WeakKeyDictionary[WholeWords, None] = weakref.WeakKeyDictionary()
        self._built: _Built | None = None
        self._last: tuple[_Built, str, list[list[tuple[int, int]]]] | None = None
        self._lock = threading.Lock()  # pipelines built and used in threads (the web app)

    def join(self, scanner: WholeWords) -> None:
        """A scanner shares the automaton from its first search on (the scanners of one
        pipeline, made together, are all in the one made for the first)."""
        with self._lock:
            self._members[scanner] = None

    def hits(self, scanner: WholeWords, text: str) -> list[tuple[int, int]]:
        built = self._built
        if built is None or scanner._serial not in built.slots:
            built = self._build()
        last = self._last  # read once: another thread may replace it
        if last is None or last[0] is not built or last[1] is not text:
            last = self._last = (built, text, built.scan(text))
        return last[2][built.slots[scanner._serial]]

    def _build(self) -> _Built:
        with self._lock:
            members = sorted(self._members.keys(), key=lambda m: m._serial)
            holders: dict[str, list[int]] = {}
            for slot, member in enumerate(members):
                for string in member.strings:
                    holders.setdefault(string, []).append(slot)
            values = {string: (len(string), tuple(slots)) for string, slots in holders.items()}
            slots = {m._serial: slot for slot, m in enumerate(members)}
            built = self._built = _Built(automaton(values), slots)
            return built


_SHARED: dict[str, _SharedScan] = {}


def _shared_scan(name: str) -> _SharedScan:
    return _SHARED.setdefault(name, _SharedScan())  # one step: no two threads make two


def _locks_after_fork() -> None:
    """A lock another thread held when this process was forked stays held in the child."""
    for shared in _SHARED.values():
        shared._lock = threading.Lock()


os.register_at_fork(after_in_child=_locks_after_fork)


def digits_not_after(chars: str) -> str:
    r"""`(?<![chars])\d+` (a number not written right after one of `chars`, a regular
    expression class) led by its first digit, looked back at once read: searched for, it
    is then looked for in C from digit to digit, where an expression opening with a look
    back is tried at every character of the text. Python's re skips to a first character
    only where the expression opens with it or with a set of them
    (`_get_charset_prefix`, Lib/re/_compiler.py); 3 times faster on an abstract."""
    return rf"\d(?<![{chars}]\d)\d*"


def words_at_start(words: Iterable[str], after: str = "") -> str:
    r"""`\b(?:w1|w2|...)`, for words opening with a word character, written as each word's
    first character, a look back at it, and its rest (then `after`): an alternation whose
    branches all open with a character, which re skips to as `digits_not_after` says;
    joined to another such alternation with "|", not wrapped in a group, it keeps that."""
    words = list(words)
    if not all(re.match(r"\w", w) for w in words):
        return rf"\b(?:{'|'.join(map(re.escape, words))}){after}"
    return "|".join(rf"{re.escape(w[0])}(?<!\w{re.escape(w[0])}){re.escape(w[1:])}{after}" for w in words)


def number_at_start(numbers: dict[str, int], not_after: str) -> str | None:
    r"""`(?<![not_after])(?:\d+|number words)` (`not_after` a regular expression class
    holding `\w`), for lower-case text searched without ignoring case (see
    `DocView.plain`), led by a class of the characters such a number opens with and a look
    back at it: re then skips to those in C (see `digits_not_after`), where the look back
    first, and ignoring case, had every character of an abstract tried (100 µs an
    abstract for the number alone, 20 µs so). The words' rest is taken after a look back
    at their first letter. None when a number word is not ASCII."""
    words = sorted({w.lower() for w in numbers})
    if not all(w.isascii() and re.fullmatch(r"[a-z][a-z-]*", w) for w in words):
        return None
    firsts: dict[str, list[str]] = {}
    for w in words:
        firsts.setdefault(w[0], []).append(w[1:])
    lead = "".join(firsts)
    rests = "|".join(f"(?<={c})(?:{alternation(rest)})" for c, rest in firsts.items())
    more = _more_words(alternation(words))
    return rf"[\d{lead}](?<![{not_after}][\d{lead}])(?:(?<=\d)\d*|(?:{rests}){more})"


def number_words(numbers: dict[str, int]) -> str:
    """A regular expression for numbers written in words ("Fifty-one", "one hundred and
    six"), from the words of rules/numbers.tsv."""
    words = alternation({word.lower() for word in numbers})  # used ignoring case
    return rf"\b(?:{words}){_more_words(words)}"


def _more_words(words: str) -> str:
    """After a number's first word, its others ("-one", " hundred and six") and its end."""
    return rf"(?:(?:\s+and\s+|\s+|-)(?:{words}))*\b"


def parse_number(text: str, numbers: dict[str, int]) -> int | None:
    """'143', '1,221', 'Fifty-one', 'One hundred and six' -> int."""
    digits = text.replace(",", "")
    if digits.isdigit():
        return int(digits)
    total, current = 0, 0
    for word in re.split(r"[\s-]+", text.lower()):
        if word == "and":
            continue
        value = numbers.get(word)
        if value is None:
            return None
        if value == 100:
            current = max(current, 1) * 100
        elif value == 1000:
            total, current = total + max(current, 1) * 1000, 0
        else:
            current += value
    return total + current


@dataclass(frozen=True)
class Name:
    """A name as a rule file gives it: its text, whether case counts, what it names (a
    concept, a cue category, a design ...) and its file:line."""

    text: str
    keep_case: bool
    key: object
    source: str


def redundant_names(names: Iterable[Name], plural: bool = True) -> list[tuple[Name, Name]]:
    """(redundant, covering) pairs: a name is redundant when another name of the same key
    already generates its spelling (hyphen or space, a prefix's hyphen, Greek letters, a
    plural; any case when the other name ignores case). Of two names that generate each
    other, the later is redundant."""
    names = list(names)
    spellings = [name_variants(n.text, n.keep_case, plural) for n in names]
    redundant: list[tuple[Name, Name]] = []
    dropped: set[int] = set()
    for i, name in enumerate(names):
        for j, other in enumerate(names):
            if i == j or j in dropped or other.key != name.key or (other.keep_case and not name.keep_case):
                continue
            if fold(name.text, keep_case=other.keep_case) in spellings[j] and (
                j < i or fold(other.text, keep_case=name.keep_case) not in spellings[i]
            ):
                redundant.append((name, other))
                dropped.add(i)
                break
    return redundant
