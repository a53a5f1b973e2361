"""The living meta-analysis on the bundled corpus, the consistency audit on real sentences,
RevMan-style forest plots, the synthesis sheet and `rifkb synthesize`."""

from __future__ import annotations

import csv
import json
import math

import pytest
from typer.testing import CliRunner

from rifkb.cli import app
from rifkb.kb.audit import audit
from tests.conftest import REPO

runner = CliRunner()
PEERO = "pmid:38365988"


@pytest.fixture(scope="module")
def corpus(extracted_bundle):
    return extracted_bundle


def _analyses(corpus, *options):
    result = runner.invoke(app, ["synthesize", "-c", str(corpus), "--json", *options])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["analyses"]


@pytest.fixture(scope="module")
def ivig_live_birth(corpus):
    """The non-randomised analysis (Peero 2024's cohort): the RCT is an analysis apart."""
    rct, observational = _analyses(corpus, "--intervention", "IVIg", "--outcome", "live birth")
    assert (rct["design"], observational["design"]) == ("rct", "non_randomised")
    return observational


def test_the_only_rct_and_the_cohort_are_never_pooled_together(corpus):
    """Issue 16: the headline once pooled Stephenson 2000's RCT with Peero 2024's cohort
    (76 % of the weight); each design family is now an analysis, each of 1 study."""
    rct, observational = _analyses(corpus, "--intervention", "ivig", "--outcome", "live_birth")
    assert [s["label"] for s in rct["studies"]] == ["Stephenson 2000"] and rct["result"] == "1 study"
    assert [s["doc_id"] for s in observational["studies"]] == [PEERO] and observational["result"] == "1 study"
    (both,) = _analyses(corpus, "--intervention", "ivig", "--outcome", "live_birth", "--combine-designs")
    assert both["pooled"]["k"] == 2 and any("24.6" in w for w in both["warnings"])


def test_ivig_and_live_birth_in_rif_pools_peero_with_its_adjusted_odds_ratio(ivig_live_birth):
    a = ivig_live_birth
    assert (a["intervention"], a["outcome"], a["population"], a["measure"]) == (
        "ivig",
        "live_birth",
        "rif",
        "OR",
    )
    peero = next(s for s in a["studies"] if s["doc_id"] == PEERO)
    assert peero["source"] == "interval" and peero["adjusted"] and peero["label"] == "Peero 2024"
    assert peero["yi"] == pytest.approx(math.log(3.64))
    assert peero["sei"] == pytest.approx((math.log(7.67) - math.log(1.78)) / (2 * 1.959964), rel=1e-5)
    assert peero["events"] == [32, 32] and peero["totals"] == [49, 94]
    assert "adjusted" in peero["choice"]
    assert sum(s["weight"] for s in a["studies"]) == pytest.approx(100)
    assert a["pooled"]["k"] == len(a["studies"])


def test_the_recurrent_miscarriage_meta_analysis_is_listed_not_pooled(corpus, ivig_live_birth):
    pooled = {s["doc_id"] for s in ivig_live_birth["studies"]}
    published = {s["doc_id"] for s in ivig_live_birth["published_syntheses"]}
    assert published and not pooled & published
    assert any("rpl" in s["populations"] for s in ivig_live_birth["published_syntheses"])
    # with --population rpl its primary trials are pooled, and no RIF study is
    (rpl,) = _analyses(corpus, "--intervention", "ivig", "--outcome", "live_birth", "--population", "rpl")
    assert PEERO not in {s["doc_id"] for s in rpl["studies"]}


def test_strata_by_rif_definition_and_the_severe_rif_subgroup(ivig_live_birth):
    """Peero 2024's severe uRIF subgroup (≥ 5 previous failed transfers) is the stratum
    "≥5 failed transfers" beside its whole population (≥ 3): no test for subgroup
    differences, since one study stands in both."""
    strata = ivig_live_birth["strata"]
    assert strata["by"] == "rif_definition"
    names = [g["name"] for g in strata["groups"] if not g["subgroup"]]
    assert names == ["RIF: ≥3 failed transfers", "RIF: ≥5 failed transfers"]
    assert strata["test"] is None and not any("severe" in g["name"] for g in strata["groups"])
    assert all(g["studies"] == [PEERO] for g in strata["groups"])


