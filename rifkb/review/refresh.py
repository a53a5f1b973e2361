"""One command for a review author: fetch new records, extract them, rebuild the graph,
the review tables, the figures (the PRISMA flow among them) and the HTML report, and say
what changed since the last refresh. Each folder written gets a manifest of the files
written there (`rifkb.files.record_outputs`), and an output of an earlier refresh that
this one no longer writes is removed.

What changed is measured against the state the last refresh left in the store (its
records, their findings and their effect estimates), so a refresh that brings nothing
new says so.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rifkb.corpus.folder import Corpus
from rifkb.corpus.store import Run, Store
from rifkb.errors import FetchError
from rifkb.files import output_folder, record_outputs, write_text_atomic
from rifkb.kb.papers import Reviewed
from rifkb.kb.rulesets import rules_of_extraction, rules_to_extract_with
from rifkb.records import INCLUDE, Extraction
from rifkb.rules import RuleSet, load_rules

STATE_KEY = "last_refresh"


@dataclass(frozen=True)
class Changes:
    first_refresh: bool
    new_records: tuple[str, ...]
    new_findings: tuple[tuple[str, str], ...]  # (doc_id, "kind subject object direction")
    # (doc_id, estimates before, estimates now), as tables write them ("OR 3.64 (1.78 to 7.67) live_birth")
    changed_estimates: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]


@dataclass(frozen=True)
class RefreshReport:
    runs: tuple[Run, ...]
    extracted: int
    failed: tuple[str, ...]
    outputs: tuple[Path, ...]
    changes: Changes
    papers: int = 0
    summary: str = field(default="")
    fetch_error: FetchError | None = None  # the outputs were rebuilt from the store alone


def refresh(
    corpus: Corpus,
    store: Store,
    outputs: Path,
    fetch: Callable[[], Iterable[Run]] | None = None,
    workers: int = 1,
    progress: Callable[[str], None] | None = None,
    rules_dir: Path | None = None,
) -> RefreshReport:
    """fetch (when given) -> extract -> graph -> tables -> figures -> report -> changes. Extracts
    with `rules_dir`, else the corpus's own rules, else rifkb's. When fetching fails
    (no network), the outputs are still rebuilt from what is stored, and the report says
    why nothing new came (`fetch_error`)."""
    from rifkb.kb.graph import build_graph, write_graph
    from rifkb.kb.papers import reviewed_papers
    from rifkb.kb.runs import extract_corpus
    from rifkb.review.figures import write_figures
    from rifkb.review.plan import corpus_plans
    from rifkb.review.prisma import prisma_flow
    from rifkb.review.report import write_report
    from rifkb.review.synthesis import synthesize
    from rifkb.review.tables import review_tables, write_tables

    say = progress or (lambda _message: None)
    output_folder(outputs)  # a file in the way is said before anything is fetched
    runs, fetch_error = _fetch(fetch)
    say("extracting")
    report = extract_corpus(corpus, store, rules_dir=rules_dir, workers=workers)
    reviewed = reviewed_papers(store, corpus.unscreened_included)
    papers = reviewed.papers
    say("building the graph")
    rules = _rules(corpus, store, rules_dir, bool(papers))
    concepts = rules.concepts
    graph = build_graph(papers, rules)
    written = [_write(outputs / f"graph.{ext}", write_graph(graph, fmt)) for fmt, ext in
               (("graphml", "graphml"), ("json", "json"))]  # fmt: skip
    # the readings as the reviewers corrected them, of the records not excluded
    written.append(_write(outputs / "extractions.jsonl", _jsonl(p.extraction for p in papers)))
    say("pooling estimates")
    analyses = synthesize(papers)
    written.append(_write(outputs / "synthesis.json", _synthesis_json(analyses)))
    say("planning the next trial")
    harms, labels = rules.with_role("harm"), {c.id: c.label for c in concepts.values()}
    found = corpus_plans(analyses, papers, harms, corpus.stewardship)
    written.append(_write(outputs / "plan.json", _plan_json(found)))
    say("writing tables")
    tables = review_tables(papers, analyses, found, labels, corpus.stewardship.body_weight_kg)
    written += write_tables(tables, outputs / "tables")
    say("drawing figures")
    flow = prisma_flow(corpus, store, reviewed, analyses)
    written += write_figures(papers, outputs / "figures", analyses, labels, harms, flow, found)
    say("writing the report")
    written.append(write_report(corpus, store, outputs / "report.html", reviewed=reviewed, analyses=analyses,
                                rules=rules, plans=found))  # fmt: skip
    changes = _changes(store, papers)
    summary = summarize(corpus, runs, report.extracted, changes, fetch_error, reviewed)
    written.append(_write(outputs / "refresh.md", summary))
    # (tables/ and figures/ have a manifest each, written with them)
    record_outputs(outputs, [path for path in written if path.parent == outputs])
    return RefreshReport(runs, report.extracted, tuple(f.uid for f in report.failures), tuple(written),
                         changes, len(papers), summary, fetch_error)  # fmt: skip


def _plan_json(found: list) -> str:
    return json.dumps({"plans": [p.to_json() for p in found]}, indent=2, ensure_ascii=False) + "\n"


def _synthesis_json(analyses: list) -> str:
    return json.dumps({"analyses": [a.to_json() for a in analyses]}, indent=2, ensure_ascii=False) + "\n"


def _fetch(fetch: Callable[[], Iterable[Run]] | None) -> tuple[tuple[Run, ...], FetchError | None]:
    """The runs of the saved searches; those done before a fetch failed, and the failure."""
    runs: list[Run] = []
    if fetch is None:
        return (), None
    try:
        for run in fetch():
            runs.append(run)
    except FetchError as exc:
        return tuple(runs), exc
    return tuple(runs), None


def _rules(corpus: Corpus, store: Store, rules_dir: Path | None, extracted: bool) -> RuleSet:
    """The rules the extractions were made with; those just used when there are none (a
    corpus without records still refreshes, to empty outputs)."""
    if extracted:
        return rules_of_extraction(corpus, store)
    return load_rules(rules_to_extract_with(corpus, rules_dir))


def _state(papers: list) -> dict[str, dict[str, list]]:
    return {
        p.extraction.doc_id: {
            "findings": sorted(" ".join(f.key) for f in p.extraction.findings),
            "effects": sorted(
                [e.measure, e.value, e.ci_low, e.ci_high, e.outcome] for e in p.extraction.effects
            ),
        }
        for p in papers
    }


def _changes(store: Store, papers: list) -> Changes:
    now = _state(papers)
    before_text = store.get_meta(STATE_KEY)
    store.set_meta(STATE_KEY, json.dumps(now, sort_keys=True))
    if before_text is None:
        return Changes(True, tuple(sorted(now)), (), ())
    before = json.loads(before_text)
    new_records = tuple(sorted(set(now) - set(before)))
    new_findings = tuple(
        (doc, f) for doc in sorted(now) for f in now[doc]["findings"]
        if f not in before.get(doc, {}).get("findings", [])
    )  # fmt: skip
    changed = tuple(
        (d, _estimates(before[d]["effects"]), _estimates(now[d]["effects"]))
        for d in sorted(set(now) & set(before))
        if now[d]["effects"] != before[d]["effects"]
    )
    return Changes(False, new_records, new_findings, changed)


def _estimates(effects: list[list]) -> tuple[str, ...]:
    """The estimates of one record's state, as 'OR 3.64 (1.78 to 7.67) live_birth'."""
    written = []
    for measure, value, low, high, outcome in effects:
        interval = f" ({low:g} to {high:g})" if low is not None and high is not None else ""
        written.append(f"{measure} {value:g}{interval} {outcome or 'outcome n/a'}")
    return tuple(written)


