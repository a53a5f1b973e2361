"""A record's page (`/record/{id}`): its bibliographic data and PubMed/DOI links, its
screening history, its abstract marked, and its extraction as the reviewers corrected
it, as tables with a form for each correction (`/correct/...`): a field set, an item
edited or struck, an item added, a correction reverted; the corrections made, by whom,
when and why; and the conflicts of corrections with a newer automatic reading.

Items are named as the library names them, by kind and evidence span
(`effects@1322:1360`); an item a reviewer added has no span of its own, so it is taken
back by reverting the correction that added it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from rifkb.corpus import reviews
from rifkb.corpus.store import Store
from rifkb.errors import BadInputError
from rifkb.kb import corrections as fixes
from rifkb.kb.query import resolve_concept
from rifkb.kb.rulesets import rules_of_extraction
from rifkb.records import Correction, Extraction, Record
from rifkb.records.bibliographic import document_text
from rifkb.records.review import FIELDS, RISK_OF_BIAS
from rifkb.rules import DESIGNS
from rifkb.web.forms import ITEM_FIELDS, KIND_NAMES, parse_item
from rifkb.web.highlight import Mark, Segment, highlight, placed, segments
from rifkb.web.views import (
    EXCLUSION_REASONS,
    Done,
    Page,
    Site,
    View,
    authors_line,
    concept_labels,
    doi_url,
    pubmed_url,
    record_url,
    rules_or_none,
)

FIELD_LABELS = {
    "study_design": "study design",
    "sample_size": "sample size (participants)",
    "n_studies": "number of studies (reviews)",
    "rif_definition.min_failed_transfers": "RIF: at least … failed transfers",
    "rif_definition.min_embryos": "RIF: at least … embryos",
    "rif_definition.embryo_quality": "RIF: embryo quality",
    "rif_definition.max_age": "RIF: age under",
    "risk_of_bias": "risk of bias (your judgement: low, some concerns, high)",
}


@dataclass(frozen=True)
class FieldRow:
    target: str  # "sample_size"
    label: str
    value: Any  # as corrected
    automatic: Any  # as read
    correction: int | None  # the correction of it in force
    input: str  # "design" | "judgement" | "int" | "text"


@dataclass(frozen=True)
class ItemRow:
    kind: str
    target: str  # "effects@1322:1360"
    item: Any
    values: dict[str, Any]  # the item's fields, for its form
    origin: str  # "automatic" | "edit" | "add"
    correction: int | None  # the correction that edited or added it
    sentence: list[Segment]  # its evidence sentence, the item's span marked


def record_query(request: Request) -> tuple[str]:
    return (request.path_params["uid"],)


def record_page(site: Site, uid: str) -> View:
    with site.open() as (corpus, store):
        record = store.get(uid)
        history = reviews.screening_history(store, record.uid)
        automatic = store.extraction(record.uid)
        made = reviews.corrections(store, record.uid)
        rules = rules_or_none(corpus, store)
    corrected, conflicts = fixes.apply_corrections(automatic, made) if automatic else (None, [])
    in_force = {c.id for c in fixes.active_corrections(made)}
    labels = concept_labels(rules)
    context = {
        "title": record.title or record.uid, "record": record, "uid": record.uid,
        "url": record_url(record.uid),
        "pubmed": pubmed_url(record), "doi": doi_url(record), "authors": authors_line(record, most=40),
        "history": history, "decision": history[-1] if history else None, "reasons": EXCLUSION_REASONS,
        "text": highlight(record, corrected, labels), "extraction": corrected, "labels": labels,
        "fields": field_rows(automatic, corrected, made, in_force) if corrected else [],
        "items": {k: item_rows(record, k, corrected, made) for k in ITEM_FIELDS} if corrected else {},
        "corrections": [(c, c.id in in_force) for c in made], "conflicts": conflicts,
        "item_fields": ITEM_FIELDS, "kind_names": KIND_NAMES, "designs": DESIGNS, "judgements": RISK_OF_BIAS,
        "concepts": sorted(labels.items()), "mentions": _mentions(corrected, labels),
    }  # fmt: skip
    return View("record.html", context)


RECORD = Page("record", record_query, record_page)


def field_rows(automatic: Extraction, corrected: Extraction, made: list[Correction],
               in_force: set[int | None]) -> list[FieldRow]:  # fmt: skip
    set_now = {c.target: c.id for c in made if c.op == "set" and c.id in in_force}
    return [
        FieldRow(target, FIELD_LABELS[target], fixes.field_value(corrected, target),
                 fixes.field_value(automatic, target), set_now.get(target),
                 _input(target, kind))
        for target, kind in FIELDS.items()
    ]  # fmt: skip


def _input(target: str, kind: type) -> str:
    if target in ("study_design", "risk_of_bias"):
        return "design" if target == "study_design" else "judgement"
    return "int" if kind is int else "text"


def item_rows(record: Record, kind: str, corrected: Extraction, made: list[Correction]) -> list[ItemRow]:
    text, _ = document_text(record)
    ops = {c.id: c.op for c in made}
    rows = []
    for item in getattr(corrected, kind):
        e = item.evidence
        by = int(e.rule.removeprefix("correction:")) if e.rule.startswith("correction:") else None
        origin = ops.get(by, "automatic") if by is not None else "automatic"
        rows.append(ItemRow(kind, f"{kind}@{e.start}:{e.end}", item, fixes.item_json(item), origin, by,
                            _sentence(text, Mark(e.start, e.end, "x-here", "", e.sentence))))  # fmt: skip
    return rows


def _sentence(text: str, mark: Mark) -> list[Segment]:
    """The evidence sentence with the item's span marked in it (unmarked where the span
    is not in the text: an item a reviewer added)."""
    if not placed(text, mark):
        return [Segment(0, mark.sentence)]
    at = text.rfind(mark.sentence, 0, mark.start + len(mark.sentence))
    return segments(text, [mark], at, at + len(mark.sentence))


def _mentions(x: Extraction | None, labels: dict[str, str]) -> dict[str, list[str]]:
    """The concepts mentioned, by type, by their labels."""
    return {t: [labels.get(c, c) for c in ids] for t, ids in x.concepts().items()} if x else {}


# --- corrections -------------------------------------------------------------------------


def correct_field(site: Site, fields: dict[str, str]) -> Done:
    target, value = fixes.parse_field(fields.get("field", ""), fields.get("value", ""))
    with site.open() as (_, store):
        uid = store.get(fields.get("uid", "")).uid
        now = _corrected(store, uid)
        if fixes.field_value(now, target) == value:
            return Done(
                f"{FIELD_LABELS[target]} is {_shown(value)} already: nothing changed",
                _at(uid, "fields"),
                "info",
            )
        fixes.correct_fields(store, uid, [(target, value)], site.reviewer, _reason(fields))
    return Done(f"{uid}: {FIELD_LABELS[target]} set to {_shown(value)}", _at(uid, "fields"))


def edit(site: Site, fields: dict[str, str]) -> Done:
    target = fields.get("target", "")
    kind = target.partition("@")[0]
    with site.open() as (corpus, store):
        uid = store.get(fields.get("uid", "")).uid
        item = parse_item(kind, fields, _resolver(corpus, store))
        current = _item(_corrected(store, uid), target)
        changes = {k: v for k, v in item.items() if current.get(k) != v}
        if not changes:
            return Done(f"the {KIND_NAMES[kind]} reads so already: nothing changed", _at(uid, kind), "info")
        fixes.edit_item(store, uid, target, changes, site.reviewer, _reason(fields))
    return Done(f"{uid}: {KIND_NAMES[kind]} corrected ({', '.join(changes)})", _at(uid, kind))


def strike(site: Site, fields: dict[str, str]) -> Done:
    target = fields.get("target", "")
    with site.open() as (_, store):
        uid = store.get(fields.get("uid", "")).uid
        fixes.strike_item(store, uid, target, site.reviewer, _reason(fields))
    kind = target.partition("@")[0]
    return Done(f"{uid}: {KIND_NAMES.get(kind, kind)} struck", _at(uid, kind))


def add(site: Site, fields: dict[str, str]) -> Done:
    kind = fields.get("kind", "")
    with site.open() as (corpus, store):
        uid = store.get(fields.get("uid", "")).uid
        item = parse_item(kind, fields, _resolver(corpus, store))
        sentence = fields.get("sentence", "").strip()
        item |= {"evidence": {"sentence": sentence}} if sentence else {}
        fixes.add_item(store, uid, kind, item, site.reviewer, _reason(fields))
    return Done(f"{uid}: {KIND_NAMES[kind]} added", _at(uid, kind))


def revert(site: Site, fields: dict[str, str]) -> Done:
    number = fields.get("correction", "")
    if not number.isdigit():
        raise BadInputError(f"no correction {number!r} to revert")
    with site.open() as (_, store):
        uid = store.get(fields.get("uid", "")).uid
        made = {c.id: c for c in reviews.corrections(store, uid)}
        if int(number) not in made or made[int(number)].op == "revert":
            raise BadInputError(f"{uid} has no correction #{number} to revert")
        fixes.revert(store, uid, made[int(number)].target, site.reviewer, int(number), _reason(fields))
    return Done(f"{uid}: correction #{number} reverted", _at(uid, "corrections"))


ACTIONS = {"field": correct_field, "edit": edit, "strike": strike, "add": add, "revert": revert}


def record_again(site: Site, fields: dict[str, str]) -> View:
    """The record's page, shown again with the message of a correction refused."""
    return record_page(site, fields.get("uid", ""))


def _corrected(store: Store, uid: str) -> Extraction:
    automatic = store.extraction(uid)
    if automatic is None:
        raise BadInputError(f"{uid}: has no extraction to correct yet; run `rifkb extract` first")
    return fixes.apply_corrections(automatic, reviews.corrections(store, uid))[0]


def _item(x: Extraction, target: str) -> dict[str, Any]:
    kind, _, span = target.partition("@")
    for item in getattr(x, kind, ()) if kind in ITEM_FIELDS else ():
        if f"{item.evidence.start}:{item.evidence.end}" == span:
            return fixes.item_json(item)
    raise BadInputError(f"{x.doc_id}: no item {target!r} to correct")


def _resolver(corpus, store: Store):  # noqa: ANN001, ANN202 - concept name -> id
    rules = rules_of_extraction(corpus, store)
    return lambda name: resolve_concept(name, rules)


def _reason(fields: dict[str, str]) -> str | None:
    return fields.get("reason", "").strip() or None


def _shown(value: Any) -> str:
    return "none" if value is None else str(value)


def _at(uid: str, part: str) -> str:
    return f"{record_url(uid)}#{part}"
