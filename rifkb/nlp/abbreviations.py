"""rifkb_abbreviations_v1: scispaCy's abbreviation detector (Schwartz & Hearst 2003).

Wrapped for one reason: on an abstract that defines no abbreviation the detector runs
an empty spaCy Matcher, and spaCy warns (W036) every time. The warning says nothing
about the data, so it is silenced here, around this call only.
"""

from __future__ import annotations

import warnings

from spacy.language import Language
from spacy.tokens import Doc


class Abbreviations:
    def __init__(self, nlp: Language):
        from scispacy.abbreviation import AbbreviationDetector

        self.detector = AbbreviationDetector(nlp)

    def __call__(self, doc: Doc) -> Doc:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"\[W036\]")
            return self.detector(doc)


@Language.factory("rifkb_abbreviations_v1")
def make_abbreviations(nlp: Language, name: str) -> Abbreviations:
    return Abbreviations(nlp)
