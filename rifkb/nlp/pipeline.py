"""Build the extraction pipeline: with no model at all, or on an installed one.

Without a model: spaCy's blank English with scispaCy's tokenizer, then rifkb's sentence
splitter, scispaCy's abbreviation detector and the rifkb components. With `model` (a
package name such as en_core_sci_sm, or a pipeline folder on disk) the model's own
tokenizer and components run first and the rifkb components use what they provide: its
parser's or senter's sentence boundaries, and any entity whose label is a concept id as
a mention. Either way the result is an ordinary spaCy pipeline: `nlp.to_disk(DIR)` saves
it with its rule files, and `spacy.load(DIR)` reads it back in any process where rifkb
is installed (its factories and tokenizer are found through the `spacy_factories` and
`spacy_tokenizers` entry points).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import spacy
from spacy.language import Language
from spacy.tokenizer import Tokenizer

from rifkb.errors import RifkbError
from rifkb.nlp.base import RuleComponent
from rifkb.nlp.version import PIPELINE_VERSION, pipeline_fingerprint
from rifkb.rules import load_rules

__all__ = ["COMPONENTS", "PIPELINE_VERSION", "build_pipeline", "pipeline_fingerprint", "register_components"]
COMPONENTS = (
    "rifkb_sentences_v1", "rifkb_abbreviations_v1", "rifkb_cues_v1", "rifkb_concepts_v1",
    "rifkb_numbers_v1", "rifkb_doses_v1", "rifkb_counts_v1", "rifkb_rif_definition_v1", "rifkb_design_v1",
    "rifkb_study_data_v1", "rifkb_findings_v1",
)  # fmt: skip
_WITHOUT_RULES = ("rifkb_abbreviations_v1",)


def build_pipeline(model: str | None = None, rules_dir: str | None = None) -> Language:
    """The pipeline; raises RuleFileError for a bad rule file and RifkbError if the model
    cannot be loaded."""
    rules = load_rules(Path(rules_dir) if rules_dir else None)  # one clear error before anything else
    register_components()
    nlp = _load_model(model) if model else _blank()
    for factory in COMPONENTS:
        config = {} if factory in _WITHOUT_RULES else {"rules_dir": rules_dir}
        component = nlp.add_pipe(factory, name=factory.removesuffix("_v1"), config=config)
        if isinstance(component, RuleComponent):
            # the rules just read, compiled now: not read again by each component, and
            # not compiled while the first document waits
            component.use_rules(rules)
    return nlp


def register_components() -> None:
    """Import the component modules, which registers their factories with spaCy (what the
    `spacy_factories` entry point does for `spacy.load`)."""
    from rifkb.nlp import (  # noqa: F401
        abbreviations,
        concepts,
        counts,
        cues,
        design,
        doses,
        findings,
        numbers,
        rif_definition,
        sentences,
        study_data,
    )


TOKENIZER = "rifkb_scispacy_tokenizer_v1"


@spacy.registry.tokenizers(TOKENIZER)
def scispacy_tokenizer() -> Callable[[Language], Tokenizer]:
    """scispaCy's tokenizer (`combined_rule_tokenizer`) as a registered tokenizer, named in
    the blank pipeline's config: spaCy builds it instead of English's own, which
    `nlp.tokenizer = …` would build first and throw away (~0.1 s of every pipeline
    build, its 2,700 special cases), and a saved pipeline's config names the tokenizer it
    really has (found through the `spacy_tokenizers` entry point)."""

    def make(nlp: Language) -> Tokenizer:
        from scispacy.custom_tokenizer import combined_rule_tokenizer

        # It reads the default tokenizer's `token_match`, which spaCy's own factory takes
        # from the language's defaults: given those, not a tokenizer (none is made yet).
        default = SimpleNamespace(token_match=nlp.Defaults.token_match)
        blank = SimpleNamespace(vocab=nlp.vocab, Defaults=nlp.Defaults, tokenizer=default)
        with warnings.catch_warnings():
            # scispaCy's tokenizer regexes make Python warn about a possible set union.
            warnings.simplefilter("ignore", FutureWarning)
            return combined_rule_tokenizer(blank)  # type: ignore[arg-type]

    return make


def _blank() -> Language:
    return spacy.blank("en", config={"nlp": {"tokenizer": {"@tokenizers": TOKENIZER}}})


def _load_model(model: str) -> Language:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            return spacy.load(model)
    except OSError as exc:
        raise RifkbError(
            f"cannot load model {model!r}: install it (a scispaCy model such as en_core_sci_sm) "
            f"or give the path of a spaCy pipeline folder ({str(exc).splitlines()[0][:120]})"
        ) from None
