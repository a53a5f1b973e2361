"""Review tables (pandas), written as CSV, one XLSX workbook and Markdown.

- evidence: one row per study (first author and year, PMID/DOI, design, N, RIF
  definition, interventions, outcomes, key effect estimates, direction, retraction);
- findings: one row per finding and per effect estimate, with its evidence sentence;
- rif_definitions: the criteria each study used, to show their heterogeneity;
- study_data: each study's meta-analysis form, one row per outcome × group (× subgroup):
  events/total or mean/SD/n, whether derived from a percentage, its note and sentence;
- mechanism_outcome: a mechanism x outcome matrix of the evidence (papers, and findings
  by direction);
- before the next trial (`plan`): summary_of_findings (GRADE, one row per treatment
  analysis, with its footnotes), sequential (the trial sequential analyses), next_trial
  (women per arm by RIF-severity stratum) and cumulative (the cumulative meta-analyses);
- IVIg stewardship: stewardship (per analysis and stratum, NNT, grams and cost per extra
  live birth, the certainty behind them) and doses (each regimen read, grams per patient
  at the corpus's body weight).

Rows are sorted, so the same corpus gives the same files; each file is written to a
temporary name and moved into place.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from rifkb.errors import BadInputError
from rifkb.files import output_folder, record_outputs, spreadsheet_safe, write_atomic, xml_safe
from rifkb.kb.audit import audit
from rifkb.kb.graph import format_effect
from rifkb.kb.papers import Paper
from rifkb.records import EffectEstimate, Extraction, describe_rif
from rifkb.review.certainty import SOF_COLUMNS
from rifkb.review.labels import study_label
from rifkb.review.plan import (
    CUMULATIVE_COLUMNS,
    META_REGRESSION_COLUMNS,
    NEXT_TRIAL_COLUMNS,
    SEQUENTIAL_COLUMNS,
    STEWARDSHIP_COLUMNS,
    Plan,
    plan_tables,
)
from rifkb.review.regimens import BODY_WEIGHT_KG
from rifkb.review.stewardship import DOSE_COLUMNS, dose_rows
from rifkb.review.synthesis import SYNTHESIS_COLUMNS, Analysis, synthesis_rows

ARROWS = {"increase": "↑", "decrease": "↓", "no_difference": "="}


def rif_text(paper: Paper) -> str:
    rif = paper.extraction.rif_definition
    if rif is None:
        return ""
    return describe_rif(rif.min_failed_transfers, rif.min_embryos, rif.embryo_quality, rif.max_age)


def evidence_table(papers: list[Paper]) -> pd.DataFrame:
    rows = []
    for p in papers:
        x, concepts = p.extraction, p.extraction.concepts()
        rows.append({
            "study": study_label(p), "pmid": p.record.pmid, "doi": p.record.doi,
            "title": p.record.title, "year": p.record.year, "design": x.study_design,
            "n": x.sample_size, "n_studies": x.n_studies, "rif_definition": rif_text(p),
            "interventions": ", ".join(concepts["intervention"]),
            "mechanisms": ", ".join(concepts["mechanism"]),
            "outcomes": ", ".join(concepts["outcome"]),
            "key_estimates": "; ".join(_estimate(e) for e in x.effects[:4]),
            "event_rates_by_arm": _arms(x),
            "audit_flags": "; ".join(f.message for f in audit(x)),
            "direction": "; ".join(f"{f.subject}→{f.object} {ARROWS[f.direction]}"
                                   + ("*" if f.significant else "") for f in x.findings),
            "retracted": p.record.retracted,
            "screening": p.screening,  # "include", or "unscreened" when those count as included
            "corrected": p.corrected,
        })  # fmt: skip
    frame = pd.DataFrame(rows, columns=_columns(rows, "study"))
    # an empty corpus has no year column to sort by (refresh of a corpus with no records)
    return frame.sort_values(["year", "study"], na_position="last") if rows else frame


def _arms(x: Extraction) -> str:
    """'live birth: ivig 32/49, control 32/94': the study's counts by arm."""
    parts = []
    for outcome in dict.fromkeys(r.outcome for r in x.event_rates if r.group):
        arms = [f"{r.group} {r.events}/{r.total}" + (f" ({r.subgroup})" if r.subgroup else "")
                for r in x.event_rates if r.outcome == outcome and r.group]  # fmt: skip
        parts.append(f"{outcome or 'outcome not named'}: {', '.join(arms)}")
    return "; ".join(parts)


