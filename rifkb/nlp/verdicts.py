"""Whether a finding's words agree with the groups' own numbers (issue 17).

Where an abstract gives both groups' numbers for an outcome (`doc._.rifkb_study_data`:
events/total or mean per group), the direction of a treatment's result follows from them:
a higher rate in the treated arm than in the control arm is an increase. A finding that
says the opposite was most likely read from the wrong side of a comparison ("higher in the
placebo group"), or the numbers were given to the wrong groups; either way a reviewer
should look, so it is flagged in the extraction's warnings, not silently changed.
"""

from __future__ import annotations

from typing import Any

_CONTROL = "control"


def disagreements(findings: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[str]:
    """A warning for each directional treatment finding whose direction the groups'
    numbers contradict."""
    warnings = []
    for f in findings:
        if f["kind"] != "treatment" or f["direction"] not in ("increase", "decrease"):
            continue
        numbers = direction_of(rows, f["object"], f["subject"])
        if numbers is not None and numbers != f["direction"]:
            warnings.append(
                f"finding {f['subject']} {f['object']} {f['direction']}: the groups' numbers say {numbers}"
            )
    return warnings


def direction_of(rows: list[dict[str, Any]], outcome: str, treated: str) -> str | None:
    """The direction the whole-population rows of one outcome give for `treated` against
    control: None unless both groups have a value and the values differ."""
    values = {}
    for r in rows:
        if r["outcome"] == outcome and r.get("subgroup") is None and r["group"] in (treated, _CONTROL):
            value = _value(r)
            if value is not None:
                values.setdefault(r["group"], value)
    if len(values) < 2 or values[treated] == values[_CONTROL]:
        return None
    return "increase" if values[treated] > values[_CONTROL] else "decrease"


def _value(row: dict[str, Any]) -> float | None:
    if row.get("events") is not None and row.get("total"):
        return row["events"] / row["total"]
    return row.get("mean")