def summarize(
    corpus: Corpus,
    runs: tuple[Run, ...],
    extracted: int,
    changes: Changes,
    fetch_error: FetchError | None = None,
    reviewed: Reviewed | None = None,
) -> str:
    lines = [f"# Refresh of {corpus.name}", ""]
    if fetch_error is not None:
        lines.append(f"- {fetch_problem(fetch_error)}; rebuilt from the stored corpus")
    for run in runs:
        lines.append(f"- search {run.search}: {run.hits} hits, {run.new} new, {run.updated} updated, "
                     f"{len(run.failed_pmids)} failed ({run.status})")  # fmt: skip
    lines.append(f"- extracted {extracted} records")
    if changes.first_refresh:
        lines.append(f"- first refresh: {len(changes.new_records)} records")
    else:
        lines.append(f"- since the last refresh: {len(changes.new_records)} new records, "
                     f"{len(changes.new_findings)} new findings, "
                     f"{len(changes.changed_estimates)} records with changed estimates")  # fmt: skip
        lines += [f"  - new record {d}" for d in changes.new_records[:50]]
        lines += [f"  - new finding in {d}: {f}" for d, f in changes.new_findings[:50]]
        lines += [f"  - estimates changed in {d}: {'; '.join(old) or 'none'} → {'; '.join(new) or 'none'}"
                  for d, old, new in changes.changed_estimates[:50]]  # fmt: skip
    if reviewed is not None:
        lines += _screening_lines(reviewed)
    return "\n".join(lines) + "\n"


def _screening_lines(reviewed: Reviewed) -> list[str]:
    """What screening and corrections did to the outputs, with what waits for a reviewer."""
    included = sum(p.screening == INCLUDE for p in reviewed.papers)
    if reviewed.unscreened_left_out:
        unscreened = f"{len(reviewed.unscreened_left_out)} unscreened (left out until screened)"
    else:
        unscreened = f"{len(reviewed.papers) - included} unscreened (in the outputs, flagged)"
    reasons = Counter(d.reason for _, d in reviewed.excluded)
    why = "; ".join(f"{reason}: {n}" for reason, n in sorted(reasons.items()))
    lines = [f"- screening: {included} included, {unscreened}, {len(reviewed.excluded)} excluded"
             + (f" ({why})" if why else "")]  # fmt: skip
    corrected = sum(p.corrected for p in reviewed.papers)
    if corrected or reviewed.conflicts:
        lines.append(f"- corrections: {corrected} records corrected by reviewers; {len(reviewed.conflicts)} "
                     "corrections over a reading that has changed (rifkb correct --conflicts)")  # fmt: skip
    return lines


def fetch_problem(error: FetchError, now: bool = False) -> str:
    """'PubMed could not be reached (...)' (or 'cannot', `now`), or 'fetching from PubMed
    failed (...)' when it answered with something unusable."""
    from rifkb.corpus.eutils import Unreachable  # Bio.Entrez: only when a fetch failed

    if isinstance(error, Unreachable):
        return f"PubMed {'cannot' if now else 'could not'} be reached ({error})"
    return f"fetching from PubMed failed ({error})"


def _jsonl(extractions: Iterable[Extraction]) -> str:
    """One extraction record per line, as `rifkb extract --jsonl` writes them."""
    return "".join(json.dumps(x.to_json(), ensure_ascii=False, sort_keys=True) + "\n" for x in extractions)


def _write(path: Path, text: str) -> Path:
    return write_text_atomic(path, text)
