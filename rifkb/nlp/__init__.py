"""The spaCy layer: rifkb's components (one module each, registered as spaCy factories
named `rifkb_*_v1`), the pipeline that joins them, and the one function that turns a
processed Doc into an `Extraction` record (`reading.to_extraction`).

Imported lazily, so that `rifkb.nlp.text` (name spellings, no spaCy) stays light.
"""

from typing import Any

__all__ = ["PIPELINE_VERSION", "build_pipeline", "pipeline_fingerprint"]


def __getattr__(name: str) -> Any:
    if name in ("PIPELINE_VERSION", "pipeline_fingerprint"):  # without spaCy (rifkb.nlp.version)
        from rifkb.nlp import version

        return getattr(version, name)
    if name in __all__:
        from rifkb.nlp import pipeline

        return getattr(pipeline, name)
    raise AttributeError(name)
