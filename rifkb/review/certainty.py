"""GRADE summary of findings: how sure a reader can be of one analysis's estimate, and
what it means per 1,000 women (GRADE Handbook, Schünemann et al. 2013, ch. 5; the
columns of GRADEpro GDT's summary of findings table; Cochrane Handbook ch. 14).

- The body of evidence starts high for randomised trials and low for non-randomised
  studies (GRADE Handbook 5.1); an analysis pooling both (`combine_designs`) starts low.
- Five domains can rate it down, one level ("serious") or two ("very serious") each
  (5.2.1–5.2.5): risk of bias, inconsistency, indirectness, imprecision and publication
  bias, each judged by a small rule below. A domain abstracts cannot judge (risk of bias
  without a reviewer's judgement; publication bias with fewer than 10 studies) is "not
  assessed": no level lost, and a footnote says so, never to be read as "not serious".
- Nothing rates it up (5.3: a large effect, a dose–response gradient): a reviewer's call.
- Absolute effects per 1,000 from an assumed control risk and the relative effect
  (Cochrane Handbook 14.1.5.1; 11.5.5 in v5.1): with an OR, Pe = OR·Pc / (1 − Pc + OR·Pc);
  with an RR, Pe = RR·Pc; the 95 % CI of Pe from the relative effect's CI.
- Footnotes are lettered a, b, c… in the order of the table's columns: the absolute
  effects' first, then the starting level's, then the domains' in the order above.
"""

from __future__ import annotations

import math
import string
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from rifkb.records import DIFFERENCE_MEASURES
from rifkb.review.study_inputs import StudyInput
from rifkb.review.synthesis import FAMILIES, Analysis

if TYPE_CHECKING:  # living draws figures: matplotlib is imported only when it is used
    from rifkb.review.living import SmallStudyEffects

NOT_ASSESSED = "not assessed"
SEVERITY = ("not serious", "serious", "very serious")  # levels lost: 0, 1, 2
DOWNGRADES = {judgement: levels for levels, judgement in enumerate(SEVERITY)}
DOMAINS = ("risk of bias", "inconsistency", "indirectness", "imprecision", "publication bias")
LEVELS = {4: ("high", "⊕⊕⊕⊕"), 3: ("moderate", "⊕⊕⊕◯"), 2: ("low", "⊕⊕◯◯"), 1: ("very low", "⊕◯◯◯")}
PATIENT_OUTCOME = "live_birth"  # what matters to women with RIF; pregnancy outcomes stand in for it
EGGER_THRESHOLD = 0.10  # Egger et al. (1997) read p < 0.10, the test being weak
SOF_COLUMNS = [
    "intervention", "population", "design", "outcome", "studies", "participants", "relative effect (95% CI)",
    "risk with control per 1,000", "risk with intervention per 1,000 (95% CI)",
    "difference per 1,000 (95% CI)", "certainty", *DOMAINS, "footnotes",
]  # fmt: skip


@dataclass(frozen=True)
class Judgement:
    """One GRADE domain: its judgement ("not serious", "serious", "very serious" or "not
    assessed"), why (the footnote's text; "" when there is nothing to note) and the
    footnote's letter in its row."""

    domain: str
    judgement: str
    reason: str = ""
    footnote: str = ""

    @property
    def downgrade(self) -> int:
        """Levels lost: 0, 1 or 2 ("not assessed" loses none)."""
        return DOWNGRADES.get(self.judgement, 0)


@dataclass(frozen=True)
class AbsoluteEffects:
    """Anticipated absolute effects per 1,000: with control, with the intervention (95 %
    CI), and the difference (95 % CI), each rounded to a whole number."""

    control: int
    intervention: int
    intervention_low: int
    intervention_high: int
    difference: int
    difference_low: int
    difference_high: int

    def intervention_text(self) -> str:
        return f"{self.intervention} ({self.intervention_low} to {self.intervention_high})"

    def difference_text(self) -> str:
        """'93 more per 1,000 (from 20 fewer to 210 more)', as GRADEpro writes it."""
        return (f"{_count(self.difference)} per 1,000 (from {_count(self.difference_low)} to "
                f"{_count(self.difference_high)})")  # fmt: skip


