"""Shared fixtures. Every path is found relative to this file, never the working directory."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from rifkb.corpus.eutils import EutilsConfig, PubMedClient
from rifkb.corpus.folder import Corpus, SavedSearch, init_corpus
from rifkb.rules import RULES_DIR
from tests.eutils_server import EutilsServer

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).parent.parent


def copy_rules(target: Path) -> Path:
    """A copy of rifkb's packaged rule files (the data, not the loader beside them)."""
    shutil.copytree(RULES_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def copy_bundled_corpus(target: Path) -> Path:
    """A copy of the bundled corpus folder, without any store a run left in the checkout."""
    shutil.copytree(REPO / "corpora" / "rif-ivig", target, ignore=shutil.ignore_patterns("store.sqlite*"))
    return target


@pytest.fixture(scope="session")
def extracted_bundle(tmp_path_factory) -> Path:
    """The bundled corpus, extracted once for the session: read it, never write to it."""
    from typer.testing import CliRunner

    from rifkb.cli import app

    target = copy_bundled_corpus(tmp_path_factory.mktemp("extracted") / "rif-ivig")
    result = CliRunner().invoke(app, ["extract", "-c", str(target)])
    assert result.exit_code == 0, result.output
    return target


@pytest.fixture
def data() -> Path:
    return DATA


@pytest.fixture
def server() -> Iterator[EutilsServer]:
    with EutilsServer() as running:
        yield running


@pytest.fixture
def client(server: EutilsServer) -> PubMedClient:
    """A client of the loopback server: short timeout, millisecond backoff, an API key so
    Bio.Entrez paces requests at 10/s rather than 3/s."""
    config = EutilsConfig(
        email="tests@example.org", api_key="loopback", base_url=server.url,
        timeout=1.0, max_tries=4, backoff_base=0.01, backoff_cap=0.05,
    )  # fmt: skip
    return PubMedClient(config)


@pytest.fixture
def corpus(tmp_path: Path) -> Corpus:
    return init_corpus(tmp_path / "corpus", (SavedSearch("rif", "recurrent implantation failure"),))


@pytest.fixture(scope="session")
def nlp():
    from rifkb.nlp import build_pipeline

    return build_pipeline()


@pytest.fixture(scope="session")
def read(nlp):
    """Extract one text as an abstract (no title) and return its Extraction."""
    from rifkb.nlp.reading import extract_record
    from rifkb.records import AbstractSection, Record

    def run(text: str, title: str = "", publication_types: tuple[str, ...] = ()):
        record = Record(source_id="test:1", title=title, abstract=(AbstractSection(text),),
                        publication_types=publication_types)  # fmt: skip
        return extract_record(nlp, record)

    return run
