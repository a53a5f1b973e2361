"""medspaCy's ConText (Harkema et al. 2009; Chapman et al. 2011) against rifkb's own
negation and hedge cues on the findings (issue 17). An experiment, not a dependency:

    pip install medspacy
    python benchmarks/findings_context.py shared/corpus/dev.jsonl shared/corpus/dev-gold.jsonl

rifkb's findings are read as usual; then, in "context" mode, each finding's negation and
hedging are decided by ConText instead: the finding's outcome mention in its sentence is
a target, ConText's default rules (102 modifiers: NEGATED_EXISTENCE, POSSIBLE_EXISTENCE,
HYPOTHETICAL ...) mark it, a negated target makes the finding no_difference and a possible
or hypothetical one with nothing measured (significance unknown) drops it, as rifkb's own
hedge rule does. Findings F1 on (kind, subject, object, direction) per dev half, and on
the fifty unseen cases of tests/nlp/unseen_findings.py.

Result (issue 17, medspaCy 1.3.1 with its default rules): lines 1-55 0.870 with either;
lines 56-110 (held out) own cues 0.866, ConText 0.844; the fifty unseen cases 0.961 with
either. rifkb keeps its own cues. (medspaCy pins spacy<3.8 and downgrades it on install:
reinstall the project's spaCy afterwards.)
"""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import spacy  # noqa: E402
from spacy.tokens import Span  # noqa: E402

from rifkb.corpus.formats import read_records  # noqa: E402
from rifkb.nlp.pipeline import build_pipeline  # noqa: E402
from rifkb.nlp.reading import extract_record  # noqa: E402
from rifkb.records import AbstractSection, Record  # noqa: E402

_HEDGES = {"POSSIBLE_EXISTENCE", "HYPOTHETICAL"}


class _ContextOnly:
    """spaCy's blank English tokenizer and ConText, called directly (medspaCy's factory
    does not validate under this spaCy's pydantic)."""

    def __init__(self):
        from medspacy.context import ConText

        self.nlp = spacy.blank("en")
        self.context = ConText(self.nlp)

    def make_doc(self, text: str):  # noqa: ANN201 - one sentence, marked as one
        doc = self.nlp.make_doc(text)
        for token in doc:
            token.is_sent_start = token.i == 0
        return doc

    def __call__(self, doc):  # noqa: ANN001, ANN204
        return self.context(doc)


def context_pipeline() -> _ContextOnly:
    return _ContextOnly()


def with_context(ctx: _ContextOnly, extraction):  # noqa: ANN001, ANN201 - an Extraction
    """The extraction's findings with negation and hedging decided by ConText."""
    kept = []
    for f in extraction.findings:
        sentence = f.evidence.sentence
        target = next((m for m in extraction.mentions if m.concept == f.object and m.text in sentence), None)
        if target is None:
            kept.append(f)
            continue
        doc = ctx.make_doc(sentence)
        at = sentence.find(target.text)
        span = doc.char_span(at, at + len(target.text), label="TARGET", alignment_mode="expand")
        if span is None:
            kept.append(f)
            continue
        doc.ents = [Span(doc, span.start, span.end, label="TARGET")]
        doc = ctx(doc)
        ent = doc.ents[0]
        categories = {m.category for m in ent._.modifiers}
        if "NEGATED_EXISTENCE" in categories and f.direction != "no_difference":
            kept.append(replace(f, direction="no_difference", significant=False))
        elif categories & _HEDGES and f.significant is None and f.direction != "no_difference":
            continue
        else:
            kept.append(f)
    return replace(extraction, findings=tuple(kept))


def f1(gold: dict[str, set], predicted: dict[str, set]) -> float:
    tp = sum(len(gold[d] & predicted.get(d, set())) for d in gold)
    fp = sum(len(predicted.get(d, set()) - gold[d]) for d in gold)
    fn = sum(len(gold[d] - predicted.get(d, set())) for d in gold)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def main(corpus: str, gold_path: str) -> None:
    nlp, ctx = build_pipeline(), context_pipeline()
    records = [r for chunk in read_records(Path(corpus), "jsonl") for r in chunk]
    own = {r.uid: extract_record(nlp, r) for r in records}
    theirs = {uid: with_context(ctx, x) for uid, x in own.items()}
    gold = [json.loads(line) for line in Path(gold_path).read_text(encoding="utf-8").splitlines()]
    for name, lines in (("lines 1-55", slice(0, 55)), ("lines 56-110", slice(55, 110))):
        g = {d["doc_id"]: {(f["kind"], f["subject"], f["object"], f["direction"]) for f in d["findings"]}
             for d in gold[lines]}  # fmt: skip
        for mode, found in (("own cues", own), ("ConText", theirs)):
            p = {uid: {f.key for f in x.findings} for uid, x in found.items()}
            print(f"{name:14} {mode:9} findings F1 {f1(g, p):.3f}")
    from tests.nlp.unseen_findings import CASES

    g, p_own, p_ctx = {}, {}, {}
    for cid, title, text, expected in CASES:
        x = extract_record(nlp, Record(source_id=cid, title=title, abstract=(AbstractSection(text),)))
        g[cid], p_own[cid] = expected, {f.key for f in x.findings}
        p_ctx[cid] = {f.key for f in with_context(ctx, x).findings}
    print(f"{'unseen 50':14} {'own cues':9} findings F1 {f1(g, p_own):.3f}")
    print(f"{'unseen 50':14} {'ConText':9} findings F1 {f1(g, p_ctx):.3f}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
