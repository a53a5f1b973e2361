"""Rows of the meta-analysis form (RevMan's "data and analyses"), from a reported number,
its outcome and its group: events and total as written; events derived from a
percentage and the group's size (round(% x n / 100), Cochrane Handbook 6.4), saying when
the count does not give back the percentage printed; SD from an SE and the group's size
(SD = SE x sqrt(n), Cochrane Handbook 6.5.2.2); the denominators that are not women.
"""

from __future__ import annotations

import math
import re
from typing import Any

from rifkb.nlp.arms import Arm
from rifkb.nlp.reported import Value

RULE = "rifkb_study_data_v1"
_PER_UNIT = re.compile(r"\bper\s+(?:et\s+)?(embryos?|cycles?|et|transfer)\b|\bin\s+(?:\w+\s+)?(cycles)\b")


def denominator(sentence: str) -> str | None:
    """What a sentence's rates count other than women: "per embryo transferred", "per ET
    cycle", "in treated cycles" (a unit-of-analysis problem for a meta-analysis of women,
    Cochrane Handbook 6.2)."""
    found = _PER_UNIT.search(sentence)
    if not found:
        return None
    unit = found.group(1) or found.group(2)
    return "embryos" if unit.startswith("embryo") else "transfers" if unit in ("et", "transfer") else "cycles"


def sized_as(value: Value, arms: list[Arm]) -> str | None:
    """A count whose sentence names no group, over a total that is one arm's size and no
    other's ("The study group comprised 52 patients ... 32.7% (17/52)")."""
    if value.total is None:
        return None
    matching = {a.group for a in arms if a.size == value.total and a.subgroup is None}
    return matching.pop() if len(matching) == 1 else None


def form_row(
    value: Value, outcome: str, group: str, subgroup: str | None, arms: list[Arm]
) -> dict[str, Any] | None:
    size = _size(arms, group, subgroup)
    base = {"outcome": outcome, "group": group, "subgroup": subgroup, "start": value.start, "end": value.end,
            "rule": RULE, "events": None, "total": None, "mean": None, "sd": None, "derived": False,
            "percent": value.percent, "note": None, "denominator": None}  # fmt: skip
    if value.mean is not None:
        sd, derived, note = value.sd, False, None
        if value.se:
            if size is None:
                return None
            sd, derived = round(value.sd * math.sqrt(size), 4), True  # Cochrane Handbook 6.5.2.2
            note = f"SD = SE {value.sd} x sqrt({size})"
        return base | {"mean": value.mean, "sd": sd, "total": size, "derived": derived, "note": note}
    if value.events is not None:
        total = value.total if value.total is not None else size
        if total is None:
            return None
        return base | {"events": value.events, "total": total}
    if size is None or value.percent is None:
        return None
    events = math.floor(value.percent * size / 100 + 0.5)
    return base | {
        "events": events,
        "total": size,
        "derived": True,
        "note": derivation(value.percent, size, events),
    }


def derivation(percent: float, total: int, events: int) -> str:
    """How the count was derived, and whether it gives back the percentage as printed."""
    text = f"events = round({percent:g}% x {total} / 100) = {events}"
    decimals = len(f"{percent:g}".partition(".")[2])
    back = round(100 * events / total, decimals)
    if abs(back - percent) > 0.5 * 10**-decimals + 1e-9:
        text += f"; {events}/{total} is {back:.{decimals}f}%, not the {percent:g}% printed"
    return text


def _size(arms: list[Arm], group: str, subgroup: str | None) -> int | None:
    own = [a.size for a in arms if a.group == group and a.subgroup == subgroup]
    if own:
        return own[0]
    whole = [a.size for a in arms if a.group == group and a.subgroup is None]
    return whole[0] if whole and subgroup is None else None


def told_apart(row: dict[str, Any]) -> dict[str, Any]:
    """An arm told apart from another of its id ("control:placebo arm"): the id's row, with
    that subgroup."""
    group, _, subgroup = row["group"].partition(":")
    return row | {"group": group, "subgroup": row["subgroup"] or subgroup} if subgroup else row


def one_per_cell(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per outcome x group x subgroup: the first written; a second whole-group
    count of another total is a subset of the group."""
    kept: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        key = (row["outcome"], row["group"], row["subgroup"], row["mean"] is None)
        if (
            key in kept
            and row["subgroup"] is None
            and row["total"] != kept[key]["total"]
            and row["events"] is not None
        ):
            row = row | {"subgroup": "part of the group"}
            key = (row["outcome"], row["group"], row["subgroup"], row["mean"] is None)
        kept.setdefault(key, row)
    return list(kept.values())
