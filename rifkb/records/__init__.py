"""Typed records that stages pass to each other; standard library only.

- bibliographic: `Record`, one item as a source describes it (PubMed XML, MEDLINE, RIS,
  JSON Lines), with its authors, abstract sections, MeSH and corrections;
- extraction: `Extraction`, what the pipeline read in one record, every fact with its
  `Evidence` (document, span, sentence, rule), or the `ExtractionFailure` in its place;
- review: what reviewers decide (`ScreeningDecision`) and correct (`Correction`, and the
  `Conflict` of a correction with a newer reading).
"""

from rifkb.records.bibliographic import (
    RETRACTED_PUBLICATION_TYPE,
    AbstractSection,
    Author,
    CommentCorrection,
    MeshHeading,
    MeshQualifier,
    Record,
    clean_doi,
    normalise_doi,
    normalise_title,
)
from rifkb.records.extraction import (
    CONCEPT_TYPES,
    DIFFERENCE_MEASURES,
    Dose,
    EffectEstimate,
    EventRate,
    Evidence,
    Extraction,
    ExtractionFailure,
    ExtractionText,
    Finding,
    Mention,
    RifDefinition,
    StudyData,
    describe_rif,
    no_effect,
)
from rifkb.records.review import (
    DECISIONS,
    EXCLUDE,
    INCLUDE,
    UNSCREENED,
    Conflict,
    Correction,
    ScreeningDecision,
)

__all__ = [
    "CONCEPT_TYPES", "DIFFERENCE_MEASURES", "RETRACTED_PUBLICATION_TYPE", "AbstractSection",
    "Author", "CommentCorrection", "Dose", "EffectEstimate", "EventRate", "Evidence", "Extraction",
    "ExtractionFailure", "ExtractionText", "Finding", "Mention", "MeshHeading", "MeshQualifier", "Record",
    "RifDefinition",
    "StudyData",
    "clean_doi", "describe_rif", "no_effect", "normalise_doi", "normalise_title",
    "DECISIONS", "EXCLUDE", "INCLUDE", "UNSCREENED", "Conflict", "Correction", "ScreeningDecision",
]  # fmt: skip
