"""Where a rule file's regular expression can match: the strings every match of it opens
with, found with `str.find`, and the expression tried only there.

The rule files' expressions (patterns.tsv, measures.tsv) are written as their authors
write them, ignoring case and opening with a word boundary (`\\binterleukin\\s*\\(IL\\)`,
`\\b(?:recurrent|repeated)\\s+...`). Python's re skips ahead in C only to the characters
an expression opens with, and neither a boundary first nor ignoring case lets it
(`_get_charset_prefix`, Lib/re/_compiler.py): such an expression is tried at every
character of an abstract, ~40 µs each. Most open with a word or one of a few words, which
`str.find` finds in the lower-case text in well under a microsecond; the expression is
then matched at those places only, which finds what `finditer` finds (it tries every
place from left to right, and a match starts at none of the others).

The openings are read from the expression's parse (`re._parser`, the module `re.compile`
itself parses with, private): whatever the reading does not know (a class of more than a
few characters, a repeat, a flag set inside, a Python whose parser differs) gives no
openings, and the expression is searched as it always was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, NamedTuple

_MOST_CHARACTERS = 10  # a class opening a branch is read as that many one-character openings at most
# openings kept at most: each is a str.find over every abstract ("[0-9][0-9][0-9]" would be 1,000)
_MOST_OPENINGS = 32


class _Opening(NamedTuple):
    text: str
    whole: bool  # the branch it was read from is this text and nothing more


def openings(regex: re.Pattern[str]) -> tuple[str, ...] | None:
    """Strings, none empty, one of which every match of `regex` opens with (in lower case
    when it ignores case); None when the expression does not say."""
    try:
        from re import _constants, _parser  # noqa: PLC0415 - private: only when asked

        tree = _parser.parse(regex.pattern, regex.flags)
        found = _read(list(tree), _constants, bool(regex.flags & re.IGNORECASE))
    except Exception:  # noqa: BLE001 - a parser this code does not know: no openings
        return None
    if found is None or any(not o.text or _common(o.text) for o in found):
        return None
    return tuple(sorted({o.text for o in found}))


def _common(opening: str) -> bool:
    """A single letter ("\\bT[\\s-]*helper" opens with "t"): found so often that trying
    the expression at each costs more than re trying it everywhere."""
    return len(opening) == 1 and opening.isascii() and opening.isalpha()


def _read(items: list, c: Any, folded: bool) -> list[_Opening] | None:
    """The openings of a sequence of parsed items: their literal characters in order, then
    (each of) the openings of a group or branch, for as long as what came before is whole.
    A word boundary or a look around matches no character: it is passed over ("\\bbut",
    "b(?<!\\wb)ut" open with "but")."""
    found = [_Opening("", True)]
    for op, av in items:
        if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
            continue
        if op is c.LITERAL:
            char = _character(av, folded)
            if char is None:
                return _or_none(found)
            found = [_Opening(o.text + char, True) for o in found]
            continue
        inner = _alternatives(op, av, c, folded)
        if inner is None:
            return _or_none(found)
        longer = [_Opening(o.text + i.text, i.whole) for o in found for i in inner]
        if len(longer) > _MOST_OPENINGS:
            return _or_none(found)  # what came before, as the openings' start
        found = longer
        if not all(o.whole for o in found):
            return found
    return found


def _alternatives(op: Any, av: Any, c: Any, folded: bool) -> list[_Opening] | None:
    """The openings of a group, a branch or a small class; None for anything else."""
    if op is c.SUBPATTERN:
        _group, add_flags, del_flags, pattern = av
        if add_flags or del_flags:
            return None  # case switched on or off inside
        return _read(list(pattern), c, folded)
    if op is c.BRANCH:
        found: list[_Opening] = []
        for branch in av[1]:
            read = _read(list(branch), c, folded)
            if read is None or any(not o.text for o in read):
                return None  # a branch that can open with anything
            found += read
        return found
    if op is c.IN:
        chars = _class_characters(av, c, folded)
        return None if chars is None else [_Opening(ch, True) for ch in chars]
    return None


def _class_characters(items: list, c: Any, folded: bool) -> list[str] | None:
    chars: list[str] = []
    for op, av in items:
        if op is c.LITERAL:
            chars.append(chr(av))
        elif op is c.RANGE and av[1] - av[0] < _MOST_CHARACTERS:
            chars += [chr(code) for code in range(av[0], av[1] + 1)]
        else:
            return None  # a category, a negation, a wide range
    read = [_character(ord(ch), folded) for ch in chars]
    if any(ch is None for ch in read) or len(set(read)) > _MOST_CHARACTERS:
        return None
    return sorted(set(read))  # type: ignore[arg-type]


def _character(code: int, folded: bool) -> str | None:
    """The character as the lower-case text holds it, when the expression ignores case;
    None for a letter outside ASCII (its other cases are not all one lower case)."""
    char = chr(code)
    if not folded:
        return char
    if not char.isascii():
        return None if char.lower() != char.upper() else char
    return char.lower()


def _or_none(found: list[_Opening]) -> list[_Opening] | None:
    return None if all(not o.text for o in found) else [o._replace(whole=False) for o in found]


class OpenedPattern:
    """A rule's compiled expression with its openings: `finditer` on the text and its
    lower-case copy (the same length, see `DocView.plain`) finds what
    `regex.finditer(text)` finds."""

    def __init__(self, regex: re.Pattern[str]):
        self.regex = regex
        self.openings = openings(regex)
        self._folded = bool(regex.flags & re.IGNORECASE)

    def finditer(self, text: str, lower: str, plain: bool) -> Iterator[re.Match[str]]:
        """`plain`: the text holds none of the characters that re, ignoring case, takes
        for an ASCII letter other than their lower case (`base.IGNORED_CASE_EXTRAS`)."""
        if self.openings is None or (self._folded and not plain):
            yield from self.regex.finditer(text)
            return
        where = lower if self._folded else text
        resume = 0
        for start in _places(where, self.openings):
            if start < resume:
                continue
            match = self.regex.match(text, start)
            if match is not None:
                yield match
                resume = match.end()  # a match is never empty: it opens with an opening


def _places(text: str, strings: tuple[str, ...]) -> list[int]:
    found: set[int] = set()
    for string in strings:
        at = text.find(string)
        while at != -1:
            found.add(at)
            at = text.find(string, at + 1)
    return sorted(found)