def test_json_numbers_are_those_of_the_pooling(ivig_live_birth):
    from rifkb.review.meta import pool

    studies = ivig_live_birth["studies"]
    again = pool([s["yi"] for s in studies], [s["sei"] for s in studies], "dl").random
    pooled = ivig_live_birth["pooled"]
    assert pooled["yi"] == pytest.approx(again.yi) and pooled["estimate"] == pytest.approx(math.exp(again.yi))
    assert set(pooled) >= {"estimate", "ci_low", "ci_high", "yi", "sei", "tau2", "i2", "q", "q_p", "pi_low",
                           "pi_high", "k"}  # fmt: skip
    assert set(ivig_live_birth["fixed"]) == set(pooled)


@pytest.mark.parametrize("method", ["reml", "pm"])
def test_other_estimators_and_hartung_knapp(corpus, method):
    found = _analyses(corpus, "--intervention", "ivig", "--outcome", "live_birth", "--method", method,
                      "--hartung-knapp")  # fmt: skip
    assert all(a["method"] == method and a["hartung_knapp"] for a in found) and len(found) == 2


def test_a_bad_method_is_one_line(corpus):
    result = runner.invoke(app, ["synthesize", "-c", str(corpus), "--method", "bayes"])
    assert (
        result.exit_code == 1
        and result.stderr.strip() == "rifkb: --method 'bayes': choose one of dl, reml, pm"
    )


def test_the_csv_has_a_row_per_analysis_and_stratum(corpus):
    result = runner.invoke(app, ["synthesize", "-c", str(corpus), "--csv", "--intervention", "ivig"])
    rows = list(csv.DictReader(result.stdout.splitlines()))
    strata = [r["stratum"] for r in rows if r["outcome"] == "live_birth"]
    assert strata[0] == "all studies" and "RIF: ≥3 failed transfers" in strata
    results = {(r["design"], r["stratum"]): r["result"] for r in rows if r["outcome"] == "live_birth"}
    assert results[("RCT", "all studies")] == results[("non-randomised", "all studies")] == "1 study"


AUDITED = [
    # (sentence, the kinds of flags it must raise)
    ("Live birth rates were higher with intralipid RR = 1.71, 95% CI [1.27, 2.32], P = 0.005.",
     ["p_interval"]),
    ("Clinical pregnancy did not differ (OR=.14 [95%CI: 0.4–4.370]).", ["outside_interval"]),
    ("The live delivery rate per ET cycle was 30.8% (39/94).", ["percent_count"]),
    ("Live birth was higher with IVIg (32/49; 65.3%) than in controls (32/94; 34%) "
     "(OR 3.65, 95% CI 1.8-7.4).", []),
    ("IVIg raised live birth (32/49) compared with controls (32/94) (OR 2.10, 95% CI 1.3-3.4).",
     ["crude_counts"]),
    ("Live birth rose (OR 3.64; 95% CI 1.78–7.67; p = 0.0005).", []),
    ("Live birth rose (OR 2.0; 95% CI 1.1–9.0).", ["asymmetric_interval"]),
]  # fmt: skip


@pytest.mark.parametrize(("text", "kinds"), AUDITED)
def test_the_audit_on_real_sentences(read, text, kinds):
    assert [f.kind for f in audit(read(text))] == kinds


def test_flags_reach_the_graph_the_tables_and_the_synthesis(corpus, tmp_path, ivig_live_birth):
    peero = next(s for s in ivig_live_birth["studies"] if s["doc_id"] == PEERO)
    assert any("abstract says p 0.0004" in f for f in peero["flags"])
    assert (
        runner.invoke(
            app, ["graph", "-c", str(corpus), "-f", "json", "-o", str(tmp_path / "g.json")]
        ).exit_code
        == 0
    )
    nodes = json.loads((tmp_path / "g.json").read_text())["nodes"]
    assert any(n.get("flags") for n in nodes if n.get("kind") == "effect")
    assert (
        runner.invoke(app, ["export", "tables", "-c", str(corpus), "-o", str(tmp_path / "t")]).exit_code == 0
    )
    audit_rows = _rows(tmp_path / "t" / "audit.csv")
    assert any(r["doc_id"] == PEERO and r["kind"] == "p_interval" for r in audit_rows)
    evidence = _rows(tmp_path / "t" / "evidence.csv")
    row = next(r for r in evidence if r["pmid"] == "38365988")
    assert "ivig 32/49, control 32/94" in row["event_rates_by_arm"]
    synthesis = _rows(tmp_path / "t" / "synthesis.csv")
    assert any(r["intervention"] == "ivig" and r["stratum"] == "all studies" for r in synthesis)


