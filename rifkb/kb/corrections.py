"""Reviewers' corrections applied on top of the automatic extraction.

The automatic reading is never edited: every output reads `apply_corrections(x, cs)`,
so a re-extraction (a rule change, `extract --force`) keeps every correction. A
correction names what it corrects by field, or by the evidence span of an item, and
keeps `was`, the reading it corrected; where today's reading differs from `was`, the
correction still applies and a `Conflict` says so (as RevMan asks a second person to
check data entered by hand: the reviewer decides, rifkb points).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from rifkb.corpus.reviews import add_corrections, corrections
from rifkb.corpus.store import Store
from rifkb.errors import BadInputError
from rifkb.records import Conflict, Correction, EffectEstimate, EventRate, Evidence, Extraction, Finding
from rifkb.records import RifDefinition as Rif
from rifkb.records.review import FIELDS

ITEM_TYPES: dict[str, type] = {"effects": EffectEstimate, "event_rates": EventRate, "findings": Finding}
RIF = "rif_definition."


def apply_corrections(x: Extraction, corrections: Sequence[Correction]) -> tuple[Extraction, list[Conflict]]:
    """The extraction as the reviewers corrected it, and the corrections whose automatic
    reading has changed since they were made."""
    conflicts: list[Conflict] = []
    for c in active_corrections(corrections):
        x = _apply(x, c, conflicts)
    return x, conflicts


def active_corrections(corrections: Sequence[Correction]) -> list[Correction]:
    """The corrections in force, in the order made: the latest per field or item counts;
    a `revert` withdraws the corrections of its target (or, given an id, that one)."""
    active: dict[str, Correction] = {}
    for c in sorted(corrections, key=lambda c: c.id or 0):
        if c.op == "revert":
            keys = [k for k, a in active.items() if a.id == c.value] if c.value is not None else [c.target]
            for key in keys:
                active.pop(key, None)
        else:
            active[f"add#{c.id}" if c.op == "add" else c.target] = c
    return list(active.values())


def _apply(x: Extraction, c: Correction, conflicts: list[Conflict]) -> Extraction:
    if c.kind is None:
        return _set_field(x, c, conflicts)
    items = [item_json(i) for i in getattr(x, c.kind)]
    items = _add(items, c, conflicts) if c.op == "add" else _change(items, c, conflicts)
    kind = ITEM_TYPES[c.kind]
    return replace(x, **{c.kind: tuple(item_from_json(kind, i) for i in items)})


# --- fields ------------------------------------------------------------------------------


def _set_field(x: Extraction, c: Correction, conflicts: list[Conflict]) -> Extraction:
    now = field_value(x, c.target)
    if now != c.was:
        message = f"{c.target}: corrected from {c.was!r}, the extraction now reads {now!r}"
        conflicts.append(Conflict(c, now, message))
    if not c.target.startswith(RIF):
        return replace(x, **{c.target: c.value})
    rif = x.rif_definition or Rif(None, None, None, None, _evidence(x.doc_id, c))
    rif = replace(rif, **{c.target.removeprefix(RIF): c.value})
    empty = all(getattr(rif, f.removeprefix(RIF)) is None for f in FIELDS if f.startswith(RIF))
    return replace(x, rif_definition=None if empty else rif)


def field_value(x: Extraction, target: str) -> Any:
    """The value of a correctable field in an extraction (None when it has none)."""
    if target.startswith(RIF):
        return getattr(x.rif_definition, target.removeprefix(RIF)) if x.rif_definition else None
    return getattr(x, target)


# --- items -------------------------------------------------------------------------------


def _change(items: list[dict], c: Correction, conflicts: list[Conflict]) -> list[dict]:
    at = _find(items, c)
    now = items[at] if at is not None else None
    if now is None:
        message = f"{c.target}: the reading it corrected is no longer extracted"
        conflicts.append(Conflict(c, None, message + ("; the correction is kept" if c.op == "edit" else "")))
        if c.op == "strike" or c.was is None:
            return items
        return [*items, _corrected({**c.was, **c.value}, c)]
    if _facts(now) != _facts(c.was or {}):
        conflicts.append(Conflict(c, now, f"{c.target}: the extraction now reads it differently"))
    if c.op == "strike":
        return items[:at] + items[at + 1 :]
    return items[:at] + [_corrected({**now, **c.value}, c)] + items[at + 1 :]


def _add(items: list[dict], c: Correction, conflicts: list[Conflict]) -> list[dict]:
    item = _corrected({**c.value, "evidence": c.value.get("evidence") or {}}, c)
    same = next((i for i in items if _facts(i) == _facts(item)), None)
    if same is not None:
        conflicts.append(Conflict(c, same, f"{c.kind}: the extraction now reads the item added, too"))
        return items
    return [*items, item]


def _find(items: list[dict], c: Correction) -> int | None:
    """The item at the correction's span: the one equal to `was` if several share it."""
    span = c.span
    at = [n for n, i in enumerate(items) if (i["evidence"]["start"], i["evidence"]["end"]) == span]
    exact = [n for n in at if _facts(items[n]) == _facts(c.was or {})]
    return (exact or at or [None])[0]


