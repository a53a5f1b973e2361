"""The synthesis of study data (issue 16): per-arm counts and means beside reported
intervals, association analyses apart from treatment ones, design families never pooled
together unless asked, impossible inputs flagged and left out, RIF-definition subgroups
as strata, "1 study" never "pooled", the study-data exports, and escalc's numbers checked
against R's metafor itself."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pytest

from rifkb.kb.audit import audit
from rifkb.kb.papers import Paper
from rifkb.records import EffectEstimate, Evidence, Extraction, Mention, Record, RifDefinition
from rifkb.review.study_data import comparisons, mean_effect, rif_threshold, table_effect
from rifkb.review.synthesis import synthesis_rows, synthesize
from tests.gold_papers import gold_papers, study_row
from tests.test_meta import _metafor

DATA = Path(__file__).parent / "data"


def _paper(
    doc: str,
    design: str,
    rows: list[dict],
    *,
    interventions=("ivig",),
    populations=("rif",),
    effects=(),
    year=2020,
    author=None,
    rif=None,
) -> Paper:
    at = Evidence(doc, 0, 1, f"sentence of {doc}", "test")
    mentions = [Mention(c, "intervention", c, at) for c in interventions]
    mentions += [Mention(c, "population", c, at) for c in populations]
    x = Extraction(
        doc,
        design,
        None,
        None,
        RifDefinition(rif, None, None, None, at) if rif else None,
        tuple(mentions),
        tuple(effects),
        (),
        (),
        study_data=tuple(study_row(r, doc) for r in rows),
    )
    from rifkb.records import Author

    authors = (Author(last_name=author or doc.split(":")[-1].capitalize()),)
    return Paper(Record(source_id=doc, year=year, authors=authors), x)


def _arms(group: str, events: int, total: int, c_events: int, c_total: int, outcome="live_birth", **more):
    return [
        {"outcome": outcome, "group": group, "events": events, "total": total, **more},
        {"outcome": outcome, "group": "control", "events": c_events, "total": c_total, **more},
    ]


def _estimate(doc: str, value: float, low: float, high: float, outcome="live_birth", measure="OR", **more):
    return EffectEstimate(
        measure, value, low, high, None, outcome, False, Evidence(doc, 5, 9, "s", "t"), **more
    )


TRIAL = _paper("src:trial", "rct", _arms("ivig", 4, 26, 3, 25))
COHORT = _paper("src:cohort", "cohort", _arms("ivig", 32, 49, 32, 94))
OTHER_TRIAL = _paper("src:trial2", "rct", _arms("ivig", 12, 40, 6, 41), year=2021)


# --- design families ------------------------------------------------------------------


def test_an_rct_and_a_cohort_are_never_pooled_together_by_default():
    analyses = synthesize([TRIAL, COHORT, OTHER_TRIAL])
    by_design = {a.design: [s.doc_id for s in a.studies] for a in analyses}
    assert by_design == {"rct": ["src:trial", "src:trial2"], "non_randomised": ["src:cohort"]}
    assert all(not a.warnings for a in analyses)


def test_combine_designs_pools_them_with_a_warning():
    (a,) = synthesize([TRIAL, COHORT, OTHER_TRIAL], combine_designs=True)
    assert a.design == "all_designs" and a.pooled.k == 3
    assert any("Cochrane Handbook (24.6)" in w for w in a.warnings)
    assert "Cochrane Handbook (24.6)" in synthesis_rows([a])[0]["warnings"]


# --- what each study brings -----------------------------------------------------------

SOURCES = [
    # rows of the form, the source of the reading, its log OR
    (_arms("ivig", 32, 49, 32, 94), "counts", math.log(32 * 62 / (17 * 32))),
    (
        _arms("ivig", 32, 49, 32, 94, derived=True, percent=65.3),
        "derived counts",
        math.log(32 * 62 / (17 * 32)),
    ),
]


@pytest.mark.parametrize(("rows", "source", "yi"), SOURCES)
def test_counts_written_or_derived(rows, source, yi):
    (a,) = synthesize([_paper("src:a", "cohort", rows)])
    (s,) = a.studies
    assert (s.source, s.events, s.totals) == (source, (32, 32), (49, 94))
    assert s.yi == pytest.approx(yi)


def test_a_reported_interval_votes_before_the_counts_and_shows_them():
    p = _paper(
        "src:a", "cohort", _arms("ivig", 32, 49, 32, 94), effects=[_estimate("src:a", 3.64, 1.78, 7.67)]
    )
    (a,) = synthesize([p])
    (s,) = a.studies
    assert s.source == "interval" and s.yi == pytest.approx(math.log(3.64)) and s.events == (32, 32)
    assert "before 1 other reading" in s.choice


def test_means_give_a_mean_difference_or_hedges_g():
    rows = [
        {"outcome": "nk_peripheral", "group": "rif", "mean": 12.9, "sd": 4.6, "total": 30},
        {"outcome": "nk_peripheral", "group": "fertile_controls", "mean": 9.5, "sd": 2.1, "total": 28},
    ]
    p = _paper("src:nk", "case_control", rows, interventions=(), populations=("rif", "fertile_controls"))
    (md,) = synthesize([p])
    assert (md.kind, md.intervention, md.comparator) == ("association", "rif", "fertile_controls")
    assert md.measure == "MD"
    assert md.studies[0].source == "means" and md.studies[0].yi == pytest.approx(3.4)
    (smd,) = synthesize([p], continuous="smd")
    assert smd.measure == "SMD" and 0 < smd.studies[0].yi < 3.4 / math.sqrt((29 * 4.6**2 + 27 * 2.1**2) / 56)


def test_association_is_kept_apart_from_treatment():
    """Antiphospholipid antibodies in RIF vs fertile women (Sanmarco 2007) is an
    association; IVIg in the same corpus a treatment: never one analysis."""
    sanmarco = _paper(
        "src:sanmarco",
        "case_control",
        [
            {"outcome": "antiphospholipid", "group": "rif", "events": 40, "total": 101},
            {
                "outcome": "antiphospholipid",
                "group": "fertile_controls",
                "events": 8,
                "total": 160,
                "derived": True,
                "percent": 5.0,
            },
        ],
        interventions=(),
        populations=("rif", "fertile_controls"),
    )
    kinds = {(a.kind, a.intervention, a.comparator) for a in synthesize([sanmarco, TRIAL])}
    assert kinds == {("association", "rif", "fertile_controls"), ("treatment", "ivig", "control")}


def test_two_active_arms_and_one_control_are_two_analyses():
    rows = [
        *_arms("pbmc", 41, 73, 29, 67, outcome="clinical_pregnancy"),
        {"outcome": "clinical_pregnancy", "group": "hcg_intrauterine", "events": 36, "total": 67},
    ]
    p = _paper("src:arms", "cohort", rows, interventions=("pbmc", "hcg_intrauterine"))
    found = {a.intervention: a.studies[0].events for a in synthesize([p])}
    assert found == {"pbmc": (41, 29), "hcg_intrauterine": (36, 29)}


# --- impossible or inconsistent inputs ------------------------------------------------

BAD = [
    # rows, or an estimate; the audit's kind; the reason the study is left out
    (_arms("ivig", 32, 49, 32, 94, percent=120.0, derived=True), "percent_over_100", "a percentage over 100"),
    (_arms("ivig", 52, 49, 32, 94), "impossible_count", "more events than the total"),
    (_arms("ivig", 0, 0, 32, 94), "impossible_count", "a total of 0"),
    (_arms("ivig", 32, 49, 32, 94, denominator="cycles"), "per_cycle", "unit-of-analysis problem"),
    ([_estimate("src:bad", -1.78, -5.3, 1.75)], "impossible_ratio", "a ratio cannot be zero or negative"),
    ([_estimate("src:bad", 0.14, 0.4, 4.37)], "outside_interval", "outside its interval"),
]


@pytest.mark.parametrize(("data", "kind", "why"), BAD)
def test_an_impossible_input_is_flagged_and_left_out_never_a_crash(data, kind, why):
    estimates = [d for d in data if isinstance(d, EffectEstimate)]
    rows = [d for d in data if isinstance(d, dict)]
    bad = _paper("src:bad", "rct", rows, effects=estimates)
    assert kind in {f.kind for f in audit(bad.extraction)}
    analyses = synthesize([bad, TRIAL])
    (a,) = [a for a in analyses if a.design == "rct"]
    assert [s.doc_id for s in a.studies] == ["src:trial"]
    assert [(doc, why in reason) for doc, reason in a.left_out] == [("src:bad", True)]


def test_a_derived_count_that_does_not_give_back_its_percentage_is_pooled_with_a_flag():
    rows = _arms("ivig", 29, 60, 14, 60, derived=True, percent=58.3, note="58.3 % of 60 is 35")
    (a,) = synthesize([_paper("src:a", "rct", rows)])
    assert any("gives back 48.3%" in f and "58.3 % of 60" in f for f in a.studies[0].flags)


def test_rows_with_nothing_in_them_never_crash():
    rows = [
        {"outcome": "live_birth", "group": "ivig"},
        {"outcome": "live_birth", "group": "control", "sd": -1.0},
        {"outcome": "live_birth", "group": "ivig", "mean": 3.0, "sd": 0.0, "total": 10, "subgroup": "x"},
        {"outcome": "live_birth", "group": "control", "mean": 2.0, "sd": 1.0, "total": None, "subgroup": "x"},
    ]
    p = _paper("src:empty", "rct", rows)
    audit(p.extraction)
    assert synthesize([p]) == [] or all(not a.studies for a in synthesize([p]))


LEFT_OUT = [
    ([{"outcome": "live_birth", "group": "ivig", "events": 33, "total": 40}], "single group"),
    (
        [
            {"outcome": "live_birth", "group": "ivig", "percent": 65.3},
            {"outcome": "live_birth", "group": "control", "percent": 34.0},
        ],
        "percentages without group sizes",
    ),
    (
        [
            {"outcome": "live_birth", "group": "ivig", "events": 33, "total": 40},
            {"outcome": "live_birth", "group": "heparin", "events": 20, "total": 40},
        ],
        "no comparator",
    ),
]


@pytest.mark.parametrize(("rows", "why"), LEFT_OUT)
def test_every_study_left_out_is_listed_with_its_reason(rows, why):
    p = _paper("src:left", "rct", rows, interventions=("ivig", "heparin"))
    (a,) = [a for a in synthesize([TRIAL, p]) if a.intervention == "ivig"]
    assert [d for d, _ in a.left_out] == ["src:left"] and why in a.left_out[0][1]


def test_a_study_outside_the_population_is_listed_with_its_reason():
    rpl = _paper("src:rpl", "rct", _arms("ivig", 23, 42, 20, 40), populations=("rpl",))
    (a,) = synthesize([TRIAL, rpl])
    assert a.left_out == (("src:rpl", "not a rif population (populations: rpl)"),)


# --- strata, single studies, Hartung–Knapp --------------------------------------------

THRESHOLDS = [
    ("severe uRIF (>=5 failed transfers)", "", 5),
    ("patients with ≥ 5 previous failures", "", 5),
    ("women failing despite >=5 previous ETs", "", 5),
    ("3 or more failed IVF cycles", "", 3),
    ("> 4 failed cycles", "", 5),
    (
        "patients with severe uRIF",
        "When stratifying for moderate and severe uRIF (respectively 3–4 and ≥ 5 "
        "previous good quality blastocyst transfer failures), only patients with severe uRIF benefited",
        5,
    ),
    ("fresh IVF cycles", "", None),
    ("women over 36 years", "", None),
    ("first treatment cycle", "", None),
]


@pytest.mark.parametrize(("subgroup", "sentence", "n"), THRESHOLDS)
def test_the_failed_transfers_a_subgroup_requires(subgroup, sentence, n):
    assert rif_threshold(subgroup, sentence) == n


def test_a_rif_definition_subgroup_becomes_its_stratum():
    rows = [
        *_arms("ivig", 32, 49, 32, 94),
        *_arms("ivig", 20, 29, 5, 25, subgroup="severe uRIF (>=5 failed transfers)"),
    ]
    peero = _paper("pmid:38365988", "cohort", rows, rif=3, year=2024)
    other = _paper("src:c2", "cohort", _arms("ivig", 10, 30, 8, 30), rif=2)
    (a,) = synthesize([peero, other])
    names = [s.name for s in a.strata]
    assert names == ["RIF: ≥2 failed transfers", "RIF: ≥3 failed transfers", "RIF: ≥5 failed transfers"]
    assert not any("severe" in n for n in names) and a.subgroup_test is None
    assert any("no test for subgroup differences" in w for w in a.warnings)


def test_a_single_study_is_1_study_never_pooled(tmp_path):
    from rifkb.review.forest import forest_plot
    from rifkb.review.report import _pooled_text

    (a,) = synthesize([COHORT])
    assert a.single and synthesis_rows([a])[0]["result"] == "1 study"
    assert a.to_json()["result"] == "1 study"
    assert _pooled_text(a) == "1 study (Cohort 2020): OR 3.65 [1.76, 7.54], not pooled"
    svg = next(p for p in forest_plot(a, tmp_path) if p.suffix == ".svg").read_text(encoding="utf-8")
    assert "Total: 1 study, not pooled" in svg and "Heterogeneity: Tau" not in svg


def test_hartung_knapp_with_two_studies_warns():
    (a,) = synthesize([TRIAL, OTHER_TRIAL], hartung_knapp=True)
    assert any("Hartung–Knapp with 2 studies" in w for w in a.warnings)
    (b,) = synthesize([TRIAL, OTHER_TRIAL])
    assert b.warnings == ()


# --- exports --------------------------------------------------------------------------


def test_the_metafor_export_has_escalcs_columns():
    from rifkb.review.tables import study_data_text

    rows = list(csv.DictReader(io.StringIO(study_data_text([COHORT], "metafor"))))
    cells = [(r["ai"], r["bi"], r["ci"], r["di"], r["n1i"], r["n2i"]) for r in rows]
    assert cells == [("32", "17", "32", "62", "49", "94")]
    assert (rows[0]["intervention"], rows[0]["comparator"], rows[0]["design"]) == (
        "ivig",
        "control",
        "cohort",
    )
    plain = list(csv.DictReader(io.StringIO(study_data_text([COHORT], "csv"))))
    assert [(r["group"], r["events"], r["total"]) for r in plain] == [
        ("control", "32", "94"),
        ("ivig", "32", "49"),
    ]


def test_the_study_data_sheet_is_in_the_workbook(tmp_path):
    import openpyxl

    from rifkb.review.tables import review_tables, write_tables

    write_tables(review_tables([COHORT]), tmp_path)
    assert "study_data" in openpyxl.load_workbook(tmp_path / "review_tables.xlsx").sheetnames
    header = (tmp_path / "study_data.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[:12] == [
        "study",
        "doc_id",
        "pmid",
        "design",
        "n",
        "outcome",
        "group",
        "subgroup",
        "events",
        "total",
        "mean",
        "sd",
    ]


# --- the gold study data of real abstracts --------------------------------------------


def _gold() -> list[Paper]:
    papers = gold_papers(DATA / "dev-gold.jsonl", DATA / "dev.jsonl")
    if not any(p.extraction.study_data for p in papers):
        pytest.skip("tests/data/dev-gold.jsonl carries no study_data yet (shared/corpus's does)")
    return papers


def test_the_gold_study_data_pools_by_design_and_kind():
    papers = _gold()
    analyses = synthesize(papers, population="all")
    assert analyses and all({family(s.design) for s in a.studies} <= {a.design} for a in analyses)
    assert {a.kind for a in analyses} == {"treatment", "association"}
    poolable = {
        p.extraction.doc_id
        for p in papers
        for c in comparisons(p.extraction)
        if c.subgroup is None and (c.dichotomous or (c.continuous and c.treated.total))
    }
    read = {s.doc_id for a in analyses for s in a.studies}
    assert len(poolable) >= 25 and len(poolable - read) <= 2


def family(design):
    return "rct" if design == "rct" else "non_randomised"


# --- R's metafor itself -----------------------------------------------------------------

TABLES = [(32, 49, 32, 94), (0, 18, 4, 20), (16, 25, 0, 17), (4, 26, 3, 25), (12, 40, 6, 41)]
# escalc's yi then its SE, √vi, as a JSON list
_PRINT = 'cat("[", paste(sprintf("%.12f", c(e$yi, sqrt(e$vi))), collapse = ", "), "]")'
MEANS = [(10.5, 10.5, 25, 19.2, 11.2, 25), (12.9, 4.6, 20, 9.5, 0.6, 22), (16.0, 1.8, 6, 13.5, 0.8, 5)]


@pytest.mark.parametrize("measure", ["OR", "RR"])
def test_two_by_two_tables_agree_with_escalc(measure):
    ours = [table_effect(measure, *t) for t in TABLES]
    # ai, bi: events and non-events of the treated arm; ci, di: of the control arm
    columns = {
        "ai": [t[0] for t in TABLES],
        "bi": [t[1] - t[0] for t in TABLES],
        "ci": [t[2] for t in TABLES],
        "di": [t[3] - t[2] for t in TABLES],
    }
    cells = ", ".join(f"{name} = c({', '.join(map(str, values))})" for name, values in columns.items())
    expected = _metafor(f'e <- escalc(measure = "{measure}", {cells}); {_PRINT}')
    k = len(TABLES)
    assert [y for y, _ in ours] == pytest.approx(expected[:k], abs=1e-4)
    assert [s for _, s in ours] == pytest.approx(expected[k:], abs=1e-4)


@pytest.mark.parametrize("measure", ["MD", "SMD"])
def test_means_agree_with_escalc(measure):
    ours = [mean_effect(measure, *m) for m in MEANS]
    names = ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i")
    args = ", ".join(f"{n} = c({', '.join(repr(m[i]) for m in MEANS)})" for i, n in enumerate(names))
    expected = _metafor(f'e <- escalc(measure = "{measure}", {args}); {_PRINT}')
    k = len(MEANS)
    assert [y for y, _ in ours] == pytest.approx(expected[:k], abs=1e-4)
    assert [s for _, s in ours] == pytest.approx(expected[k:], abs=1e-4)