def _rows(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_forest_plots_as_revman_draws_them(corpus, tmp_path):
    out = tmp_path / "figures"
    assert runner.invoke(app, ["export", "figures", "-c", str(corpus), "-o", str(out)]).exit_code == 0
    stem = "forest_ivig_live_birth_non_randomised"
    svg = (out / f"{stem}.svg").read_text(encoding="utf-8")
    for text in ("Favours control", "Favours intravenous immunoglobulin", "Peero 2024", "32/49",
                 "Subtotal: 1 study (95% CI)", "Total: 1 study, not pooled (95% CI)", "Weight",
                 "RIF: ≥5 failed transfers", "Peero 2024 (subgroup)",
                 "Published syntheses (listed, not pooled):"):  # fmt: skip
        assert f"<!-- {text}" in svg or text in svg, text
    assert "<!-- ivig" not in svg and "live_birth" not in svg.replace(stem, "")
    assert "Total (95% CI)" not in svg and "patients with severe uRIF" not in svg
    rct = (out / "forest_ivig_live_birth_rct.svg").read_text(encoding="utf-8")
    assert "Stephenson 2000" in rct and "Peero 2024" not in rct
    png = (out / f"{stem}.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and b"pHYs\x00\x00.#\x00\x00.#" in png  # 300 dpi = 11811 px/m
    heparin = next(out.glob("forest_heparin_pregnancy_*.svg")).read_text(encoding="utf-8")
    assert "<!-- Favours heparin -->" in heparin  # the first of 'heparin / low-molecular-weight heparin'
    again = tmp_path / "again"
    runner.invoke(app, ["export", "figures", "-c", str(corpus), "-o", str(again)])
    assert (again / f"{stem}.png").read_bytes() == png
    assert (again / f"{stem}.svg").read_text(encoding="utf-8") == svg


def test_every_png_figure_is_300_dpi(corpus, tmp_path):
    out = tmp_path / "figures"
    assert runner.invoke(app, ["export", "figures", "-c", str(corpus), "-o", str(out)]).exit_code == 0
    pngs = sorted(out.glob("*.png"))
    assert {p.stem for p in pngs} >= {
        "evidence_map",
        "rif_definitions",
        "prisma_flow",
        "forest_ivig_live_birth_rct",
        "forest_ivig_live_birth_non_randomised",
    }
    assert [p.name for p in pngs if b"pHYs\x00\x00.#\x00\x00.#" not in p.read_bytes()] == []


def test_a_dollar_in_a_label_is_a_dollar(corpus):
    """Labels come from records and rule files: matplotlib must not read "$...$" as maths."""
    from rifkb.corpus.folder import load_corpus
    from rifkb.kb.papers import papers_from_store
    from rifkb.review.drawing import svg_text
    from rifkb.review.figures import evidence_map_figure

    with load_corpus(corpus).open_store() as store:
        papers = papers_from_store(store)
    svg = svg_text(evidence_map_figure(papers, {"ivig": "IVIg at $500 or $800 a dose"}))
    assert "<!-- IVIg at $500 or $800 a dose -->" in svg
    assert "Oblique" not in svg  # mathtext would set "500 or " in italics


def test_the_readme_shows_what_the_bundled_corpus_gives(corpus):
    """The README quotes `rifkb synthesize` on the bundled corpus and shows its forest
    plot: both must stay what the corpus gives."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    shown = text.split('$ rifkb synthesize --intervention ivig --outcome "live birth"\n', 1)[1]
    headline = " ".join(" ".join(shown.splitlines()[:2]).split())
    result = runner.invoke(app, ["synthesize", "-c", str(corpus), "--intervention", "ivig",
                                 "--outcome", "live birth"], env={"COLUMNS": "200"})  # fmt: skip
    assert headline in " ".join(result.stdout.split())
    assert "bundled corpus](docs/forest_ivig_live_birth_non_randomised.png)" in text
    png = (REPO / "docs" / "forest_ivig_live_birth_non_randomised.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