def audit_table(papers: list[Paper]) -> pd.DataFrame:
    """One row per inconsistency the audit found (`rifkb.kb.audit`)."""
    rows = [
        {"study": study_label(p), "doc_id": p.extraction.doc_id, "pmid": p.record.pmid, "kind": f.kind,
         "message": f.message, "sentence": f.sentence}
        for p in papers for f in audit(p.extraction)
    ]  # fmt: skip
    columns = ["study", "doc_id", "pmid", "kind", "message", "sentence"]
    return pd.DataFrame(rows, columns=columns).sort_values(["doc_id", "kind"])


def _estimate(effect: object) -> str:
    return f"{format_effect(effect)} {effect.outcome or ''}".strip()  # type: ignore[attr-defined]


def findings_table(papers: list[Paper]) -> pd.DataFrame:
    rows = []
    for p in papers:
        base = {"study": study_label(p), "doc_id": p.extraction.doc_id, "pmid": p.record.pmid,
                "design": p.extraction.study_design, "retracted": p.record.retracted}  # fmt: skip
        for f in p.extraction.findings:
            rows.append({**base, "row": "finding", "kind": f.kind, "subject": f.subject, "object": f.object,
                         "direction": f.direction, "significant": f.significant, "hedged": f.hedged,
                         "sentence": f.evidence.sentence})  # fmt: skip
        for e in p.extraction.effects:
            rows.append({**base, "row": "estimate", "subject": estimate_subject(p.extraction, e),
                         "object": e.outcome, "comparator": e.comparator, "subgroup": e.subgroup,
                         "measure": e.measure, "value": e.value, "ci_low": e.ci_low, "ci_high": e.ci_high,
                         "p": e.p, "adjusted": e.adjusted, "sentence": e.evidence.sentence})  # fmt: skip
    columns = ["study", "doc_id", "pmid", "design", "row", "kind", "subject", "object", "comparator",
               "subgroup", "direction", "significant", "hedged", "measure", "value", "ci_low", "ci_high", "p",
               "adjusted", "retracted", "sentence"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns).sort_values(["doc_id", "row", "object"], na_position="last")


def estimate_subject(x: Extraction, e: EffectEstimate) -> str | None:
    """The intervention (or exposure) an estimate is about: the one its sentence names, else
    the paper's only intervention, else none (a paper of several interventions)."""
    only = x.concepts()["intervention"]
    return e.intervention or (only[0] if len(only) == 1 else None)


STUDY_DATA_COLUMNS = [
    "study", "doc_id", "pmid", "design", "n", "outcome", "group", "subgroup", "events", "total", "mean", "sd",
    "derived", "percent", "denominator", "note", "sentence",
]  # fmt: skip


def study_data_table(papers: list[Paper]) -> pd.DataFrame:
    """Each study's meta-analysis form (`Extraction.study_data`), one row per outcome × group."""
    rows = [
        {"study": study_label(p), "doc_id": p.extraction.doc_id, "pmid": p.record.pmid,
         "design": p.extraction.study_design, "n": p.extraction.sample_size, "outcome": r.outcome,
         "group": r.group, "subgroup": r.subgroup, "events": r.events, "total": r.total, "mean": r.mean,
         "sd": r.sd, "derived": r.derived, "percent": r.percent, "denominator": r.denominator,
         "note": r.note, "sentence": r.evidence.sentence}
        for p in papers for r in p.extraction.study_data
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=STUDY_DATA_COLUMNS)
    return frame.sort_values(["doc_id", "outcome", "subgroup", "group"], na_position="first", kind="stable")


STUDY_DATA_FORMATS = ("metafor", "csv")


