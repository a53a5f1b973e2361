"""A copy of the bundled corpus as a reviewer leaves it, for the report's tests (with and
without a browser): a hostile record imported, the corpus extracted, three records
excluded with reasons, two included, the rest unscreened."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rifkb.cli import app
from rifkb.corpus.folder import load_corpus
from rifkb.corpus.reviews import decide
from rifkb.records import EXCLUDE, INCLUDE, ScreeningDecision
from tests.conftest import copy_bundled_corpus

HOSTILE_TITLE = "<script>alert(1)</script>"
HOSTILE = {
    "id": "src:hostile-1", "title": HOSTILE_TITLE, "year": 2025, "journal": "J <b>Bold</b> & Co",
    "first_author": 'Doe"><img src=x onerror=alert(2)>', "doi": '10.1234/x"onmouseover=alert(3)',
    "abstract": "IVIg in recurrent implantation failure. Live birth rate was higher with IVIg than with "
                "placebo (OR 2.5, 95% CI 1.2-5.1; p = 0.01) in 40 women with RIF </p><script>x()</script>.",
}  # fmt: skip
EXCLUDED = {
    "doi:10.1016/j.jri.2010.07.001": "wrong population: recurrent miscarriage",
    "doi:10.1111/aji.12111": "wrong population: recurrent miscarriage",
    "doi:10.1097/GCO.0000000000000698": "narrative review",
}
INCLUDED = ("pmid:38365988", "doi:" + HOSTILE["doi"])


def reviewed_corpus(root: Path) -> Path:
    """The corpus folder, extracted and screened as the module docstring says."""
    corpus = copy_bundled_corpus(root / "rif-ivig")
    extra = root / "hostile.jsonl"
    extra.write_text(json.dumps(HOSTILE) + "\n", encoding="utf-8")
    runner = CliRunner()
    for args in (["import", "-c", str(corpus), str(extra)], ["extract", "-c", str(corpus)]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    decisions = [ScreeningDecision(uid, EXCLUDE, why, "ana", "") for uid, why in EXCLUDED.items()]
    decisions += [ScreeningDecision(uid, INCLUDE, None, "ana", "") for uid in INCLUDED]
    with load_corpus(corpus).open_store() as store:
        decide(store, decisions)
    return corpus
