"""The spaCy pipeline: scispaCy's tokenizer and abbreviation detector, then rifkb's own
components (one module each), all driven by the rule files of `rules/`.

Each component writes plain records with character offsets to a `doc._.rifkb_*`
extension; `rifkb.extract` turns a processed Doc into an `Extraction`.
"""

from rifkb.nlp.pipeline import PIPELINE_VERSION, build_pipeline, pipeline_fingerprint

__all__ = ["PIPELINE_VERSION", "build_pipeline", "pipeline_fingerprint"]
