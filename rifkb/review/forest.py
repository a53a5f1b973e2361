"""Forest plots as review authors know them from RevMan (Cochrane's Review Manager): one per
intervention × outcome.

Rows: each study (first author and year; the first words of its title and year when no
author is known, never the journal), its per-arm events/total when known, its weight and
its estimate with interval as text, a square sized by its weight on a line for its
interval; per stratum a subtotal diamond and its heterogeneity; the overall diamond; under
the plot, heterogeneity (τ², χ², df, p, I²), the test for the overall effect, the test for
subgroup differences, the prediction interval, and the syntheses others have published
(listed, never pooled). The axis is logarithmic for ratios, with "Favours control" and
"Favours <intervention>" under it on the sides the outcome's role gives (for a harm such
as miscarriage a ratio below 1 favours the intervention). Concepts are named by their
label in concepts.tsv. PNG at 300 dpi and SVG; the same analysis gives the same bytes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: never open a window
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Polygon  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter  # noqa: E402

from rifkb.review.drawing import save_figure  # noqa: E402
from rifkb.review.meta import Pooled  # noqa: E402
from rifkb.review.study_inputs import StudyInput  # noqa: E402
from rifkb.review.synthesis import Analysis, PublishedSynthesis, Stratum  # noqa: E402

_RATIO_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)
_ROW = 0.26  # inches a row
_COLUMNS = {"study": 0.0, "treated": 0.48, "control": 0.61, "weight": 0.73, "estimate": 1.0}


@dataclass(frozen=True)
class _Row:
    kind: str  # "header" | "study" | "subgroup" | "subtotal" | "total"
    label: str
    study: StudyInput | None = None
    pooled: Pooled | None = None
    note: str = ""


def forest_plot(analysis: Analysis, directory: Path, labels: Mapping[str, str] | None = None,
                harms: frozenset[str] = frozenset()) -> list[Path]:  # fmt: skip
    """forest_<analysis name>.png and .svg: forest_ivig_live_birth_rct, one per design family."""
    stem = directory / f"forest_{analysis.name}"
    return _save(forest_figure(analysis, labels, harms), stem)


def forest_figure(analysis: Analysis, labels: Mapping[str, str] | None = None,
                  harms: frozenset[str] = frozenset()) -> plt.Figure:  # fmt: skip
    """The forest plot of one analysis, drawn (`forest_plot` writes it)."""
    name = _namer(labels)
    rows = _rows(analysis)
    height = 1.9 + _ROW * (len(rows) + len(_footer(analysis, name)))
    fig = plt.figure(figsize=(11.5, height))
    top = 1 - 0.75 / height
    bottom = (0.9 + _ROW * len(_footer(analysis, name))) / height
    text = fig.add_axes((0.01, bottom, 0.56, top - bottom))
    plot = fig.add_axes((0.60, bottom, 0.37, top - bottom), sharey=text)
    _table(text, analysis, rows, name)
    _plot(plot, analysis, rows, name, analysis.outcome in harms)
    fig.suptitle(title_of(analysis, name), x=0.01, ha="left", fontsize=11, weight="bold")
    _write_footer(fig, analysis, name, bottom)
    return fig


def title_of(a: Analysis, name) -> str:  # noqa: ANN001
    """'intravenous immunoglobulin versus control: live birth (recurrent implantation
    failure; RCT)'."""
    from rifkb.review.synthesis import FAMILIES

    title = f"{name(a.intervention)} versus {name(a.comparator)}: {name(a.outcome)}"
    return f"{title} ({_population(a.population)}; {FAMILIES[a.design]})"


