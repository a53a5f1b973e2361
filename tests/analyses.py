"""Analyses built by hand for the decision layer's tests: StudyInputs with only what a
test sets, pooled as the synthesis pools them, and the bundled corpus's own analyses."""

from __future__ import annotations

import math
from pathlib import Path

from rifkb.records import DIFFERENCE_MEASURES
from rifkb.review.meta import pool
from rifkb.review.study_inputs import StudyInput
from rifkb.review.synthesis import Analysis, Stratum

# BCG vaccine trials (Colditz et al. 1994), metafor's dat.bcg in its order:
# author, year, tpos, tneg, cpos, cneg
BCG = [
    ("Aronson", 1948, 4, 119, 11, 128), ("Ferguson & Simes", 1949, 6, 300, 29, 274),
    ("Rosenthal et al", 1960, 3, 228, 11, 209), ("Hart & Sutherland", 1977, 62, 13536, 248, 12619),
    ("Frimodt-Moller et al", 1973, 33, 5036, 47, 5761), ("Stein & Aronson", 1953, 180, 1361, 372, 1079),
    ("Vandiviere et al", 1973, 8, 2537, 10, 619), ("TPT Madras", 1980, 505, 87886, 499, 87892),
    ("Coetzee & Berjak", 1968, 29, 7470, 45, 7232), ("Rosenthal et al", 1961, 17, 1699, 65, 1600),
    ("Comstock et al", 1974, 186, 50448, 141, 27197), ("Comstock & Webster", 1969, 5, 2493, 3, 2338),
    ("Comstock et al", 1976, 27, 16886, 29, 17825),
]  # fmt: skip


def study(label: str, yi: float, sei: float, *, year: int | None = 2020, measure: str = "OR",
          totals: tuple[int, int] | None = None, rif: int | None = 3, design: str = "rct",
          subgroup: str | None = None) -> StudyInput:  # fmt: skip
    return StudyInput(
        doc_id=f"test:{label}", label=label, measure=measure, yi=yi, sei=sei, source="interval",
        adjusted=False, subgroup=subgroup, events=None, totals=totals, design=design,
        rif_min_failed_transfers=rif, sentence=label, start=0, year=year,
    )  # fmt: skip


def analysis(studies: list[StudyInput], *, measure: str = "OR", method: str = "dl",
             hartung_knapp: bool = False, design: str = "rct", outcome: str = "live_birth",
             strata: tuple[Stratum, ...] = ()) -> Analysis:  # fmt: skip
    """The analysis the synthesis would make of these studies, pooled the same way."""
    ratio = measure not in DIFFERENCE_MEASURES
    pooling = pool([s.yi for s in studies], [s.sei for s in studies], method, ratio, hartung_knapp)
    return Analysis(
        intervention="ivig", outcome=outcome, population="rif", measure=measure, method=method,
        hartung_knapp=hartung_knapp, by="rif_definition", studies=tuple(studies), pooled=pooling.random,
        fixed=pooling.fixed, strata=strata, subgroup_test=None, published_syntheses=(), left_out=(),
        design=design,
    )  # fmt: skip


def bcg_studies(count: int = len(BCG)) -> list[StudyInput]:
    """The first `count` BCG trials as log risk ratios (escalc's "RR": no zero cells)."""
    found = []
    for author, year, t, tn, c, cn in BCG[:count]:
        yi = math.log((t / (t + tn)) / (c / (c + cn)))
        sei = math.sqrt(1 / t - 1 / (t + tn) + 1 / c - 1 / (c + cn))
        found.append(study(f"{author} {year}", yi, sei, year=year, measure="RR", totals=(t + tn, c + cn)))
    return found


def bundle_analyses(extracted: Path, **options) -> list[Analysis]:  # noqa: ANN003
    """IVIg → live birth in every population of the extracted bundled corpus."""
    from rifkb.corpus.folder import load_corpus
    from rifkb.kb.papers import papers_from_store
    from rifkb.review.synthesis import synthesize

    with load_corpus(extracted).open_store() as store:
        papers = papers_from_store(store)
    return synthesize(papers, intervention="ivig", outcome="live_birth", population="all", **options)
