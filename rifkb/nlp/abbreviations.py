"""rifkb_abbreviations_v1: scispaCy's abbreviation detector (Schwartz & Hearst 2003), with
its results kept in the form spaCy can save.

scispaCy's `make_serializable` mode is used: `doc._.abbreviations` holds one dict per short
form (`short_text`, `short_start`, `short_end`, `long_text`, `long_start`, `long_end`, token
offsets) and `span._.long_form` the long form's text, instead of Span objects, which
`DocBin(store_user_data=True)` cannot save. The wrapper also silences spaCy's W036
warning: on an abstract that defines no abbreviation the detector calls an empty
Matcher, and spaCy warns every time about something that says nothing of the data.

The detector's parenthesis pattern (`(`, any tokens, `)`) matches every opening bracket
with every later closing one, so its cost grows with the square of the text's length;
its own filter then drops every match of more than 8 tokens inside the brackets. The
same pattern bounded to 1–8 tokens finds exactly the matches the filter keeps, in time
linear in the length.
"""

from __future__ import annotations

import warnings

from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc


class Abbreviations:
    def __init__(self, nlp: Language):
        from scispacy.abbreviation import AbbreviationDetector

        self.detector = AbbreviationDetector(nlp, make_serializable=True)
        self.detector.matcher = Matcher(nlp.vocab)
        self.detector.matcher.add("parenthesis", [[{"ORTH": "("}, {"OP": "{1,8}"}, {"ORTH": ")"}]])

    def __call__(self, doc: Doc) -> Doc:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"\[W036\]")
            return self.detector(doc)


@Language.factory("rifkb_abbreviations_v1", assigns=["doc._.abbreviations", "span._.long_form"])
def make_abbreviations(nlp: Language, name: str) -> Abbreviations:
    return Abbreviations(nlp)