@dataclass(frozen=True)
class Footnote:
    letter: str
    about: str  # "absolute effects", "start" or a domain
    text: str


@dataclass(frozen=True)
class SoFRow:
    """One row of a summary of findings table: one analysis (an intervention, an outcome,
    a population, a design family) graded."""

    intervention: str
    comparator: str
    outcome: str
    population: str
    design: str  # "rct" | "non_randomised" | "all_designs"
    measure: str
    studies: int
    participants: int | None  # None when a study's number is not known
    relative: tuple[float, float, float]  # estimate, 95 % CI, on the reported scale
    control_risk: float | None
    control_risk_source: str
    absolute: AbsoluteEffects | None
    absolute_why_not: str | None
    start: str  # "high" | "low"
    domains: tuple[Judgement, ...]
    certainty: str  # "high" | "moderate" | "low" | "very low"
    symbols: str  # ⊕⊕⊕⊕ … ⊕◯◯◯
    footnotes: tuple[Footnote, ...]

    def relative_text(self) -> str:
        """'OR 3.89 (1.91 to 7.91)'."""
        estimate, low, high = self.relative
        return f"{self.measure} {estimate:.2f} ({low:.2f} to {high:.2f})"

    def certainty_text(self) -> str:
        """'⊕◯◯◯ very low (b, c, d)': the level and the footnotes of what lowered or left it."""
        letters = [f.letter for f in self.footnotes if f.about != "absolute effects"]
        return f"{self.symbols} {self.certainty}" + (f" ({', '.join(letters)})" if letters else "")

    def to_json(self) -> dict[str, Any]:
        found = asdict(self)
        found["domains"] = [asdict(d) | {"downgrade": d.downgrade} for d in self.domains]
        return found


def summary_of_findings(analysis: Analysis, *, control_risk: float | None = None,
                        control_risk_source: str = "", optimal_information_size: float | None = None,
                        small_study: SmallStudyEffects | None = None, risk_of_bias: str | None = None,
                        harmful: bool = False) -> SoFRow:  # fmt: skip
    """The analysis graded. `control_risk`: the proportion (0–1) of control arms with the
    outcome; `optimal_information_size`: the participants an adequately powered trial needs
    (no heterogeneity adjustment); `small_study`: `living.small_study_effects`'s record;
    `risk_of_bias`: a reviewer's judgement; `harmful`: the outcome is a harm (miscarriage),
    patient-important in itself, not a surrogate of live birth."""
    if analysis.pooled is None:
        raise ValueError(f"{analysis.name}: subgroups only, no estimate to grade")
    if control_risk is not None and not 0 <= control_risk <= 1:
        raise ValueError(f"control risk {control_risk!r}: a proportion between 0 and 1")
    relative = relative_effect(analysis)
    participants = total_participants(analysis.studies)
    start, start_reason = starting_level(analysis.design)
    domains = (
        risk_of_bias_judgement(risk_of_bias),
        inconsistency(analysis),
        indirectness(analysis, harmful),
        imprecision(analysis, participants, optimal_information_size),
        publication_bias(small_study),
    )
    absolute, why_not = absolute_effects(analysis.measure, relative, control_risk)
    level, symbols = LEVELS[certainty_level(start, domains)]
    control_note = why_not or _control_note(control_risk, control_risk_source)  # type: ignore[arg-type]
    domains, footnotes = _lettered(control_note, start_reason, domains)
    return SoFRow(
        analysis.intervention, analysis.comparator, analysis.outcome, analysis.population, analysis.design,
        analysis.measure, len(analysis.studies), participants, relative, control_risk, control_risk_source,
        absolute, why_not, LEVELS[start][0], domains, level, symbols, footnotes,
    )  # fmt: skip


def relative_effect(a: Analysis) -> tuple[float, float, float]:
    """The pooled estimate and 95 % CI; one study's own, as written, when it stands alone."""
    if a.single:
        return a.studies[0].interval
    return a.pooled.estimate, a.pooled.ci_low, a.pooled.ci_high  # type: ignore[union-attr]


