"""The rule files that hold rifkb's language knowledge (`*.tsv` in this folder, shipped as
package data; see README.md here), their loader and validator (errors name `file:line`)
and the `RuleSet` they make, with its fingerprint."""

from rifkb.rules.loader import (
    CONCEPT_TYPES,
    CONTEXT_ROLES,
    CUE_CATEGORIES,
    DESIGNS,
    FILES,
    MEASURES,
    NOUN_CATEGORIES,
    ROLES,
    RULES_DIR,
    Concept,
    ContextCue,
    DesignRule,
    MeasureName,
    Pattern,
    RuleSet,
    Term,
    fingerprint,
    load_rules,
    write_rules,
)

__all__ = [
    "CONCEPT_TYPES", "CONTEXT_ROLES", "CUE_CATEGORIES", "DESIGNS", "FILES", "MEASURES", "NOUN_CATEGORIES",
    "ROLES", "RULES_DIR", "Concept", "ContextCue", "DesignRule", "MeasureName", "Pattern", "RuleSet", "Term",
    "fingerprint", "load_rules", "write_rules",
]  # fmt: skip