def _rows(a: Analysis) -> list[_Row]:
    rows: list[_Row] = []
    pooled_strata = [s for s in a.strata if not s.subgroup]
    if pooled_strata:
        for s in pooled_strata:
            rows.append(_Row("header", s.name))
            rows += [_study_row(x) for x in s.studies]
            label = "Subtotal: 1 study (95% CI)" if s.pooled.k == 1 else "Subtotal (95% CI)"
            rows.append(_Row("subtotal", label, pooled=s.pooled, note=_heterogeneity(s.pooled)))
    else:
        rows += [_Row("study", x.label, study=x) for x in a.studies]
    if a.pooled is not None:
        label = "Total: 1 study, not pooled (95% CI)" if a.pooled.k == 1 else "Total (95% CI)"
        rows.append(_Row("total", label, pooled=a.pooled))
    subgroups = [s for s in a.strata if s.subgroup]
    if subgroups:
        rows.append(_Row("header", "Subgroups reported by studies (not pooled)"))
        rows += [_Row("subgroup", _subgroup_label(s), study=s.studies[0]) for s in subgroups]
    return rows


def _study_row(x: StudyInput) -> _Row:
    """A study in a stratum; its subgroup joining a RIF-definition stratum is drawn as a
    subgroup (open square, no weight: it is not in the total)."""
    if x.subgroup and x.rif_from_subgroup:
        return _Row("subgroup", f"{x.label} (subgroup)", study=x)
    return _Row("study", x.label, study=x)


def _subgroup_label(s: Stratum) -> str:
    study = s.studies[0]
    return f"{study.label}: {study.subgroup}"


def _table(ax: plt.Axes, a: Analysis, rows: list[_Row], name) -> None:  # noqa: ANN001
    ax.set_axis_off()
    ax.set_ylim(len(rows) - 0.5, -1.5)
    heads = {
        "study": "Study or subgroup",
        "treated": "Intervention\nevents/total",
        "control": "Control\nevents/total",
        "weight": "Weight",
        "estimate": f"{a.measure} [95% CI]",
    }
    for column, head in heads.items():
        ax.text(_COLUMNS[column], -1.0, head, ha=_align(column), va="bottom", fontsize=8, weight="bold")
    for y, row in enumerate(rows):
        bold = "bold" if row.kind in ("header", "total", "subtotal") else "normal"
        ax.text(0.0, y, _clip(row.label, 46), va="center", fontsize=8, weight=bold)
        for column, value in (_cells(a, row) | _single(a, row)).items():
            ax.text(_COLUMNS[column], y, value, ha=_align(column), va="center", fontsize=8, weight=bold)


def _cells(a: Analysis, row: _Row) -> dict[str, str]:
    if row.study is not None:
        s = row.study
        weight = f"{s.weight:.1f}%" if row.kind == "study" else ""
        cells = {"weight": weight, "estimate": _interval(a, s)}
        if s.events and s.totals:
            cells |= {"treated": f"{s.events[0]}/{s.totals[0]}", "control": f"{s.events[1]}/{s.totals[1]}"}
        return cells
    if row.pooled is not None:
        p = row.pooled
        weight = "100.0%" if row.kind == "total" else ""
        return {"weight": weight, "estimate": f"{p.estimate:.2f} [{p.ci_low:.2f}, {p.ci_high:.2f}]"}
    return {}


def _single(a: Analysis, row: _Row) -> dict[str, str]:
    """A total or subtotal of one study: that study's own estimate and interval."""
    studies = a.studies if row.kind == "total" else next(
        (s.studies for s in a.strata if s.pooled is row.pooled), ())  # fmt: skip
    if len(studies) == 1 and row.pooled is not None and row.pooled.k == 1:
        return {"estimate": _interval(a, studies[0])}
    return {}


def _interval(a: Analysis, s: StudyInput) -> str:
    """A study's estimate as its abstract reports it, or as its counts give it."""
    value, low, high = s.reported or (_centre(a, s), _low(a, s), _high(a, s))
    return f"{value:.2f} [{low:.2f}, {high:.2f}]"


def _centre(a: Analysis, s: StudyInput) -> float:
    return math.exp(s.yi) if a.ratio else s.yi


