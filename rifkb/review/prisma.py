"""The PRISMA 2020 flow of a corpus (Page et al. 2021, "The PRISMA 2020 statement", BMJ
372:n71, figure 1): records identified per source, duplicates removed, records screened,
excluded with their reasons, awaiting screening, and the studies included in the review
and in the synthesis; counted from the store (`rifkb.corpus.status`, which `rifkb
status` prints) and the screening decisions (`rifkb.kb.papers.reviewed_papers`, which
every output reads), and drawn as the diagram every review prints.

rifkb screens once, on title and abstract, so the flow has one screening stage: PRISMA's
"reports assessed for eligibility" is the same step here, and its exclusions carry the
reasons. Records nobody has screened yet are counted apart ("awaiting screening"); when
`[screening] unscreened = "include"` they count among the included studies (flagged).
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt

from rifkb.corpus.folder import Corpus
from rifkb.corpus.status import corpus_status
from rifkb.corpus.store import SourceCount, Store
from rifkb.kb.papers import Reviewed, reviewed_papers
from rifkb.records import INCLUDE, UNSCREENED
from rifkb.review.drawing import save_figure, svg_text
from rifkb.review.synthesis import Analysis

TITLE = "PRISMA 2020 flow diagram"
_MOST_REASONS = 12  # listed one by one in the exclusion box; the rest are summed


@dataclass(frozen=True)
class PrismaFlow:
    corpus: str
    sources: tuple[SourceCount, ...]  # records each search, import file and snapshot brought
    identified: int  # all sources together, duplicates included
    duplicates_removed: int
    records: int  # after duplicates were removed
    screened: int  # records with a decision: included or excluded
    excluded: int
    reasons: tuple[tuple[str, int], ...]  # (reason, records excluded for it), most first
    awaiting: int  # records nobody has screened yet
    unscreened_included: bool  # whether those count as included (`[screening] unscreened`)
    included: int  # studies in the outputs: included, and unscreened when they count
    included_unscreened: int  # of the included, those not screened yet
    not_extracted: int  # neither excluded nor left out, but without an extraction to show
    synthesized: int | None = None  # studies pooled in at least one analysis (None: not asked)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["reasons"] = [{"reason": r, "records": n} for r, n in self.reasons]
        return out


def prisma_flow(corpus: Corpus, store: Store, reviewed: Reviewed | None = None,
                analyses: Sequence[Analysis] | None = None) -> PrismaFlow:  # fmt: skip
    """The flow of a corpus as it stands; `reviewed` and `analyses` when the caller has
    them already (the studies in the synthesis are counted only given `analyses`)."""
    status = corpus_status(corpus, store)
    if reviewed is None:
        reviewed = reviewed_papers(store, corpus.unscreened_included)
    included_decided = sum(d.decision == INCLUDE for d in reviewed.decisions.values())
    screened = len(reviewed.excluded) + included_decided
    reasons = Counter(d.reason or "no reason given" for _, d in reviewed.excluded)
    left_out = len(reviewed.excluded) + len(reviewed.unscreened_left_out)
    return PrismaFlow(
        corpus=corpus.name, sources=status.by_source, identified=status.identified,
        duplicates_removed=status.duplicates_removed, records=status.records, screened=screened,
        excluded=len(reviewed.excluded), reasons=tuple(sorted(reasons.items(), key=lambda r: (-r[1], r[0]))),
        awaiting=status.records - screened, unscreened_included=corpus.unscreened_included,
        included=len(reviewed.papers),
        included_unscreened=sum(p.screening == UNSCREENED for p in reviewed.papers),
        not_extracted=status.records - left_out - len(reviewed.papers),
        synthesized=None if analyses is None else len(_pooled(analyses)),
    )  # fmt: skip


def _pooled(analyses: Sequence[Analysis]) -> set[str]:
    """The studies (doc ids) some analysis pools, in its total or in a stratum."""
    return {s.doc_id for a in analyses for s in (*a.studies, *(x for st in a.strata for x in st.studies))}


# --- the diagram -------------------------------------------------------------------------

_WIDTH = 10.0  # inches
_MAIN, _SIDE, _BOX = 0.85, 5.55, 4.25  # left edges of the two columns, width of a box
_LINE, _PAD, _GAP = 0.19, 0.11, 0.42  # a line of text, the padding in a box, the gap between rows
_TOP = 0.75  # the header band
_WRAP = 56  # characters a line of a box holds at 9 pt
_PHASE_COLOUR, _HEADER_COLOUR = "#cfe2f3", "#fde9a9"
_LETTER = 0.085  # inches a letter of a phase's name takes, at 10 pt bold


def _n(count: int) -> str:
    """'(n = 4)', never broken across lines (no-break spaces: textwrap splits on ASCII ones)."""
    return f"(n\u00a0=\u00a0{count})"


@dataclass(frozen=True)
class _Row:
    phase: str
    main: tuple[str, ...]  # the first line is the box's heading, in bold
    side: tuple[str, ...] = ()

    @property
    def height(self) -> float:
        return max(_height(self.main), _height(self.side))


def prisma_figure(flow: PrismaFlow, directory: Path) -> list[Path]:
    """prisma_flow.png (300 dpi) and prisma_flow.svg."""
    return save_figure(draw_prisma(flow), directory / "prisma_flow")


def prisma_svg(flow: PrismaFlow) -> str:
    """The diagram as an `<svg>` element, for the HTML report."""
    return svg_text(draw_prisma(flow), title=f"{TITLE}: {describe(flow)}")


def describe(flow: PrismaFlow) -> str:
    """The flow in one sentence, the figure's text alternative."""
    reasons = "; ".join(f"{r}: {n}" for r, n in flow.reasons)
    pooled = f"; {flow.synthesized} in the synthesis" if flow.synthesized is not None else ""
    return (f"{flow.identified} records identified, {flow.duplicates_removed} duplicates removed, "
            f"{flow.screened} screened, {flow.excluded} excluded" + (f" ({reasons})" if reasons else "")
            + f", {flow.awaiting} awaiting screening; {flow.included} studies included{pooled}.")  # fmt: skip


