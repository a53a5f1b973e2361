"""A study's meta-analysis form (`Extraction.study_data`, RevMan's "data and analyses")
turned into the comparisons a meta-analysis pools, and each comparison's effect size as
R's `metafor::escalc` computes it.

- Pairing: rows of the same outcome and the same subgroup pair up. A treatment arm (a
  group that is one of the study's interventions) is compared with `control`; any other
  group (a population or a mechanism: `rif`, `antinuclear`) is an exposure, compared with
  `fertile_controls` where the study has them, else with `control`: an association. Two
  active arms and one control are two comparisons, one per arm.
- Dichotomous: log OR or log RR from the 2×2 table; a table with a zero cell gets 1/2
  added to each of its cells (escalc's `add = 1/2, to = "only0"`, RevMan's practice,
  Cochrane Handbook 10.4.4.2); a table with no events, or only events, in both arms is
  left out, as RevMan does (it says nothing about a ratio).
- Continuous: the mean difference, variance sd1²/n1 + sd2²/n2; or the standardised mean
  difference as Hedges' g: Cohen's d on the pooled SD times the exact small-sample
  correction J(m) = Γ(m/2) / (√(m/2) Γ((m−1)/2)), m = n1 + n2 − 2, with variance
  1/n1 + 1/n2 + g² / (2 (n1 + n2)) (Hedges 1981; escalc's "SMD", vtype "LS").
- A subgroup named by a RIF definition ("severe uRIF (>=5 failed transfers)") gives the
  number of failed transfers it requires, so that it joins the RIF-definition strata.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass

from rifkb.records import Extraction, StudyData
from rifkb.review.reading import read_once

REFERENCES = ("control", "fertile_controls")
COUNT_MEASURES = {"OR": "odds-ratio", "RR": "risk-ratio"}
MEAN_MEASURES = ("MD", "SMD")


@dataclass(frozen=True)
class Comparison:
    """Two rows of one study's form that a meta-analysis compares: `treated` (the
    intervention's arm, or the exposed group) against `control` (the reference group)."""

    kind: str  # "treatment" | "association"
    group: str  # the intervention's or the exposure's concept id
    reference: str  # "control" | "fertile_controls"
    outcome: str
    subgroup: str | None
    treated: StudyData
    control: StudyData

    @property
    def dichotomous(self) -> bool:
        return self.treated.events is not None and self.control.events is not None

    @property
    def continuous(self) -> bool:
        return self.treated.mean is not None and self.control.mean is not None

    @property
    def derived(self) -> bool:
        return self.treated.derived or self.control.derived


@read_once  # a synthesis asks it of every study for every question
def comparisons(x: Extraction) -> list[Comparison]:
    """Every pair of rows of one study that compares a group with its reference group."""
    interventions = set(x.concepts()["intervention"])
    rows: dict[tuple[str, str | None, str], StudyData] = {}
    for row in x.study_data:
        rows.setdefault((row.outcome, row.subgroup, row.group), row)  # the first of a repeated row
    found = []
    for (outcome, subgroup, group), row in rows.items():
        if group in REFERENCES:
            continue
        kind = "treatment" if group in interventions else "association"
        reference = reference_of(kind, {g for o, s, g in rows if (o, s) == (outcome, subgroup)})
        other = rows.get((outcome, subgroup, reference or ""))
        if other is not None and reference is not None:
            found.append(Comparison(kind, group, reference, outcome, subgroup, row, other))
    return found


def reference_of(kind: str, groups: set[str]) -> str | None:
    """A treatment arm's reference is the control arm; an exposure's, fertile controls
    where the study has them, else its controls."""
    if kind == "association" and "fertile_controls" in groups:
        return "fertile_controls"
    return "control" if "control" in groups else None


def unpaired_reason(x: Extraction, group: str, outcome: str) -> str | None:
    """Why a study's rows of `group` and `outcome` give no comparison, or None."""
    mine = [r for r in x.study_data if r.group == group and r.outcome == outcome]
    if not mine:
        return None
    if any(r.events is None and r.mean is None and r.percent is not None for r in mine):
        return "percentages without group sizes"
    others = {r.group for r in x.study_data if r.outcome == outcome} - {group}
    if not others:
        return "single group"
    if not others & set(REFERENCES):
        return f"no comparator: compared with {', '.join(sorted(others))}, not a control group"
    if all(r.subgroup is not None for r in mine):
        return "subgroup rows without a control row of the same subgroup"
    return "no dichotomous or continuous rows of both groups (events/total, or mean, SD and n)"


# --- the form as metafor::escalc reads it ---------------------------------------------

METAFOR_COLUMNS = [
    "study", "doc_id", "design", "kind", "outcome", "intervention", "comparator", "subgroup", "ai", "bi",
    "ci", "di", "n1i", "n2i", "m1i", "sd1i", "m2i", "sd2i", "derived",
]  # fmt: skip