def _plot(ax: plt.Axes, a: Analysis, rows: list[_Row], name, harm: bool) -> None:  # noqa: ANN001
    null = 0.0 if not a.ratio else 1.0
    lows, highs = [], []
    for y, row in enumerate(rows):
        if row.study is not None:
            lows.append(_low(a, row.study)), highs.append(_high(a, row.study))
            _square(ax, a, row.study, y, kept_apart=row.kind == "subgroup")
        elif row.pooled is not None:
            _diamond(ax, row.pooled, y, a.ratio, "black" if row.kind == "total" else "#404040")
            lows.append(row.pooled.ci_low), highs.append(row.pooled.ci_high)
    ax.axvline(null, color="black", lw=0.8)
    if a.pooled is not None:
        ax.axvline(a.pooled.estimate, color="grey", lw=0.6, ls=":")
    _axis(ax, a, min(lows), max(highs), name, harm)
    ax.tick_params(axis="y", left=False, labelleft=False)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)


def _low(a: Analysis, s: StudyInput) -> float:
    return math.exp(s.yi - 1.96 * s.sei) if a.ratio else s.yi - 1.96 * s.sei


def _high(a: Analysis, s: StudyInput) -> float:
    return math.exp(s.yi + 1.96 * s.sei) if a.ratio else s.yi + 1.96 * s.sei


def _square(ax: plt.Axes, a: Analysis, s: StudyInput, y: int, kept_apart: bool = False) -> None:
    """A square sized by the study's weight; a subgroup kept apart has no weight: an open one."""
    ax.plot([_low(a, s), _high(a, s)], [y, y], color="black", lw=0.9)
    if kept_apart:
        ax.plot([_centre(a, s)], [y], marker="s", markersize=5, color="white", markeredgecolor="#1f5fa8")
        return
    size = 3 + 9 * math.sqrt(max(s.weight, 0.0) / 100)
    ax.plot([_centre(a, s)], [y], marker="s", markersize=size, color="#1f5fa8", markeredgecolor="#1f5fa8")


def _diamond(ax: plt.Axes, p: Pooled, y: int, ratio: bool, colour: str) -> None:
    points = [(p.ci_low, y), (p.estimate, y - 0.32), (p.ci_high, y), (p.estimate, y + 0.32)]
    ax.add_patch(Polygon(points, closed=True, color=colour))


def _axis(ax: plt.Axes, a: Analysis, low: float, high: float, name, harm: bool) -> None:  # noqa: ANN001
    estimate_axis(ax, a.ratio, low, high)
    favours(ax, a, name, harm)


def estimate_axis(ax: plt.Axes, ratio: bool, low: float, high: float, axis: str = "x") -> None:
    """A log axis with round ticks for ratios (always showing 0.5 to 2), or one centred on
    0 for differences: the axis of every plot of estimates (forest, cumulative, funnel;
    `axis="y"` for a bubble plot's effect)."""
    scale, limits, which = (
        getattr(ax, f"set_{axis}scale"),
        getattr(ax, f"set_{axis}lim"),
        getattr(ax, f"{axis}axis"),
    )
    if ratio:
        scale("log")
        low, high = min(low, 0.5), max(high, 2.0)
        ticks = [t for t in _RATIO_TICKS if low / 1.2 <= t <= high * 1.2]
        limits(min(ticks[0], low) / 1.1, max(ticks[-1], high) * 1.1)
        which.set_major_locator(FixedLocator(ticks))
        which.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        which.set_minor_formatter(NullFormatter())
    else:
        span = max(abs(low), abs(high)) * 1.1 or 1.0
        limits(-span, span)
    ax.tick_params(axis=axis, labelsize=8)


