"""doses.tsv: the words of doses (units and their standard forms, what a dose is per,
rates and concentrations that are no dose, vehicles, frequencies, times and timing), read
and validated for `rifkb.nlp.dose_grammar`; apart from loader.py, which reads the rows."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rifkb.errors import RuleFileError

# doses.tsv: each kind of phrase, and the values its rows may take (None: none allowed;
# "count": a whole number, or none)
DOSE_KINDS = {
    "unit": ("g", "mg", "ug", "mL", "IU"), "per": ("kg", "day", "dose"), "not_dose": None,
    "vehicle": None, "concentration": None, "times": "count", "timing": None, "frequency": None,
}  # fmt: skip


def load_doses(rows: Iterable[tuple[Any, list[str]]]) -> dict[str, dict[str, str]]:
    """doses.tsv's rows (where, cells), validated: kind -> {phrase in lower case: value}."""
    doses: dict[str, dict[str, str]] = {kind: {} for kind in DOSE_KINDS}
    for where, (kind, phrase, *rest) in rows:
        value = rest[0] if rest else ""
        if kind not in DOSE_KINDS:
            raise RuleFileError(f"{where}: kind {kind!r} is not one of {', '.join(DOSE_KINDS)}")
        allowed = DOSE_KINDS[kind]
        if allowed is None and value:
            raise RuleFileError(f"{where}: a {kind} phrase takes no value")
        if allowed == "count" and value and not value.isdigit():
            raise RuleFileError(f"{where}: {value!r} is not a whole number")
        if isinstance(allowed, tuple) and value not in allowed:
            raise RuleFileError(f"{where}: a {kind} must be one of {', '.join(allowed)}, not {value!r}")
        if phrase.lower() in doses[kind]:
            raise RuleFileError(f"{where}: {kind} {phrase!r} written twice")
        doses[kind][phrase.lower()] = value
    return doses
