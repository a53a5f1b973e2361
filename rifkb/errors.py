"""Errors the library raises for expected failures.

The CLI turns every `RifkbError` into one line on stderr and exit code 1; anything else
is a bug and keeps its traceback.
"""


class RifkbError(Exception):
    """An expected failure, described in one line the user can act on."""


class BadInputError(RifkbError):
    """A file or argument that cannot be read as what it claims to be."""


class CorpusError(RifkbError):
    """A corpus folder or store that is missing, malformed or too new."""


class RuleFileError(RifkbError):
    """A rule file that does not validate; the message starts with file:line."""


class FetchError(RifkbError):
    """E-utilities could not be reached or answered with something unusable."""


class PipelineError(RifkbError, ValueError):
    """A spaCy component used on a pipeline that lacks what it needs; names the component
    to add. Also a ValueError, as spaCy's own configuration errors are."""


class DiskFullError(RifkbError):
    """The disk filled up during a write; the write was undone, so the store or file is
    as it was before it."""


class StoreBusyError(CorpusError):
    """Another rifkb command kept the corpus's store locked for writing longer than this
    one would wait."""