def favours(ax: plt.Axes, a: Analysis, name, harm: bool) -> None:  # noqa: ANN001
    """'Favours control' and 'Favours <intervention>' under the axis, swapped for a harm
    (a ratio below 1 then favours the intervention); 'Lower/Higher with' an exposure."""
    left, right = "Favours control", f"Favours {_short(name(a.intervention))}"
    if a.kind == "association":
        left, right = (f"{word} with {_short(name(a.intervention))}" for word in ("Lower", "Higher"))
    elif harm:
        left, right = right, left
    # a fixed distance under the axis, below its tick labels, whatever the plot's height
    # (a fraction of the axes' height put them on the ticks of a one-study plot)
    for x, text, align in ((0.02, left, "left"), (0.98, right, "right")):
        ax.annotate(text, xy=(x, 0), xycoords="axes fraction", xytext=(0, -20), textcoords="offset points",
                    ha=align, va="top", fontsize=8)  # fmt: skip


def _footer(a: Analysis, name) -> list[str]:  # noqa: ANN001
    lines = [f"Warning: {w}" for w in a.warnings]
    if a.single:
        lines.append("1 study: its own estimate and interval, not a pooled one")
    elif a.pooled is not None:
        p = a.pooled
        lines.append(f"Total: {_heterogeneity(p)}")
        lines.append(f"Test for overall effect: Z = {abs(p.z):.2f} (P {_p(p.p)}); random effects "
                     f"({_METHODS[a.method]}{', Hartung–Knapp' if a.hartung_knapp else ''})")  # fmt: skip
        if p.pi_low is not None:
            lines.append(f"95% prediction interval: {p.pi_low:.2f} to {p.pi_high:.2f}")
    if a.subgroup_test is not None:
        t = a.subgroup_test
        lines.append(f"Test for subgroup differences ({a.by.replace('_', ' ')}): Chi² = {t.q:.2f}, "
                     f"df = {t.df} (P {_p(t.p)})")  # fmt: skip
    if a.published_syntheses:
        lines.append("Published syntheses (listed, not pooled):")
        lines += [f"    {_published(s)}" for s in a.published_syntheses[:6]]
        if len(a.published_syntheses) > 6:
            lines.append(f"    ... and {len(a.published_syntheses) - 6} more (rifkb synthesize --json)")
    return lines


_METHODS = {"dl": "DerSimonian–Laird", "reml": "REML", "pm": "Paule–Mandel"}


def _published(s: PublishedSynthesis) -> str:
    return _clip(f"{s.summary()} — {s.sentence}", 140)


def _write_footer(fig: plt.Figure, a: Analysis, name, bottom: float) -> None:  # noqa: ANN001
    lines = _footer(a, name)
    height = fig.get_figheight()
    for i, line in enumerate(lines):
        y = bottom - (0.62 + _ROW * i) / height
        fig.text(0.01, y, line, fontsize=7.5, ha="left", va="top")


def _heterogeneity(p: Pooled) -> str:
    if p.k < 2:
        return "Heterogeneity: not applicable (one study)"
    return (f"Heterogeneity: Tau² = {p.tau2:.2f}; Chi² = {p.q:.2f}, df = {p.k - 1} (P {_p(p.q_p)}); "
            f"I² = {100 * p.i2:.0f}%")  # fmt: skip


def _p(p: float | None) -> str:
    if p is None:
        return "n/a"
    return "< 0.0001" if p < 0.0001 else f"= {p:.4f}".rstrip("0").rstrip(".") if p < 0.01 else f"= {p:.2f}"


def _population(population: str) -> str:
    return {"rif": "recurrent implantation failure", "rpl": "recurrent pregnancy loss",
            "all": "all populations"}[population]  # fmt: skip


def _align(column: str) -> str:
    return "left" if column == "study" else "right" if column == "estimate" else "center"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _short(label: str) -> str:
    """A label short enough for a column head: 'intravenous immunoglobulin', not its
    parenthesised alternatives; of alternatives written 'heparin / low-molecular-weight
    heparin', the first."""
    return _clip(re.sub(r"\s*\(.*?\)", "", label).split(" / ")[0], 28)


def _namer(labels: Mapping[str, str] | None):  # noqa: ANN202
    return lambda concept: (labels or {}).get(concept, concept)


def _save(fig: plt.Figure, stem: Path) -> list[Path]:
    return save_figure(fig, stem)