def draw_prisma(flow: PrismaFlow) -> plt.Figure:
    """Boxes in PRISMA 2020's layout: the main column down the left (identification ->
    screening -> included), what leaves the flow on the right, the phases as bands."""
    rows = _rows(flow)
    heights = _row_heights(rows)
    height = _TOP + sum(heights) + _GAP * len(rows)
    fig = plt.figure(figsize=(_WIDTH, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, _WIDTH)
    ax.set_ylim(height, 0)
    ax.set_axis_off()
    _rectangle(ax, _MAIN, 0.15, _SIDE + _BOX - _MAIN, 0.42, _HEADER_COLOUR)
    ax.text((_MAIN + _SIDE + _BOX) / 2, 0.36, "Identification of studies via databases and other sources",
            ha="center", va="center", fontsize=10, weight="bold")  # fmt: skip
    y, spans, last_main = _TOP, {}, None
    for row, row_height in zip(rows, heights, strict=True):
        main_height = _box(ax, _MAIN, y, row.main)
        if last_main is not None:
            _arrow(ax, (_MAIN + _BOX / 2, last_main), (_MAIN + _BOX / 2, y))
        if row.side:
            _box(ax, _SIDE, y, row.side)
            _arrow(ax, (_MAIN + _BOX, y + main_height / 2), (_SIDE, y + main_height / 2))
        top, _ = spans.get(row.phase, (y, y))
        spans[row.phase] = (top, y + row_height)
        last_main = y + main_height
        y += row_height + _GAP
    for phase, (top, bottom) in spans.items():
        _rectangle(ax, 0.2, top, 0.42, bottom - top, _PHASE_COLOUR)
        ax.text(0.41, (top + bottom) / 2, phase, rotation=90, ha="center", va="center", fontsize=10,
                weight="bold")  # fmt: skip
    return fig


def _row_heights(rows: list[_Row]) -> list[float]:
    """Each row's height: its taller box, the last row of a phase made taller where the
    phase's band would be too short for its name."""
    heights = [r.height for r in rows]
    for phase in dict.fromkeys(r.phase for r in rows):
        members = [i for i, r in enumerate(rows) if r.phase == phase]
        band = sum(heights[i] for i in members) + _GAP * (len(members) - 1)
        heights[members[-1]] += max(0.0, _LETTER * len(phase) + 0.3 - band)
    return heights


def _rows(flow: PrismaFlow) -> list[_Row]:
    rows = [
        _Row("Identification", (f"Records identified {_n(flow.identified)}", *_sources(flow)),
             ("Records removed before screening:",
              f"Duplicate records removed {_n(flow.duplicates_removed)}")),
        _Row("Screening", (f"Records after duplicates removed {_n(flow.records)}",),
             (f"Records awaiting screening {_n(flow.awaiting)}",
              "counted as included, flagged as unscreened" if flow.unscreened_included
              else "left out of the review until screened")),
        _Row("Screening", (f"Records screened {_n(flow.screened)}", "on title and abstract"),
             (f"Records excluded {_n(flow.excluded)}", *_reasons(flow))),
        _Row("Included", _included(flow), _not_read(flow)),
    ]  # fmt: skip
    if flow.synthesized is not None:
        rows.append(_Row("Included", (f"Studies included in the synthesis {_n(flow.synthesized)}",
                                      "pooled in at least one meta-analysis")))  # fmt: skip
    return rows


_SOURCE_KINDS = {"search": "PubMed search", "import": "File imported", "snapshot": "Corpus snapshot"}


def _sources(flow: PrismaFlow) -> list[str]:
    if not flow.sources:
        return ["no source has brought records yet"]
    return [f"{_SOURCE_KINDS.get(s.kind, s.kind)} {s.source} {_n(s.records)}" for s in flow.sources]


def _reasons(flow: PrismaFlow) -> list[str]:
    shown = [f"{reason} {_n(n)}" for reason, n in flow.reasons[:_MOST_REASONS]]
    rest = flow.reasons[_MOST_REASONS:]
    if rest:
        shown.append(f"{len(rest)} other reasons {_n(sum(n for _, n in rest))}")
    return shown


def _included(flow: PrismaFlow) -> tuple[str, ...]:
    lines = [f"Studies included in the review {_n(flow.included)}",
             f"screened and included {_n(flow.included - flow.included_unscreened)}"]  # fmt: skip
    if flow.unscreened_included:
        lines.append(f"not screened yet, counted as included {_n(flow.included_unscreened)}")
    return tuple(lines)


def _not_read(flow: PrismaFlow) -> tuple[str, ...]:
    if not flow.not_extracted:
        return ()
    return (f"Records not read {_n(flow.not_extracted)}", "no extraction yet, or it failed (rifkb extract)")


def _lines(lines: Sequence[str]) -> list[tuple[str, bool]]:
    """(text, bold) per printed line: the heading bold, the others indented, all wrapped."""
    out = []
    for i, line in enumerate(lines):
        indent = "" if i == 0 else "  "
        wrapped = textwrap.wrap(line, _WRAP, initial_indent=indent, subsequent_indent=indent + "  ")
        out += [(w, i == 0) for w in wrapped or [""]]
    return out


def _height(lines: Sequence[str]) -> float:
    return 2 * _PAD + _LINE * len(_lines(lines)) if lines else 0.0


def _box(ax: plt.Axes, x: float, y: float, lines: Sequence[str]) -> float:
    height = _height(lines)
    _rectangle(ax, x, y, _BOX, height, "white")
    for i, (text, bold) in enumerate(_lines(lines)):
        ax.text(x + _PAD, y + _PAD + _LINE * (i + 0.5), text, va="center", ha="left", fontsize=9,
                weight="bold" if bold else "normal")  # fmt: skip
    return height


def _rectangle(ax: plt.Axes, x: float, y: float, width: float, height: float, colour: str) -> None:
    ax.add_patch(plt.Rectangle((x, y), width, height, facecolor=colour, edgecolor="black", lw=0.8))


def _arrow(ax: plt.Axes, start: tuple[float, float], end: tuple[float, float]) -> None:
    arrow = {"arrowstyle": "-|>", "color": "black", "lw": 0.9, "shrinkA": 0, "shrinkB": 0}
    ax.annotate("", xy=end, xytext=start, arrowprops=arrow)
