"""The corpus layer: a corpus folder and its SQLite store, the saved PubMed searches and
the only code that talks to NCBI (eutils, fetch), and the bibliographic file formats.

Owns Biopython (eutils and formats) and SQLite; knows nothing of rules, spaCy or graphs.
"""

from rifkb.corpus.folder import DEFAULT_CORPUS, Corpus, SavedSearch, init_corpus, load_corpus

__all__ = ["DEFAULT_CORPUS", "Corpus", "SavedSearch", "init_corpus", "load_corpus"]
