"""Which rule set a corpus is extracted with, and read back with.

Extractions name concepts by the ids of the rule set that made them, and the graph, the
queries, the tables and the figures need those concepts' types and names: after `rifkb
extract --rules MYRULES` added a concept, rifkb's own rules do not know it. So every
extraction is stored with where its rules live and their fingerprint, and every reader
loads that folder, refusing in one line when it is gone or has changed since.

Extracting uses `--rules DIR` if given, else `rules` of corpus.toml, else the rules
packaged with rifkb.
"""

from __future__ import annotations

import time
from pathlib import Path

from rifkb.corpus.folder import Corpus, corpus_relative
from rifkb.corpus.store import RuleSetRef, Store
from rifkb.errors import RifkbError
from rifkb.rules import RULES_DIR, RuleSet, fingerprint, load_rules

# How the store names the rules packaged with rifkb: not their folder, which moves when
# rifkb is installed elsewhere. (Not a path a corpus.toml would give.)
PACKAGED_RULES = "package:rifkb.rules"


def rules_to_extract_with(corpus: Corpus, rules_dir: Path | None = None) -> Path:
    """The rules folder an extraction uses: the one asked for, else the corpus's own,
    else rifkb's."""
    return Path(rules_dir) if rules_dir is not None else corpus.rules_dir or RULES_DIR


def rule_set_ref(corpus: Corpus, rules_dir: Path) -> RuleSetRef:
    """How the store records a rules folder: the packaged rules by name, a folder inside
    the corpus relative to it (so the corpus can move), any other by its absolute path."""
    if Path(rules_dir).resolve() == RULES_DIR.resolve():
        location = PACKAGED_RULES
    else:
        location = corpus_relative(corpus.path, rules_dir)
    return RuleSetRef(location, fingerprint(Path(rules_dir)))


def rules_folder(corpus: Corpus, location: str) -> Path:
    """The folder a stored location names (an absolute location stays as it is)."""
    return RULES_DIR if location == PACKAGED_RULES else corpus.path / location


def rules_of_extraction(corpus: Corpus, store: Store) -> RuleSet:
    """The rule set the corpus's extractions were made with, loaded from its folder.

    Raises RifkbError when there are no extractions yet, when they were made with several
    rule sets (an interrupted run) or before rifkb recorded their rules, and when that
    folder is gone or its files changed since: each case is mended by extracting again.
    """
    used = store.extraction_rules()
    if not used:
        raise RifkbError("the corpus has no extractions yet: run `rifkb extract` first")
    if len(used) > 1:
        raise RifkbError(f"the extractions were made with {len(used)} rule sets (an interrupted run?); "
                         "run `rifkb extract`")  # fmt: skip
    (ref,) = used
    if not ref.location:
        raise RifkbError("the extractions predate rifkb recording their rules; run `rifkb extract`")
    folder = rules_folder(corpus, ref.location)
    again = _extract_again(corpus, ref.location, folder)
    if not folder.is_dir():
        raise RifkbError(f"the rules the extractions were made with, {folder}, are gone; run `rifkb extract`")
    seen = _stats(folder)
    kept = _KEPT.get(folder)
    if kept is not None and kept[0] == seen and kept[1].fingerprint == ref.fingerprint:
        return kept[1]
    if fingerprint(folder) != ref.fingerprint:
        raise RifkbError(f"rules at {folder} changed since the extraction; run {again}")
    rules = load_rules(folder)
    if seen is not None and seen == _stats(folder):  # not written to while it was read
        _KEPT[folder] = (seen, rules)
    return rules


# The rule sets read, by folder, with what their files' stats were: `rifkb serve` reads
# the corpus's rules for every page, and reading a dozen files twice (their fingerprint,
# then the rules) was most of a record page. A file changed has another modification
# time or size; one written in the last seconds is read again whatever its stats say, as
# git does with a "racily clean" file (a write within the clock's granularity).
_KEPT: dict[Path, tuple[tuple, RuleSet]] = {}
_RECENT_NS = 2_000_000_000


def _stats(folder: Path) -> tuple | None:
    """Each rule file's name, size, modification time and inode; None if one was written
    in the last seconds (or cannot be read)."""
    try:
        stats = [(p.name, p.stat()) for p in sorted(folder.iterdir()) if p.suffix == ".tsv"]
    except OSError:
        return None
    now = time.time_ns()
    if any(now - st.st_mtime_ns < _RECENT_NS for _, st in stats):
        return None
    return tuple((name, st.st_size, st.st_mtime_ns, st.st_ino) for name, st in stats)


def _extract_again(corpus: Corpus, location: str, folder: Path) -> str:
    """The command that extracts with these rules again: plain `rifkb extract` when they
    are the corpus's own or rifkb's, else with `--rules`."""
    own = corpus.rules_dir is not None and corpus.rules_dir.resolve() == folder.resolve()
    if own or (corpus.rules_dir is None and location == PACKAGED_RULES):
        return "`rifkb extract`"
    return f"`rifkb extract --rules {folder}`"
