"""The spaCy pipeline: scispaCy's tokenizer and abbreviation detector, then rifkb's own
components (one module each), all driven by the rule files of `rules/`.

Each component writes plain records with character offsets to a `doc._.rifkb_*`
extension; `rifkb.extract` turns a processed Doc into an `Extraction`. The pipeline is
imported lazily, so that `rifkb.nlp.text` (name spellings) needs no spaCy.
"""

from typing import Any

__all__ = ["PIPELINE_VERSION", "build_pipeline", "pipeline_fingerprint"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from rifkb.nlp import pipeline

        return getattr(pipeline, name)
    raise AttributeError(name)