def metafor_row(study: str, x: Extraction, c: Comparison) -> dict[str, object]:
    """One comparison as a row of `escalc`'s arguments: `ai bi ci di n1i n2i` (events and
    non-events of the intervention's or exposed group, then of the reference group) for
    a dichotomous outcome, `m1i sd1i n1i m2i sd2i n2i` for a continuous one; `intervention`
    is the exposure of an association."""
    t, r = c.treated, c.control
    row: dict[str, object] = dict.fromkeys(METAFOR_COLUMNS)
    row |= {"study": study, "doc_id": x.doc_id, "design": x.study_design, "kind": c.kind,
            "outcome": c.outcome, "intervention": c.group, "comparator": c.reference,
            "subgroup": c.subgroup, "n1i": t.total, "n2i": r.total, "derived": c.derived}  # fmt: skip
    if c.dichotomous and t.total is not None and r.total is not None:
        row |= {"ai": t.events, "bi": t.total - t.events, "ci": r.events, "di": r.total - r.events}  # type: ignore[operator]
    elif c.continuous:
        row |= {"m1i": t.mean, "sd1i": t.sd, "m2i": r.mean, "sd2i": r.sd}
    return row


# --- effect sizes, as metafor::escalc computes them -------------------------------------


def table_effect(measure: str, a: int, n1: int, c: int, n2: int) -> tuple[float, float] | None:
    """(log OR or log RR, its SE) of a 2×2 table: a events of n1 against c of n2."""
    if measure not in COUNT_MEASURES or not n1 or not n2 or (a == 0 and c == 0) or (a == n1 and c == n2):
        return None
    from statsmodels.stats.meta_analysis import effectsize_2proportions

    # statsmodels adds `zero_correction` to the counts of every table, zero cell or not (its
    # zero mask reaches only the totals; zero handling is open there: statsmodels issues
    # #6639, #7011): ask for it only where a cell is zero, where it then adds 0.5 to each cell
    zero = 0 in (a, n1 - a, c, n2 - c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yi, vi = effectsize_2proportions(a, n1, c, n2, statistic=COUNT_MEASURES[measure],
                                         zero_correction=0.5 if zero else None)  # fmt: skip
    return float(yi), float(math.sqrt(vi))


def mean_effect(measure: str, m1: float, sd1: float, n1: int, m2: float, sd2: float,
                n2: int) -> tuple[float, float] | None:  # fmt: skip
    """(MD or Hedges' g, its SE) of two groups' means, SDs and sizes."""
    if min(n1, n2) < 1 or min(sd1, sd2) <= 0 or (measure == "SMD" and n1 + n2 < 4):
        return None
    if measure == "MD":
        return m1 - m2, math.sqrt(sd1**2 / n1 + sd2**2 / n2)
    if measure != "SMD":
        return None
    m = n1 + n2 - 2
    pooled_sd = math.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / m)
    g = hedges_correction(m) * (m1 - m2) / pooled_sd
    return g, math.sqrt(1 / n1 + 1 / n2 + g**2 / (2 * (n1 + n2)))


def hedges_correction(m: int) -> float:
    """J(m) = Γ(m/2) / (√(m/2) Γ((m−1)/2)), exactly as metafor's `.cmicalc` (≈ 1 − 3/(4m − 1))."""
    return math.exp(math.lgamma(m / 2) - math.log(math.sqrt(m / 2)) - math.lgamma((m - 1) / 2))


def comparison_effect(measure: str, c: Comparison) -> tuple[float, float] | None:
    """A comparison's effect size in `measure`, or None when its rows do not give one."""
    t, r = c.treated, c.control
    if measure in COUNT_MEASURES and c.dichotomous and t.total is not None and r.total is not None:
        return table_effect(measure, t.events, t.total, r.events, r.total)  # type: ignore[arg-type]
    if measure in MEAN_MEASURES and c.continuous and None not in (t.sd, r.sd, t.total, r.total):
        return mean_effect(measure, t.mean, t.sd, t.total, r.mean, r.sd, r.total)  # type: ignore[arg-type]
    return None


# --- a RIF definition written as a subgroup ---------------------------------------------

_FAILED = (r"(?:[\w-]+\s+){0,5}?"  # "previous good quality blastocyst transfer failures"
           r"(?:failed\s+|failures?\b|ETs?\b|embryo\s+transfers?\b|transfers?\b|attempts?\b|"
           r"cycles?\b)")  # fmt: skip
_THRESHOLD = re.compile(
    rf"(?:≥|>=|=>|⩾|at\s+least|(?P<more>>|more\s+than))\s*(?P<n>\d+)\s*(?:or\s+more\s+)?{_FAILED}"
    rf"|(?P<n2>\d+)\s+or\s+more\s+{_FAILED}",
    re.IGNORECASE,
)


def rif_threshold(subgroup: str | None, sentence: str = "") -> int | None:
    """The failed transfers a subgroup requires: 'severe uRIF (>=5 failed transfers)' and
    'patients with ≥ 5 previous failures' give 5; '> 4 failed cycles' gives 5. A subgroup
    named only "severe" takes the one open-ended threshold of its sentence, the most
    severe category ("moderate and severe uRIF (respectively 3–4 and ≥ 5 previous good
    quality blastocyst transfer failures) ... patients with severe uRIF": 5)."""
    if not subgroup:
        return None
    found = _THRESHOLD.search(subgroup)
    if found is None and re.search(r"\bsevere\b", subgroup, re.IGNORECASE):
        every = list(_THRESHOLD.finditer(sentence))
        found = every[0] if len(every) == 1 else None
    if found is None:
        return None
    if found.group("n2"):
        return int(found.group("n2"))
    return int(found.group("n")) + (1 if found.group("more") else 0)