def total_participants(studies: Iterable[StudyInput]) -> int | None:
    """Every study's participants, or None when one study's are not known."""
    counts = [s.participants for s in studies]
    return None if any(n is None for n in counts) else sum(counts)  # type: ignore[arg-type]


# --- the rules, one per GRADE factor ----------------------------------------------------------


def starting_level(design: str) -> tuple[int, str]:
    """(4, high) for randomised trials, (2, low) for non-randomised studies (GRADE
    Handbook 5.1); pooled together they start low, as the weaker design does."""
    combined = "Randomised and non-randomised studies pooled together: rated from low (GRADE Handbook 5.1)"
    return {"rct": (4, ""), "non_randomised": (2, "")}.get(design, (2, combined))


def risk_of_bias_judgement(judgement: str | None) -> Judgement:
    """A reviewer's judgement of the studies' limitations (GRADE Handbook 5.2.1), which an
    abstract cannot give: without one, "not assessed" and no level lost."""
    if judgement is None:
        why = "Risk of bias not assessed from abstracts; record a judgement to grade it"
        return Judgement("risk of bias", NOT_ASSESSED, why)
    if judgement not in DOWNGRADES:
        raise ValueError(f"risk of bias {judgement!r}: one of {', '.join(DOWNGRADES)}")
    reason = "" if judgement == "not serious" else f"Risk of bias judged {judgement} by the reviewer"
    return Judgement("risk of bias", judgement, reason)


def inconsistency(a: Analysis) -> Judgement:
    """Unexplained heterogeneity (GRADE Handbook 5.2.2): serious when I² ≥ 50 % or when
    the 95 % prediction interval includes no effect though the CI does not; very serious
    when I² ≥ 75 % and the studies' point estimates lie on both sides of no effect (some
    suggest benefit, others harm: GRADE guidelines 7, Guyatt et al. 2011). The prediction
    interval counts only when τ² > 0: with τ² = 0 its width is t(k − 2) on few studies
    (12.7 × SE for 3), imprecision rather than heterogeneity."""
    p = a.pooled
    if p is None or p.k < 2:
        return Judgement("inconsistency", NOT_ASSESSED, "One study: inconsistency not assessed")
    null = _null(a)
    both_sides = any(s.yi > 0 for s in a.studies) and any(s.yi < 0 for s in a.studies)
    pi_wider = p.tau2 > 0 and p.pi_low is not None and p.pi_low <= null <= p.pi_high  # type: ignore[operator]
    pi_wider = pi_wider and not p.ci_low <= null <= p.ci_high
    facts = f"I² = {100 * p.i2:.0f}%; " + (
        f"95% prediction interval {p.pi_low:.2f} to {p.pi_high:.2f}"
        if p.pi_low is not None
        else "no prediction interval (fewer than 3 studies)"
    )
    if p.i2 >= 0.75 and both_sides:
        return Judgement("inconsistency", "very serious", f"{facts}: I² ≥ 75% and point estimates on both "
                                                          "sides of no effect")  # fmt: skip
    if p.i2 >= 0.5:
        return Judgement("inconsistency", "serious", f"{facts}: I² ≥ 50%")
    if pi_wider:
        return Judgement("inconsistency", "serious", f"{facts}: the prediction interval includes no effect, "
                                                     "the 95% CI does not")  # fmt: skip
    return Judgement("inconsistency", "not serious")


def indirectness(a: Analysis, harmful: bool = False) -> Judgement:
    """Indirect evidence (GRADE Handbook 5.2.3): an outcome other than live birth (a
    surrogate such as clinical pregnancy; a harm counts in its own right), and studies
    most of which do not state their RIF definition (so whether their women had RIF, by
    the review's definition, is unknown). One of the two is serious, both very serious."""
    reasons = []
    if a.outcome != PATIENT_OUTCOME and not harmful:
        reasons.append(f"the outcome, {a.outcome.replace('_', ' ')}, is a surrogate for live birth")
    unstated = sum(s.rif_min_failed_transfers is None for s in a.studies)
    if unstated > len(a.studies) / 2:
        reasons.append(f"{unstated} of {len(a.studies)} studies do not state their RIF definition "
                       "(the number of failed transfers)")  # fmt: skip
    why = "; ".join(reasons)
    return Judgement("indirectness", SEVERITY[len(reasons)], why[:1].upper() + why[1:])


