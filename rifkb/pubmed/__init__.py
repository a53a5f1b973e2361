"""PubMed: the E-utilities client and the PubMed XML reader (the package that owns Bio)."""

from rifkb.pubmed.articles import read_pubmed_xml_file, records_from_xml
from rifkb.pubmed.eutils import (
    NCBI_EUTILS_URL,
    PUBMED_RETRIEVAL_CAP,
    EutilsConfig,
    MalformedResponse,
    PubMedClient,
    SearchResult,
)

__all__ = [
    "NCBI_EUTILS_URL",
    "PUBMED_RETRIEVAL_CAP",
    "EutilsConfig",
    "MalformedResponse",
    "PubMedClient",
    "SearchResult",
    "read_pubmed_xml_file",
    "records_from_xml",
]
