"""How a paper uses each intervention it names: as a therapy it studies, or only as a
sample or a material. "Peripheral venous blood was taken to detect NK cells in peripheral
blood mononuclear cells" names PBMC, yet the paper does not study PBMC infusion.

The graph asks this before it makes a paper a study of an intervention (an intervention
`studied_in` a population, `co_studied` with a mechanism, a treatment finding counted for
it). It reads the sentences of the paper's mentions with the phrases of
`rules/contexts.tsv` beside the name ("cells in {}", "{} were isolated"; "intrauterine
{}", "{} group"). A treatment arm in the study data, an estimate whose intervention it is
and a treatment finding are a therapy's evidence, unless their sentence names it only as
a sample (the way a finding can misread "Foxp3 mRNA in PBMCs from the pregnant group was
higher").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rifkb.records import Extraction
from rifkb.rules import ContextCue

SAMPLE, THERAPY = "sample", "therapy"
# A short form in brackets after a name is the same name: "cells (PBMC) were isolated".
_BRACKETED = re.compile(r"\s*\(\s*$")
_CLOSING = re.compile(r"\s*\)")


@dataclass(frozen=True)
class Use:
    """One intervention in one paper: the sentences that name it as a therapy (or plainly),
    those that name it only as a sample, and those of its arms, estimates and treatment
    findings (`tested`), in the order of the abstract."""

    concept: str
    therapy: tuple[str, ...]
    samples: tuple[str, ...]
    tested: tuple[str, ...]

    @property
    def studied(self) -> bool:
        """Whether the paper studies it as a therapy, rather than only sampling it."""
        return bool(self.therapy or self.tested)

    def as_sample(self, sentence: str) -> bool:
        """Whether a fact read from this sentence is about the name as a sample only."""
        return not self.studied or sentence in self.samples


class ContextReader:
    """The phrases of contexts.tsv, compiled once per graph (no module-level cache)."""

    def __init__(self, cues: Iterable[ContextCue]) -> None:
        self._cues = [(c.role, _before(c.before), _after(c.after)) for c in cues]

    def use_of(self, sentence: str, start: int, end: int) -> str | None:
        """ "therapy", "sample" or None (a plain mention) for the name at start:end."""
        before, after = sentence[:start], sentence[end:]
        roles = {role for role, b, a in self._cues
                 if (b is None or b.search(before)) and (a is None or a.match(after))}  # fmt: skip
        return THERAPY if THERAPY in roles else SAMPLE if SAMPLE in roles else None

    def only_sample(self, sentence: str, names: Iterable[str]) -> bool:
        """Whether every place the sentence names the intervention is a sample's; a
        sentence where a name is not found is not one."""
        spans = _spans(sentence, names)
        return bool(spans) and all(self.use_of(sentence, s, e) == SAMPLE for s, e in spans)


def uses_of(extraction: Extraction, reader: ContextReader) -> dict[str, Use]:
    """Each intervention the extraction mentions, and how the paper uses it."""
    names: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for m in extraction.mentions:
        if m.type == "intervention":
            names[m.concept][m.evidence.sentence].add(m.text)
    uses = {}
    for concept, sentences in names.items():
        samples = [s for s, texts in sentences.items() if reader.only_sample(s, texts)]
        therapy = [s for s in sentences if s not in samples]
        tested = [s for s in dict.fromkeys(_tested(extraction, concept)) if s not in samples]
        uses[concept] = Use(concept, tuple(therapy), tuple(samples), tuple(tested))
    return uses


def _tested(extraction: Extraction, concept: str) -> Iterable[str]:
    """The sentences of a concept's treatment arms, estimates and treatment findings."""
    yield from (d.evidence.sentence for d in extraction.study_data if d.group == concept)
    yield from (e.evidence.sentence for e in extraction.effects if concept in (e.intervention, e.comparator))
    yield from (
        f.evidence.sentence for f in extraction.findings if f.kind == "treatment" and f.subject == concept
    )


def _spans(sentence: str, names: Iterable[str]) -> list[tuple[int, int]]:
    """Where the names stand in the sentence, a name and its bracketed short form as one."""
    found = sorted(
        (m.start(), m.end())
        for name in names if name
        for m in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", sentence)
    )  # fmt: skip
    spans: list[tuple[int, int]] = []
    for start, end in found:
        if spans and (start < spans[-1][1] or _BRACKETED.fullmatch(sentence[spans[-1][1] : start])):
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return [(s, closing.end() if (closing := _CLOSING.match(sentence, e)) else e) for s, e in spans]


def _before(words: str) -> re.Pattern[str] | None:
    """Words that end right before the name."""
    return re.compile(rf"(?<!\w){_words(words)}\s*$", re.IGNORECASE) if words else None


def _after(words: str) -> re.Pattern[str] | None:
    """Words that start right after the name."""
    return re.compile(rf"\s*{_words(words)}(?!\w)", re.IGNORECASE) if words else None


def _words(phrase: str) -> str:
    return r"\s+".join(re.escape(w) for w in phrase.split())
