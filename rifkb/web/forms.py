"""The fields of an effect estimate, an event rate and a finding as the record page's
forms show them, and the typed values read back from what a reviewer typed.

A form's item fields are posted as `f.NAME` (apart from the form's own `uid`, `target`,
`kind`, `reason`). Concepts may be typed as ids or names (resolved as `rifkb query`
resolves them); "control" names the control arm. A value that cannot be read is a
BadInputError naming the field, shown on the page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rifkb.errors import BadInputError
from rifkb.rules import MEASURES

PREFIX = "f."
DIRECTIONS = ("increase", "decrease", "no_difference")
FINDING_KINDS = ("treatment", "association")
CONTROL = "control"


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # "float" | "int" | "text" | "concept" | "choice" | "bool" | "tristate"
    label: str
    required: bool = False
    choices: tuple[str, ...] = ()


ITEM_FIELDS: dict[str, tuple[Field, ...]] = {
    "effects": (
        Field("measure", "choice", "measure", True, MEASURES),
        Field("value", "float", "value", True),
        Field("ci_low", "float", "CI low"),
        Field("ci_high", "float", "CI high"),
        Field("p", "text", "p"),
        Field("outcome", "concept", "outcome"),
        Field("intervention", "concept", "intervention"),
        Field("comparator", "concept", "comparator"),
        Field("subgroup", "text", "subgroup"),
        Field("adjusted", "bool", "adjusted"),
    ),
    "event_rates": (
        Field("events", "int", "events", True),
        Field("total", "int", "total", True),
        Field("percent", "float", "%"),
        Field("outcome", "concept", "outcome"),
        Field("group", "concept", "arm"),
        Field("subgroup", "text", "subgroup"),
    ),
    "findings": (
        Field("kind", "choice", "kind", True, FINDING_KINDS),
        Field("subject", "concept", "subject", True),
        Field("direction", "choice", "direction", True, DIRECTIONS),
        Field("object", "concept", "object", True),
        Field("significant", "tristate", "significant"),
        Field("hedged", "bool", "hedged"),
    ),
}
KIND_NAMES = {"effects": "effect estimate", "event_rates": "event rate", "findings": "finding"}


def parse_item(kind: str, form: Mapping[str, str], resolve: Callable[[str], str]) -> dict[str, Any]:
    """An item's fields (without evidence) from a posted form; `resolve` turns a concept
    name into its id."""
    if kind not in ITEM_FIELDS:
        raise BadInputError(f"no such kind of item {kind!r}; one of {', '.join(ITEM_FIELDS)}")
    item = {f.name: parse_value(f, form.get(PREFIX + f.name, ""), resolve) for f in ITEM_FIELDS[kind]}
    _check(kind, item)
    return item


def parse_value(field: Field, text: str, resolve: Callable[[str], str]) -> Any:
    text = text.strip()
    if field.kind == "bool":
        return text in ("on", "true", "1", "yes")
    if not text or (field.kind == "tristate" and text == "unknown"):
        if field.required:
            raise BadInputError(f"{field.label}: a value is needed")
        return None
    if field.kind in ("float", "int"):
        return _number(field, text)
    if field.kind in ("choice", "tristate"):
        if text not in (field.choices or ("yes", "no")):
            raise BadInputError(
                f"{field.label} {text!r} is not one of {', '.join(field.choices or ('yes', 'no'))}"
            )
        return text == "yes" if field.kind == "tristate" else text
    if field.kind == "concept":
        return CONTROL if text.lower() == CONTROL else resolve(text)
    return text


def _number(field: Field, text: str) -> float | int:
    try:
        value = int(text) if field.kind == "int" else float(text.replace("−", "-"))
    except ValueError:
        kind = "a whole number" if field.kind == "int" else "a number"
        raise BadInputError(f"{field.label} takes {kind}, not {text!r}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise BadInputError(f"{field.label} takes a finite number, not {text!r}")
    return value


def _check(kind: str, item: dict[str, Any]) -> None:
    if (
        kind == "effects"
        and None not in (item["ci_low"], item["ci_high"])
        and item["ci_low"] > item["ci_high"]
    ):
        raise BadInputError(f"the interval runs backwards: {item['ci_low']:g} to {item['ci_high']:g}")
    if kind == "event_rates" and not 0 <= item["events"] <= item["total"]:
        raise BadInputError(f"events {item['events']} of a total of {item['total']}: not a count")
