"""DocView: what every component reads of a Doc."""

from __future__ import annotations

import re
import string
import sys

import pytest
import spacy

from rifkb.nlp.base import IGNORED_CASE_EXTRAS, DocView


def test_the_characters_re_takes_for_another_ascii_letter_ignoring_case_are_the_listed_ones():
    # DocView.plain lets a lower-cased pattern run on the lower-cased text instead of
    # ignoring case; that is exact unless the text holds a character that re, ignoring
    # case, matches with an ASCII letter that is not its lower case
    letter = re.compile("[a-z]", re.IGNORECASE)
    odd = {
        chr(code)
        for code in range(sys.maxunicode + 1)
        if not 0xD800 <= code <= 0xDFFF
        and letter.fullmatch(chr(code))
        and chr(code).lower() not in string.ascii_lowercase
    }
    assert odd == set(IGNORED_CASE_EXTRAS)


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("Sixty-two women with RIF", True),
        ("İstanbul: sixty women", False),
        ("ſeven women", False),
        ("Kelvin \u212a: two women", True),
    ],
)
def test_a_text_is_plain_unless_it_holds_one_of_them(text, plain):
    assert DocView(spacy.blank("en")(text)).plain is plain


@pytest.mark.parametrize("odd", ["", " (İzmir)", " (ſ)"])
def test_numbers_in_words_are_read_the_same_either_way(nlp, odd):
    doc = nlp(f"Sixty-two women with RIF and One hundred and six controls were included{odd}.")
    assert doc._.rifkb_counts["sample_size"] == 168
