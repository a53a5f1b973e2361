"""The pipeline's version and fingerprint, without spaCy: what extractions are stamped
with, for a process that stamps or compares them but runs no pipeline (`rifkb scan`'s
writer imports this, not rifkb.nlp.pipeline, and so not spaCy).
"""

from __future__ import annotations

from pathlib import Path

import rifkb
from rifkb.rules import RULES_DIR, fingerprint

# 5: what an estimate is about (a composite, the main outcome, the risk of the condition)
PIPELINE_VERSION = "rifkb-pipeline-5"


def pipeline_fingerprint(model: str | None, rules_dir: str | None) -> str:
    """What an extraction depends on: rifkb, the pipeline, the rules and the model."""
    rules = fingerprint(Path(rules_dir) if rules_dir else RULES_DIR)
    return f"{rifkb.__version__}/{PIPELINE_VERSION}/rules-{rules}/model-{model or 'none'}"
