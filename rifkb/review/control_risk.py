"""The risk of the outcome without the intervention: the control arms of the studies with
per-arm counts, pooled. Both the required information size of a trial sequential analysis
(`sequential`) and the size of the next trial (`next_trial`) start from it.

Each control arm's proportion is taken on the logit scale, yi = ln(x / (n − x)) with
variance 1/x + 1/(n − x), ½ added to x and n − x only for an arm with no events or only
events (metafor's escalc, measure "PLO", add = 1/2, to = "only0"), pooled with random
effects (DerSimonian–Laird) and back-transformed with the inverse logit, as
`predict(rma(measure = "PLO", xi, ni, method = "DL"), transf = transf.ilogit)` does.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from rifkb.review.meta import pool
from rifkb.review.study_inputs import StudyInput


@dataclass(frozen=True)
class ControlRisk:
    """The pooled proportion of events in the control arms, with its 95 % interval."""

    risk: float
    ci_low: float
    ci_high: float
    k: int
    doc_ids: tuple[str, ...]
    events: int  # summed over the control arms
    total: int

    @property
    def source(self) -> str:
        """'pooled control arms of 2 studies (logit, random effects)'."""
        if self.k == 1:
            return "control arm of 1 study (logit)"
        return f"pooled control arms of {self.k} studies (logit, random effects)"

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "doc_ids": list(self.doc_ids), "source": self.source}


def logit_proportion(events: int, total: int) -> tuple[float, float]:
    """(logit, its SE) of one arm, ½ added to both cells only when one of them is 0."""
    x, rest = float(events), float(total - events)
    if events == 0 or events == total:
        x, rest = x + 0.5, rest + 0.5
    return math.log(x / rest), math.sqrt(1 / x + 1 / rest)


def _expit(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def pooled_control_risk(studies: Sequence[StudyInput]) -> ControlRisk | None:
    """The control arms of the studies that give counts, pooled; None when no study does
    (a question of fact, not a failure: the caller says why no risk can be given)."""
    arms = [(s.doc_id, s.events[1], s.totals[1]) for s in studies
            if s.events is not None and s.totals is not None and s.totals[1] > 0]  # fmt: skip
    arms = list({doc: (doc, x, n) for doc, x, n in arms}.values())  # one arm a study
    if not arms:
        return None
    logits = [logit_proportion(x, n) for _, x, n in arms]
    pooled = pool([y for y, _ in logits], [se for _, se in logits], method="dl", ratio=False).random
    return ControlRisk(
        risk=_expit(pooled.yi), ci_low=_expit(pooled.ci_low), ci_high=_expit(pooled.ci_high), k=len(arms),
        doc_ids=tuple(doc for doc, _, _ in arms), events=sum(x for _, x, _ in arms),
        total=sum(n for _, _, n in arms),
    )  # fmt: skip
