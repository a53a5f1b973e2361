"""Load and validate the rule files of `rules/`; every error names `file:line`.

The rule files hold all the language knowledge of extraction (see `rules/README.md`):
concept ids and their names, cue phrases, measure names, design phrases, number words.
Code holds mechanisms only. A `RuleSet` carries a fingerprint of the files' contents,
stored with every extraction, so a changed rule file re-extracts and an unchanged one
does not.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rifkb.errors import RuleFileError
from rifkb.rules.dose_rules import load_doses

RULES_DIR = Path(__file__).resolve().parent  # the rule files ship inside the package
CONCEPT_TYPES = ("intervention", "outcome", "mechanism", "population")
DESIGNS = (
    "rct", "nrct", "cohort", "case_control", "cross_sectional", "case_series", "meta_analysis",
    "systematic_review", "review", "guideline", "survey", "lab", "other",
)  # fmt: skip
MEASURES = ("OR", "RR", "HR", "RD", "MD", "SMD")
CUE_CATEGORIES = (
    "increase", "decrease", "no_difference", "association", "negation", "hedge",
    "significant", "not_significant", "contrast", "need", "control_group", "comparison",
    "absence", "proportion", "control_trait", "total", "inclusion", "definition", "failure",
    "good_quality", "age_limit", "at_least", "more_than", "series", "subgroup", "aim", "adjustment",
    "one_group", "screening", "search", "control_arm", "treated_arm", "subset", "case_arm",
    "approximate", "part", "referral", "average", "composite", "planned", "main_outcome", "respondents",
)  # fmt: skip
NOUN_CATEGORIES = (
    "participant",
    "study",
    "not_participant",
    "attempt",
    "embryo",
    "unit",
    "label",
    "instrument",
)
FILES = (
    "concepts.tsv", "lexicon.tsv", "patterns.tsv", "cues.tsv", "measures.tsv",
    "designs.tsv", "numbers.tsv", "nouns.tsv", "rate_heads.tsv", "sentences.tsv", "contexts.tsv",
    "doses.tsv",
)  # fmt: skip
# Read when the knowledge graph is built, never by extraction: a change to them needs no
# new extraction, so they are left out of the fingerprint an extraction is stored with.
GRAPH_FILES = frozenset({"contexts.tsv"})
CONTEXT_ROLES = ("sample", "therapy")


# The header row of each file: its column names, optional ones last. A file must start
# with it (after comments), so a file that lacks it loses no rule to being taken for one.
HEADERS = {
    "concepts.tsv": ("id", "type", "label", "roles"),
    "lexicon.tsv": ("concept", "term", "case", "unless"),
    "patterns.tsv": ("concept", "regex", "requires"),
    "cues.tsv": ("category", "phrase"),
    "measures.tsv": ("measure", "text", "case", "adjusted"),
    "designs.tsv": ("design", "where", "phrase", "when"),
    "numbers.tsv": ("word", "value"),
    "nouns.tsv": ("category", "term"),
    "rate_heads.tsv": ("word", "concept"),
    "sentences.tsv": ("abbreviation",),
    "contexts.tsv": ("role", "phrase"),
    "doses.tsv": ("kind", "phrase", "value"),
}


# What a concept is for the components that reason about it (concepts.tsv, column roles):
# a `condition` is what patients have (RIF, RPL, infertility: the object of an association
# such as "elevated uNK cells in RIF"), a `control` group is compared with them, and a
# `harm` is an outcome less of which is better (miscarriage: a ratio below 1 favours the
# intervention, which is how a forest plot labels its sides); a `not_per_woman` outcome is
# counted per embryo transferred (implantation) or per pregnancy (miscarriage), so a
# percentage of it with only the number of women known gives no count (annotation.md).
ROLES = ("condition", "control", "harm", "not_per_woman")


@dataclass(frozen=True)
class Concept:
    id: str
    type: str
    label: str
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Term:
    """A name of a concept. `case_sensitive` for abbreviations; `unless`: this name
    counts only when the abstract does not also name that more specific concept."""

    concept: str
    text: str
    case_sensitive: bool
    unless: str | None
    source: str  # file:line, the file named within its folder ("lexicon.tsv:9")


@dataclass(frozen=True)
class Pattern:
    concept: str
    regex: re.Pattern[str]
    source: str
    requires: tuple[str, ...] = ()  # words one of which the text must contain (a prefilter)


# designs.tsv, a decision list: where a rule's phrase is looked for, and what the
# abstract's structure must also show for the rule to apply (rifkb.nlp.design reads them)
DESIGN_WHERE = ("pubtype", "title", "methods", "text")
DESIGN_WHEN = ("one_arm", "cases_vs_controls", "one_group_once", "primary", "untreated")
ANY_WORDS = "*"  # a rule that needs no phrase: its `when` alone decides


@dataclass(frozen=True)
class DesignRule:
    """One rule of the decision list; the first that applies gives the design."""

    design: str
    where: str  # DESIGN_WHERE
    phrase: str  # or ANY_WORDS
    when: str  # "" or one of DESIGN_WHEN
    source: str


@dataclass(frozen=True)
class MeasureName:
    """A name of an effect measure; `pattern` when the name is a regular expression
    (case `r`: "the relative live-birth rate" is a risk ratio)."""

    measure: str
    text: str
    case_sensitive: bool
    adjusted: bool
    pattern: re.Pattern[str] | None = None


@dataclass(frozen=True)
class ContextCue:
    """Words beside an intervention's name that say how a sentence uses it (contexts.tsv):
    `role` "sample" (cells isolated from it, NK cells counted in it) or "therapy" (given,
    infused, a treated group); `before` ends right before the name, `after` starts right
    after it (one of them may be empty)."""

    role: str
    before: str
    after: str
    source: str


@dataclass(frozen=True)
class RuleSet:
    directory: Path
    fingerprint: str
    concepts: dict[str, Concept]
    terms: tuple[Term, ...]
    patterns: tuple[Pattern, ...]
    cues: dict[str, tuple[str, ...]]
    measures: tuple[MeasureName, ...]
    designs: tuple[DesignRule, ...]
    numbers: dict[str, int]
    nouns: dict[str, tuple[str, ...]]
    rate_heads: dict[str, str]
    abbreviations: frozenset[str] = field(default_factory=frozenset)
    contexts: tuple[ContextCue, ...] = ()
    # doses.tsv: kind -> {phrase (lower case): value ("" when the kind takes none)}
    doses: dict[str, dict[str, str]] = field(default_factory=dict)
    # the files as read, by name: what a saved pipeline writes, so it carries exactly
    # the rules it was built with (not whatever the folder holds later)
    texts: dict[str, bytes] = field(default_factory=dict, repr=False)

    def concept_type(self, concept_id: str) -> str:
        return self.concepts[concept_id].type

    def with_role(self, role: str) -> frozenset[str]:
        """Ids of the concepts that have a role (see ROLES)."""
        return frozenset(c.id for c in self.concepts.values() if role in c.roles)


# Rule sets read, by folder and the bytes of every file: `rifkb serve` reads the corpus's
# rules for every page and a command reads them several times; parsing them again (~70 ms)
# is for a folder whose files changed. A RuleSet is frozen, and shared.
_READ: OrderedDict[tuple[str, str], RuleSet] = OrderedDict()
_READ_KEPT = 8
_READ_LOCK = threading.Lock()


def load_rules(directory: Path | None = None) -> RuleSet:
    """Read every rule file of the folder, validated; raises RuleFileError(file:line)."""
    directory = Path(directory or RULES_DIR)
    if not directory.is_dir():
        raise RuleFileError(f"{directory}: no rules folder")
    texts = {name: (directory / name).read_bytes() for name in FILES if (directory / name).is_file()}
    key = (str(directory), _digest_all(texts))
    with _READ_LOCK:
        read = _READ.get(key)
        if read is not None:
            _READ.move_to_end(key)
            return read
    rules = _parsed(directory, texts)
    with _READ_LOCK:
        _READ[key] = rules
        while len(_READ) > _READ_KEPT:
            _READ.popitem(last=False)
    return rules


def _parsed(directory: Path, texts: dict[str, bytes]) -> RuleSet:
    concepts = _load_concepts(directory / "concepts.tsv")
    return RuleSet(
        directory=directory,
        fingerprint=_digest(texts),
        texts=texts,
        concepts=concepts,
        terms=tuple(_load_terms(directory / "lexicon.tsv", concepts)),
        patterns=tuple(_load_patterns(directory / "patterns.tsv", concepts)),
        cues=_load_grouped(directory / "cues.tsv", CUE_CATEGORIES),
        measures=tuple(_load_measures(directory / "measures.tsv")),
        designs=tuple(_load_designs(directory / "designs.tsv")),
        numbers=_load_numbers(directory / "numbers.tsv"),
        # nouns are compared with lower-cased words of the text ("RCTs" is "rcts")
        nouns={
            k: tuple(n.lower() for n in v)
            for k, v in _load_grouped(directory / "nouns.tsv", NOUN_CATEGORIES).items()
        },
        rate_heads=_load_rate_heads(directory / "rate_heads.tsv", concepts),
        abbreviations=frozenset(row[0] for _, row in _rows(directory / "sentences.tsv", 1, 1)),
        contexts=tuple(_load_contexts(directory / "contexts.tsv")),
        doses=load_doses(_rows(directory / "doses.tsv", 2, 3)),
    )


def fingerprint(directory: Path) -> str:
    """A digest of the rule files' contents: what an extraction depends on."""
    return _digest({name: (directory / name).read_bytes() for name in FILES if (directory / name).is_file()})