def _corrected(item: dict, c: Correction) -> dict:
    """An item as corrected: its evidence keeps the sentence and span and names the
    correction as its rule."""
    evidence = {"doc_id": c.uid, "start": 0, "end": 0, "sentence": "", **(item.get("evidence") or {})}
    return {**item, "evidence": {**evidence, "rule": f"correction:{c.id}"}}


def _facts(item: dict) -> dict:
    return {k: v for k, v in item.items() if k != "evidence"}


def _evidence(doc_id: str, c: Correction) -> Evidence:
    return Evidence(doc_id, 0, 0, "", f"correction:{c.id}")


def item_json(item: Any) -> dict:
    return dataclasses.asdict(item)


def item_from_json(kind: type, obj: dict) -> Any:
    """An item of `kind` from its JSON; a field it does not have, or a value of the wrong
    type, is a BadInputError naming it."""
    names = {f.name for f in dataclasses.fields(kind)}
    unknown = sorted(set(obj) - names)
    if unknown:
        raise BadInputError(f"{kind.__name__} has no field {', '.join(unknown)}")
    fields = {k: v for k, v in obj.items() if k != "evidence"}
    try:
        return kind(**fields, evidence=Evidence(**obj["evidence"]))
    except TypeError as exc:
        raise BadInputError(f"{kind.__name__}: {exc}") from None


# --- values as reviewers type them ---------------------------------------------------------


def parse_field(name: str, text: str) -> tuple[str, Any]:
    """('sample_size', 150) from 'sample_size', '150' as `rifkb correct --set` takes them.
    A RIF definition's fields may be named without their prefix; 'none' or '' clears."""
    target = name if name in FIELDS else RIF + name
    if target not in FIELDS:
        raise BadInputError(f"cannot correct {name!r}; fields: {', '.join(FIELDS)}")
    if text.strip().lower() in ("", "none", "null"):
        return target, None
    kind = FIELDS[target]
    if kind is int:
        try:
            value = int(text)
        except ValueError:
            raise BadInputError(f"{target} takes a whole number, not {text!r}") from None
        if value < 0:
            raise BadInputError(f"{target} cannot be negative ({value})")
        return target, value
    if target == "risk_of_bias":
        return target, _judgement(text)
    return target, _design(text) if target == "study_design" else text.strip()


def _judgement(text: str) -> str:
    from rifkb.records.review import RISK_OF_BIAS

    value = " ".join(text.strip().lower().replace("_", " ").split())
    if value not in RISK_OF_BIAS:
        raise BadInputError(f"risk_of_bias {text!r} is not one of {', '.join(RISK_OF_BIAS)}")
    return value


def _design(text: str) -> str:
    from rifkb.rules import DESIGNS

    value = text.strip().lower()
    if value not in DESIGNS:
        raise BadInputError(f"study_design {text!r} is not one of {', '.join(DESIGNS)}")
    return value


# --- corrections made against the store -----------------------------------------------------