def imprecision(a: Analysis, participants: int | None, optimal_information_size: float | None) -> Judgement:
    """Imprecision (GRADE Handbook 5.2.4): serious when the 95 % CI includes no effect
    (1 for ratios, 0 for differences) or the participants fall short of the optimal
    information size; very serious when both."""
    _, low, high = relative_effect(a)
    null = _null(a)
    crosses = low <= null <= high
    facts = [f"95% CI {low:.2f} to {high:.2f} {'includes' if crosses else 'excludes'} no effect "
             f"({a.measure} {null:g})"]  # fmt: skip
    short = False
    ois = None if optimal_information_size is None else f"{math.ceil(optimal_information_size):,}"
    if ois is None:
        facts.append("the optimal information size was not given, so the participants were not judged")
    elif participants is None:
        facts.append(f"the number of participants is not known for every study, so it was not compared "
                     f"with the optimal information size ({ois})")  # fmt: skip
    else:
        short = participants < optimal_information_size  # type: ignore[operator]
        relation = "fewer than" if short else "at least"
        facts.append(f"{participants:,} participants, {relation} the optimal information size ({ois})")
    judgement = SEVERITY[crosses + short]
    noted = judgement != "not serious" or optimal_information_size is None or participants is None
    return Judgement("imprecision", judgement, "; ".join(facts) if noted else "")


def publication_bias(small_study: SmallStudyEffects | None) -> Judgement:
    """Publication bias (GRADE Handbook 5.2.5), from Egger's test (`living.SmallStudyEffects`):
    serious when p < 0.10; not assessed when the test was not run, or could not be."""
    domain = "publication bias"
    if small_study is None or small_study.why_not:
        why = small_study.why_not if small_study else "no test for small-study effects was run"
        return Judgement(domain, NOT_ASSESSED, f"Publication bias not assessed: {why}")
    p, k = small_study.p, small_study.k
    if p < EGGER_THRESHOLD:  # type: ignore[operator]
        why = f"Egger's test for funnel-plot asymmetry: p = {p:.3f} (k = {k}), below {EGGER_THRESHOLD:.2f}"
        return Judgement(domain, "serious", why)
    return Judgement(domain, "not serious")


def certainty_level(start: int, domains: Iterable[Judgement]) -> int:
    """The starting level less every level lost, never below 1 (very low)."""
    return max(1, start - sum(d.downgrade for d in domains))


# --- absolute effects -------------------------------------------------------------------------


def risk_with_intervention(measure: str, ratio: float, control_risk: float) -> float:
    """Pe from Pc: OR·Pc / (1 − Pc + OR·Pc), or RR·Pc (at most 1) (Cochrane Handbook 14.1.5.1)."""
    if measure == "OR":
        return ratio * control_risk / (1 - control_risk + ratio * control_risk)
    if measure == "RR":
        return min(1.0, ratio * control_risk)
    raise ValueError(f"{measure}: absolute risks come from an OR or an RR")


_NO_ABSOLUTE = {
    "HR": "A hazard ratio gives risks per 1,000 only at a time point of known control risk: not computed",
    "MD": "A continuous outcome: no risk per 1,000 (the mean difference is the effect)",
    "SMD": "A continuous outcome: no risk per 1,000 (the standardised mean difference is the effect)",
    "RD": "A pooled risk difference is not converted per 1,000 here: its scale as reported is not known",
}  # fmt: skip


def absolute_effects(measure: str, relative: tuple[float, float, float],
                     control_risk: float | None) -> tuple[AbsoluteEffects | None, str | None]:  # fmt: skip
    """(the effects per 1,000, None) or (None, why there are none)."""
    if measure not in ("OR", "RR"):
        return None, _NO_ABSOLUTE.get(measure, f"{measure}: absolute effects not computed")
    if control_risk is None:
        return None, "No control risk given: absolute effects per 1,000 not computed"
    pe = [risk_with_intervention(measure, r, control_risk) for r in relative]
    per_1000 = [_per_1000(p) for p in pe] + [_per_1000(p - control_risk) for p in pe]
    return AbsoluteEffects(_per_1000(control_risk), *per_1000), None