def study_data_text(papers: list[Paper], fmt: str) -> str:
    """Every primary study's form as CSV: `csv` one row per outcome × group (the
    study_data table), `metafor` one row per comparison with the columns of
    `metafor::escalc` (ai bi ci di n1i n2i; m1i sd1i n1i m2i sd2i n2i).

    In R: d <- read.csv("study_data.csv"); escalc("OR", ai = ai, bi = bi, ci = ci, di = di, data = d)
    """
    from rifkb.review.study_data import METAFOR_COLUMNS, comparisons, metafor_row

    if fmt not in STUDY_DATA_FORMATS:
        raise BadInputError(f"--format {fmt!r}: choose one of {', '.join(STUDY_DATA_FORMATS)}")
    if fmt == "csv":
        frame = study_data_table(papers).astype({"events": "Int64", "total": "Int64", "n": "Int64"})
        return _spreadsheet_cells(frame).to_csv(index=False, lineterminator="\n")
    rows = [metafor_row(study_label(p), p.extraction, c) for p in papers for c in comparisons(p.extraction)]
    frame = pd.DataFrame(rows, columns=METAFOR_COLUMNS)
    counts = ["ai", "bi", "ci", "di", "n1i", "n2i"]
    frame = frame.astype(dict.fromkeys(counts, "Int64")).sort_values(["doc_id", "outcome", "intervention"])
    return _spreadsheet_cells(frame).to_csv(index=False, lineterminator="\n")


def rif_definitions_table(papers: list[Paper]) -> pd.DataFrame:
    rows = [
        {"study": study_label(p), "doc_id": p.extraction.doc_id, "year": p.record.year,
         "design": p.extraction.study_design, "min_failed_transfers": rif.min_failed_transfers,
         "min_embryos": rif.min_embryos, "embryo_quality": rif.embryo_quality,
         "max_age": rif.max_age, "sentence": rif.evidence.sentence}
        for p in papers if (rif := p.extraction.rif_definition) is not None
    ]  # fmt: skip
    columns = ["study", "doc_id", "year", "design", "min_failed_transfers", "min_embryos",
               "embryo_quality", "max_age", "sentence"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns).sort_values(["year", "study"], na_position="last")


def mechanism_outcome_matrix(papers: list[Paper]) -> pd.DataFrame:
    """Cells: 'papers (findings ↑ ↓ =)' for association findings of a mechanism."""
    cells: dict[tuple[str, str], dict[str, set | int]] = {}
    for p in papers:
        for f in p.extraction.findings:
            if f.kind == "association":
                cell = cells.setdefault((f.subject, f.object), {"papers": set(), **dict.fromkeys(ARROWS, 0)})
                cell["papers"].add(p.extraction.doc_id)
                cell[f.direction] += 1
    if not cells:
        return pd.DataFrame()
    mechanisms = sorted({m for m, _ in cells})
    objects = sorted({o for _, o in cells})
    frame = pd.DataFrame("", index=pd.Index(mechanisms, name="mechanism"), columns=objects)
    for (m, o), c in cells.items():
        frame.loc[m, o] = f"{len(c['papers'])} ({c['increase']}↑ {c['decrease']}↓ {c['no_difference']}=)"
    return frame


INTEGER_COLUMNS = ("year", "n", "n_studies", "min_failed_transfers", "min_embryos", "max_age", "k", "events",
                   "total")  # fmt: skip
PLAN_INTEGER_COLUMNS = (
    "studies", "participants", "required information size", "more needed", "per arm, 80% power",
    "per arm, 90% power", "per arm, 80% power (arcsine)", "times",
)  # fmt: skip
PLAN_TABLES = ("summary_of_findings", "sequential", "next_trial", "cumulative", "stewardship", "doses",
               "meta_regression")  # fmt: skip


def review_tables(papers: list[Paper], analyses: Sequence[Analysis] = (), plans: Sequence[Plan] = (),
                  labels: Mapping[str, str] | None = None,
                  body_weight_kg: float = BODY_WEIGHT_KG) -> dict[str, pd.DataFrame]:  # fmt: skip
    planned = plan_tables(plans, labels)
    tables = {
        "evidence": evidence_table(papers),
        "findings": findings_table(papers),
        "rif_definitions": rif_definitions_table(papers),
        "study_data": study_data_table(papers),
        "mechanism_outcome": mechanism_outcome_matrix(papers),
        "synthesis": pd.DataFrame(synthesis_rows(analyses), columns=SYNTHESIS_COLUMNS),
        "audit": audit_table(papers),
        "summary_of_findings": pd.DataFrame(planned["summary_of_findings"], columns=SOF_COLUMNS),
        "sequential": pd.DataFrame(planned["sequential"], columns=SEQUENTIAL_COLUMNS),
        "next_trial": pd.DataFrame(planned["next_trial"], columns=NEXT_TRIAL_COLUMNS),
        "cumulative": pd.DataFrame(planned["cumulative"], columns=CUMULATIVE_COLUMNS),
        "stewardship": pd.DataFrame(planned["stewardship"], columns=STEWARDSHIP_COLUMNS),
        "doses": pd.DataFrame(dose_rows(papers, body_weight_kg=body_weight_kg), columns=list(DOSE_COLUMNS)),
        "meta_regression": pd.DataFrame(planned["meta_regression"], columns=META_REGRESSION_COLUMNS),
    }
    # Counts stay whole numbers where some are missing (pandas would make them 143.0).
    return {name: frame.astype(_integers(name, frame)) for name, frame in tables.items()}


