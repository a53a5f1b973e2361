"""What reviewers decide and correct, kept apart from what rifkb read.

- `ScreeningDecision`: a record included or excluded (with a reason), by whom and when;
  every decision is kept, the latest one counts (as Covidence and ASReview keep them).
- `Correction`: a reviewer's change to one reading of one record: a field set, an item
  (effect estimate, event rate, finding) edited, added or struck, or a correction taken
  back. It keeps `was`, the automatic reading it corrected, so that when a new
  extraction reads the record differently the correction still applies and the
  difference is listed as a `Conflict` for the reviewer to look at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

UNSCREENED, INCLUDE, EXCLUDE = "unscreened", "include", "exclude"
DECISIONS = (UNSCREENED, INCLUDE, EXCLUDE)

# The fields of an extraction a reviewer can set, by name, with the type of their value.
FIELDS: dict[str, type] = {
    "study_design": str,
    "sample_size": int,
    "n_studies": int,
    "rif_definition.min_failed_transfers": int,
    "rif_definition.min_embryos": int,
    "rif_definition.embryo_quality": str,
    "rif_definition.max_age": int,
    "risk_of_bias": str,
}
# A reviewer's judgement of a study's risk of bias, in RoB 2's words (Sterne et al. 2019;
# ROBINS-I's "low", "moderate", "serious", "critical" map onto them).
RISK_OF_BIAS = ("low", "some concerns", "high")
# The lists of an extraction whose items a reviewer can edit, add or strike.
ITEM_KINDS = ("effects", "event_rates", "findings")
OPERATIONS = ("set", "edit", "add", "strike", "revert")


@dataclass(frozen=True)
class ScreeningDecision:
    uid: str
    decision: str  # "unscreened" | "include" | "exclude"
    reason: str | None
    reviewer: str
    at: str
    id: int | None = None  # its place in the history, once stored


@dataclass(frozen=True)
class Correction:
    """One change by a reviewer. `target` is a field name of FIELDS ("sample_size"), an
    item `kind@start:end` (the item's evidence span: "effects@412:447"), or a kind alone
    for an item added ("effects"). `value` is the new value, the item's changed fields
    (edit), or the whole item (add), as JSON; `was` is the automatic reading corrected."""

    uid: str
    op: str  # "set" | "edit" | "add" | "strike" | "revert"
    target: str
    value: Any
    was: Any
    reason: str | None
    reviewer: str
    at: str
    id: int | None = None

    @property
    def kind(self) -> str | None:
        """The item list the correction is about; None for a field."""
        head = self.target.split("@", 1)[0]
        return head if head in ITEM_KINDS else None

    @property
    def span(self) -> tuple[int, int] | None:
        """(start, end) of the item corrected, when the target names one."""
        if "@" not in self.target:
            return None
        start, _, end = self.target.split("@", 1)[1].partition(":")
        return int(start), int(end)


@dataclass(frozen=True)
class Conflict:
    """A correction over an automatic reading that has changed since it was made."""

    correction: Correction
    now: Any  # what the automatic extraction reads there today (None: nothing)
    message: str