def write_rules(rules: RuleSet, directory: Path) -> None:
    """Write the rule files of a RuleSet, as they were read, into a folder."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in rules.texts.items():
        (directory / name).write_bytes(data)


def _digest_all(texts: dict[str, bytes]) -> str:
    """Of every file read (the fingerprint leaves out the graph's files)."""
    digest = hashlib.sha256()
    for name, data in sorted(texts.items()):
        digest.update(name.encode() + b"\0" + len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def _digest(texts: dict[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in (n for n in FILES if n not in GRAPH_FILES):
        digest.update(name.encode() + b"\0")
        digest.update(texts.get(name, b""))
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class _Line:
    """Where a row is. As text (in errors) it is the full `path:line`, so the user finds
    the file; as a rule's `source` (in evidence) it is `lexicon.tsv:9`, the file within
    its folder, so outputs read the same on every machine and name no one's home."""

    path: Path
    number: int

    def __str__(self) -> str:
        return f"{self.path}:{self.number}"

    @property
    def source(self) -> str:
        return f"{self.path.name}:{self.number}"


def _rows(path: Path, min_cols: int, max_cols: int) -> Iterator[tuple[_Line, list[str]]]:
    """(where, columns) of each data row; '#' starts a comment; the first other row is
    the header, which must name the file's columns (HEADERS)."""
    if not path.is_file():
        raise RuleFileError(f"{path}: missing rule file")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise RuleFileError(f"{path}: not UTF-8 ({exc})") from None
    header = HEADERS[path.name]
    seen_header = False
    for lineno, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = [c.strip() for c in line.rstrip("\n").split("\t")]
        while len(cols) > min_cols and cols[-1] == "":
            cols.pop()
        where = _Line(path, lineno)
        if not seen_header:
            _check_header(where, cols, header, min_cols)
            seen_header = True
            continue
        if not min_cols <= len(cols) <= max_cols:
            raise RuleFileError(
                f"{where}: expected {min_cols} to {max_cols} tab-separated columns, found {len(cols)}"
            )
        if any(c == "" for c in cols[:min_cols]):
            raise RuleFileError(f"{where}: empty column")
        yield where, cols
    if not seen_header:
        raise RuleFileError(f"{path}: empty rule file; it needs at least its header row ({_tabbed(header)})")


def _check_header(where: _Line, cols: list[str], header: tuple[str, ...], min_cols: int) -> None:
    """The header names the columns in order; optional last columns may be left out."""
    names = [c.lower() for c in cols]
    if not (min_cols <= len(names) <= len(header) and tuple(names) == header[: len(names)]):
        raise RuleFileError(
            f"{where}: expected the header row ({_tabbed(header)}) before the first rule, "
            f"found {' | '.join(cols)!r}"
        )


def _tabbed(columns: tuple[str, ...]) -> str:
    return "<TAB>".join(columns)


def _load_concepts(path: Path) -> dict[str, Concept]:
    concepts: dict[str, Concept] = {}
    for where, cols in _rows(path, 3, 4):
        cid, ctype, label = cols[:3]
        if ctype not in CONCEPT_TYPES:
            raise RuleFileError(f"{where}: type {ctype!r} is not one of {', '.join(CONCEPT_TYPES)}")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", cid):
            raise RuleFileError(f"{where}: concept id {cid!r} must be lower_snake_case")
        if cid in concepts:
            raise RuleFileError(f"{where}: concept {cid!r} defined twice")
        roles = tuple(r.strip() for r in cols[3].split(",") if r.strip()) if len(cols) > 3 else ()
        unknown = [r for r in roles if r not in ROLES]
        if unknown:
            raise RuleFileError(f"{where}: role {unknown[0]!r} is not one of {', '.join(ROLES)}")
        concepts[cid] = Concept(cid, ctype, label, roles)
    return concepts


def _known(where: _Line, concept: str, concepts: dict[str, Concept]) -> str:
    if concept not in concepts:
        close = [c for c in concepts if c.startswith(concept[:3])][:3]
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise RuleFileError(f"{where}: unknown concept {concept!r} (not in concepts.tsv{hint})")
    return concept


def _load_terms(path: Path, concepts: dict[str, Concept]) -> Iterator[Term]:
    for where, cols in _rows(path, 3, 4):
        concept, text, case = cols[:3]
        if case not in ("i", "s"):
            raise RuleFileError(f"{where}: case must be i (insensitive) or s (sensitive)")
        unless = _known(where, cols[3], concepts) if len(cols) > 3 else None
        yield Term(_known(where, concept, concepts), text, case == "s", unless, where.source)


def _load_patterns(path: Path, concepts: dict[str, Concept]) -> Iterator[Pattern]:
    for where, cols in _rows(path, 2, 3):
        concept, regex = cols[:2]
        try:
            compiled = re.compile(regex, re.IGNORECASE)
        except re.error as exc:
            raise RuleFileError(f"{where}: bad regular expression ({exc})") from None
        requires = tuple(w.strip().lower() for w in cols[2].split(",") if w.strip()) if len(cols) > 2 else ()
        yield Pattern(_known(where, concept, concepts), compiled, where.source, requires)


def _load_grouped(path: Path, categories: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    grouped: dict[str, list[str]] = {c: [] for c in categories}
    for where, (category, phrase) in _rows(path, 2, 2):
        if category not in grouped:
            raise RuleFileError(f"{where}: category {category!r} is not one of {', '.join(categories)}")
        grouped[category].append(phrase)
    return {k: tuple(v) for k, v in grouped.items()}


def _load_measures(path: Path) -> Iterator[MeasureName]:
    for where, (measure, text, case, adjusted) in _rows(path, 4, 4):
        if measure not in MEASURES:
            raise RuleFileError(f"{where}: measure {measure!r} is not one of {', '.join(MEASURES)}")
        if case not in ("i", "s", "r") or adjusted not in ("0", "1"):
            raise RuleFileError(f"{where}: case is i, s or r (a regular expression), adjusted is 0 or 1")
        pattern = None
        if case == "r":
            try:
                pattern = re.compile(text, re.IGNORECASE)
            except re.error as exc:
                raise RuleFileError(f"{where}: bad regular expression ({exc})") from None
        yield MeasureName(measure, text, case == "s", adjusted == "1", pattern)


def _load_designs(path: Path) -> Iterator[DesignRule]:
    seen: dict[tuple[str, str, str], str] = {}
    for where, (design, where_, phrase, *rest) in _rows(path, 3, 4):
        when = rest[0] if rest else ""
        if design not in DESIGNS:
            raise RuleFileError(f"{where}: design {design!r} is not one of {', '.join(DESIGNS)}")
        if where_ not in DESIGN_WHERE:
            raise RuleFileError(f"{where}: where must be one of {', '.join(DESIGN_WHERE)}, not {where_!r}")
        if when and when not in DESIGN_WHEN:
            raise RuleFileError(
                f"{where}: when must be empty or one of {', '.join(DESIGN_WHEN)}, not {when!r}"
            )
        if phrase == ANY_WORDS and (not when or where_ == "pubtype"):
            raise RuleFileError(
                f"{where}: phrase '*' (no words) needs a `when` and a where other than pubtype"
            )
        key = (where_, phrase.lower(), when)
        if key in seen:  # the first rule that applies wins: this one never would
            raise RuleFileError(f"{where}: never applies, the same rule as {seen[key]} comes first")
        seen[key] = where.source
        yield DesignRule(design, where_, phrase, when, where.source)


def _load_numbers(path: Path) -> dict[str, int]:
    numbers = {}
    for where, (word, value) in _rows(path, 2, 2):
        if not value.isdigit():
            raise RuleFileError(f"{where}: {value!r} is not a whole number")
        numbers[word.lower()] = int(value)
    return numbers


def _load_rate_heads(path: Path, concepts: dict[str, Concept]) -> dict[str, str]:
    return {word.lower(): _known(where, concept, concepts) for where, (word, concept) in _rows(path, 2, 2)}


def _load_contexts(path: Path) -> Iterator[ContextCue]:
    for where, (role, phrase) in _rows(path, 2, 2):
        if role not in CONTEXT_ROLES:
            raise RuleFileError(f"{where}: role {role!r} is not one of {', '.join(CONTEXT_ROLES)}")
        if phrase.count("{}") != 1:
            raise RuleFileError(f"{where}: the phrase needs one {{}} where the name stands ('cells in {{}}')")
        before, after = (part.strip() for part in phrase.split("{}"))
        if not (before or after):
            raise RuleFileError(f"{where}: the phrase needs words beside {{}}")
        yield ContextCue(role, before, after, where.source)