def _integers(name: str, frame: pd.DataFrame) -> dict[str, str]:
    whole = INTEGER_COLUMNS + (PLAN_INTEGER_COLUMNS if name in PLAN_TABLES else ())
    return {c: "Int64" for c in whole if c in frame.columns}


def write_tables(tables: dict[str, pd.DataFrame], directory: Path) -> list[Path]:
    """CSV per table, one XLSX workbook with a sheet each, one Markdown file; the folder's
    manifest lists them, and a table an earlier run wrote that this one did not is removed
    (`record_outputs`)."""
    output_folder(directory)
    written = []
    for name, frame in tables.items():
        index = name == "mechanism_outcome"
        cells = _spreadsheet_cells(frame)
        written.append(
            write_atomic(directory / f"{name}.csv", lambda path, f=cells, i=index: f.to_csv(path, index=i))
        )
    written.append(write_atomic(directory / "review_tables.xlsx", lambda path: _workbook(tables, path)))
    written.append(
        write_atomic(directory / "review_tables.md", lambda path: path.write_text(_markdown(tables), "utf-8"))
    )
    record_outputs(directory, written)
    return written


def _workbook(tables: dict[str, pd.DataFrame], path: Path) -> None:
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in tables.items():
            cells = _spreadsheet_cells(frame).map(lambda v: xml_safe(v) if isinstance(v, str) else v)  # XML
            cells.to_excel(writer, sheet_name=name[:31], index=name == "mechanism_outcome")
    _fix_timestamps(path)


def _spreadsheet_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell (and index label) that a spreadsheet would run as a
    formula quoted (`spreadsheet_safe`); numbers stay numbers."""
    text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    cells = frame.copy()
    for column in text:  # a column at a time, so Int64 counts stay whole numbers
        cells[column] = frame[column].map(spreadsheet_safe)
    cells.index = cells.index.map(spreadsheet_safe)
    return cells


# openpyxl stamps the time of writing into docProps/core.xml and every zip entry: the
# same corpus gives the same bytes only once those are a fixed date (the zip epoch).
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_CORE_DATES = re.compile(rb"(<dcterms:(?:created|modified)\b[^>]*>)[^<]*(</dcterms:)")


def _fix_timestamps(path: Path) -> None:
    with zipfile.ZipFile(path) as book:
        entries = [(info.filename, book.read(info)) for info in book.infolist()]
    with zipfile.ZipFile(path, "w") as book:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = _CORE_DATES.sub(rb"\g<1>1980-01-01T00:00:00Z\g<2>", data)
            info = zipfile.ZipInfo(name, date_time=_FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            book.writestr(info, data)


def _markdown(tables: dict[str, pd.DataFrame]) -> str:
    parts = []
    for name, frame in tables.items():
        title = name.replace("_", " ").capitalize()
        shown = frame.drop(columns=[c for c in ("sentence", "title") if c in frame.columns])
        index = name == "mechanism_outcome"
        if index:
            shown = shown.reset_index()
        cells = shown.map(_markdown_cell)
        # numparse off: tabulate would print a PMID as 3.8366e+07
        body = cells.to_markdown(index=False, disable_numparse=True) if len(frame) else "_none_"
        parts.append(f"## {title}\n\n{body}\n")
    return "\n".join(parts)


def _markdown_cell(value: object) -> str:
    """A cell as a reader expects it: blank when missing (never nan or <NA>), numbers as
    written, no character that would end the row or the cell, and no HTML: a renderer
    would pass a crafted `<script>` through, so `&`, `<` and `>` become entities."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("\n", " ").replace("|", "\\|")


def _columns(rows: list[dict], first: str) -> list[str]:
    return list(rows[0]) if rows else [first]