def _per_1000(proportion: float) -> int:
    """Per 1,000, rounded half away from zero (Python's round would round half to even)."""
    scaled = abs(proportion) * 1000
    return int(math.copysign(math.floor(scaled + 0.5), proportion))


def _count(per_1000: int) -> str:
    return f"{abs(per_1000)} {'fewer' if per_1000 < 0 else 'more'}"


def _control_note(control_risk: float, source: str) -> str:
    return (f"Risk with control {_per_1000(control_risk)} per 1,000: {source or 'source not given'}; "
            "the risk with the intervention applies the relative effect (and its 95% CI) to it")  # fmt: skip


def _null(a: Analysis) -> float:
    return 0.0 if a.measure in DIFFERENCE_MEASURES else 1.0


def _lettered(
    note: str, start: str, domains: tuple[Judgement, ...]
) -> tuple[tuple[Judgement, ...], tuple[Footnote, ...]]:
    """Letters a, b, c… for every note, in the order of the table's columns."""
    notes = [("absolute effects", note), ("start", start)]
    notes += [(d.domain, d.reason) for d in domains]
    footnotes = []
    for about, text in notes:
        if text:
            footnotes.append(Footnote(string.ascii_lowercase[len(footnotes)], about, text))
    letters = {f.about: f.letter for f in footnotes}
    return tuple(replace(d, footnote=letters.get(d.domain, "")) for d in domains), tuple(footnotes)


# --- many analyses, and a flat table -------------------------------------------------------


def sof_rows(analyses: Iterable[Analysis], inputs_by_name: Mapping[str, dict[str, Any]]) -> list[SoFRow]:
    """A row per analysis with an estimate (an analysis of subgroups only has none), each
    graded with the keyword arguments of `summary_of_findings` given under its name
    ("ivig_live_birth_rct"); Egger's test is run for it unless `small_study` is given."""
    from rifkb.review.living import small_study_effects

    analyses = list(analyses)
    unknown = sorted(set(inputs_by_name) - {a.name for a in analyses})
    if unknown:
        raise ValueError(f"inputs for analyses that do not exist: {', '.join(unknown)}")
    rows = []
    for a in (a for a in analyses if a.pooled is not None):
        inputs = dict(inputs_by_name.get(a.name, {}))
        inputs.setdefault("small_study", small_study_effects(a))
        rows.append(summary_of_findings(a, **inputs))
    return rows


def sof_table_rows(rows: Iterable[SoFRow], labels: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Flat rows for CSV or XLSX, their keys `SOF_COLUMNS`; concepts named by `labels`."""
    name = lambda concept: (labels or {}).get(concept, concept)  # noqa: E731
    return [_table_row(r, name) for r in rows]


def _table_row(r: SoFRow, name) -> dict[str, Any]:  # noqa: ANN001
    a, note = r.absolute, r.footnotes[0].letter  # the absolute effects always have a footnote, the first
    row = {
        "intervention": name(r.intervention), "population": r.population, "design": FAMILIES[r.design],
        "outcome": name(r.outcome), "studies": r.studies, "participants": r.participants,
        "relative effect (95% CI)": r.relative_text(),
        "risk with control per 1,000": f"{a.control if a else 'not computed'} ({note})",
        "risk with intervention per 1,000 (95% CI)": a.intervention_text() if a else "not computed",
        "difference per 1,000 (95% CI)": a.difference_text() if a else "not computed",
        "certainty": r.certainty_text(),
    }  # fmt: skip
    row |= {d.domain: d.judgement + (f" ({d.footnote})" if d.footnote else "") for d in r.domains}
    row["footnotes"] = " ".join(f"{f.letter}. {f.text.rstrip('.')}." for f in r.footnotes)
    return row