def correct_fields(store: Store, uid: str, values: Sequence[tuple[str, Any]], reviewer: str,
                   reason: str | None = None) -> list[Correction]:  # fmt: skip
    """Set fields of a record's extraction (`[("sample_size", 150)]`), in one transaction,
    each correction keeping the automatic reading it replaces."""
    x = _automatic(store, uid)
    made = [Correction(x.doc_id, "set", target, value, field_value(x, target), reason, reviewer, "")
            for target, value in values]  # fmt: skip
    return add_corrections(store, made)


def edit_item(store: Store, uid: str, target: str, changes: dict[str, Any], reviewer: str,
              reason: str | None = None) -> Correction:  # fmt: skip
    """Change fields of one item (`effects@412:447`, `{"value": 3.46}`)."""
    x, was = _item(store, uid, target)
    _check_item(target.split("@", 1)[0], {**was, **changes})
    return _store_one(store, Correction(x.doc_id, "edit", target, changes, was, reason, reviewer, ""))


def strike_item(store: Store, uid: str, target: str, reviewer: str, reason: str | None = None) -> Correction:
    """Strike one item the extraction read wrongly."""
    x, was = _item(store, uid, target)
    return _store_one(store, Correction(x.doc_id, "strike", target, None, was, reason, reviewer, ""))


def add_item(store: Store, uid: str, kind: str, item: dict[str, Any], reviewer: str,
             reason: str | None = None) -> Correction:  # fmt: skip
    """Add an item the extraction missed; its evidence, if not given, is the reviewer's."""
    x = _automatic(store, uid)
    if kind not in ITEM_TYPES:
        raise BadInputError(f"cannot add to {kind!r}; add to one of {', '.join(ITEM_TYPES)}")
    evidence = {"doc_id": x.doc_id, "start": 0, "end": 0, "sentence": "", "rule": "reviewer"}
    full = {**item, "evidence": {**evidence, **(item.get("evidence") or {})}}
    _check_item(kind, full)
    return _store_one(store, Correction(x.doc_id, "add", kind, full, None, reason, reviewer, ""))


def revert(store: Store, uid: str, target: str, reviewer: str, correction_id: int | None = None,
           reason: str | None = None) -> Correction:  # fmt: skip
    """Withdraw the corrections of a field or item (or the one correction given by id):
    the automatic reading counts again. Kept in the history like any correction; one that
    would withdraw nothing (a field never corrected, an item no correction names) is refused."""
    x = _automatic(store, uid)
    made = corrections(store, uid)
    if correction_id is not None:  # as the web app offers it: any correction but a revert
        known = any(c.id == correction_id and c.op != "revert" for c in made)
    else:
        known = any(c.target == target for c in active_corrections(made))
    if not known:
        what = f"correction #{correction_id}" if correction_id is not None else f"correction of {target}"
        raise BadInputError(f"{x.doc_id}: has no {what} in force to revert")
    withdrawn = Correction(x.doc_id, "revert", target, correction_id, None, reason, reviewer, "")
    return _store_one(store, withdrawn)


def _store_one(store: Store, correction: Correction) -> Correction:
    return add_corrections(store, [correction])[0]


def _automatic(store: Store, uid: str) -> Extraction:
    x = store.extraction(uid)
    if x is None:
        raise BadInputError(f"{uid}: has no extraction to correct yet; run `rifkb extract` first")
    return x


def _item(store: Store, uid: str, target: str) -> tuple[Extraction, dict]:
    x = _automatic(store, uid)
    kind, _, span = target.partition("@")
    if kind not in ITEM_TYPES or not span:
        kinds = ", ".join(ITEM_TYPES)
        raise BadInputError(f"{target!r}: name an item as KIND@START:END, KIND one of {kinds}")
    corrected, _ = apply_corrections(x, corrections(store, x.doc_id))
    for item in getattr(corrected, kind):
        if f"{item.evidence.start}:{item.evidence.end}" == span:
            return x, item_json(item)
    raise BadInputError(f"{x.doc_id}: no {kind} item at {span}")


def _check_item(kind: str, item: dict) -> None:
    """An item as it would be stored must make an item of its kind."""
    item_from_json(ITEM_TYPES[kind], item)
