"""PubMed baseline-like files for `rifkb scan`'s tests and benchmark: real on-topic records
(the 110 dev abstracts, with their real PMIDs or fresh ones) mixed with generated
off-topic records (unique PMIDs, text from a geology vocabulary that names no concept of
rifkb's rules), written as PubMed writes its baseline: a PubmedArticleSet of full
MEDLINE citations (authors, MeSH, references), gzipped. Update files add
`<DeleteCitation>`.
"""

from __future__ import annotations

import gzip
import html
import itertools
import json
import random
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

DEV_JSONL = Path(__file__).parent / "data" / "dev.jsonl"
DOCTYPE = (
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">'
)
FRESH_PMIDS = 90_000_000  # PMIDs given to dev records that have none (PubMed is at ~40 million)
OFF_TOPIC_PMIDS = 60_000_000

# Geology and earth science: names no concept, cue-free of "rate" with an outcome word.
_WORDS = """
sediment basalt tectonic aquifer erosion glacier isotope magma porosity seismic stratigraphy
permeability mineral quartz feldspar granite rainfall watershed catchment moraine volcanic
plate crust mantle subduction rift-valley fault-zone outcrop lithology mudstone sandstone
limestone dolomite shale schist gneiss eclogite ophiolite turbidite delta estuary lagoon
floodplain terrace alluvium loess dune aeolian fluvial lacustrine marine coastal shoreline
bathymetry sonar borehole core drilling magnetometer gravimetry geochemistry geochronology
zircon uranium lead argon radiocarbon paleoclimate monsoon drought precipitation runoff
discharge groundwater recharge salinity nitrate phosphate carbonate silicate oxide sulfide
hydrothermal vent geyser caldera lava tephra ash plume eruption earthquake aftershock
magnitude epicentre hypocentre landslide rockfall avalanche permafrost tundra taiga savanna
grassland wetland peat bog fen marsh mangrove reef atoll lagoonal sabkha evaporite halite
gypsum anhydrite salt-dome diapir anticline syncline thrust nappe foreland hinterland orogen
craton shield platform basin graben horst escarpment plateau mesa butte canyon gorge valley
ridge summit slope hillside terrain relief topography elevation altitude gradient drainage
channel meander levee crevasse splay bar riffle pool knickpoint waterfall spring seep well
pumping drawdown transmissivity storativity conductivity resistivity tomography inversion
model simulation calibration validation uncertainty sensitivity ensemble scenario projection
trend anomaly signal noise filter spectrum wavelet frequency amplitude phase velocity
attenuation reflection refraction diffraction wavefield migration stacking survey transect
profile section map mapping remote sensing satellite imagery radar lidar photogrammetry
geomorphology pedology soil horizon humus clay silt sand gravel cobble boulder regolith
weathering oxidation hydration leaching podzol laterite bauxite kaolinite smectite illite
chlorite mica amphibole pyroxene olivine garnet spinel magnetite hematite goethite pyrite
chalcopyrite galena sphalerite gold silver copper zinc nickel cobalt lithium rare-earth
deposit ore vein lode placer tailings mining exploration prospect reserve resource grade
tonnage geostatistics kriging variogram borehole-log wireline petrophysics reservoir
hydrocarbon kerogen maturation burial diagenesis compaction cementation dissolution
fracture joint bedding foliation lineation cleavage fold hinge limb axial-plane strain
stress deformation rheology viscosity elasticity plasticity creep friction cohesion shear
""".split()  # noqa: SIM905 - a word list reads better as text
_JOINERS = ("the", "of", "in", "and", "with", "from", "for", "by", "across", "within", "along", "between",
            "during", "near", "under", "over")  # fmt: skip
_LABELS = ("BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS")
_JOURNALS = ("J Geophys Res", "Geology", "Earth Planet Sci Lett", "Quat Sci Rev", "Sediment Geol")
_NAMES = ("Smith", "Garcia", "Chen", "Okafor", "Novak", "Haddad", "Ivanova", "Tanaka", "Silva", "Berg")
_FORE = ("Anna", "Ben", "Chloe", "Dario", "Elif", "Femi", "Goran", "Hana", "Ivo", "Jun")
_MESH = ("Geologic Sediments", "Groundwater", "Earthquakes", "Volcanic Eruptions", "Minerals",
         "Soil", "Climate", "Rivers", "Ice Cover", "Geography")  # fmt: skip


@dataclass(frozen=True)
class Article:
    pmid: str
    title: str
    abstract: str  # sections on lines "LABEL: text", or one unlabelled text
    journal: str
    year: int
    authors: tuple[tuple[str, str], ...] = ()
    mesh: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    revised: str = "2024-01-15"
    on_topic: bool = False


def on_topic_articles() -> list[Article]:
    """The 110 dev abstracts, with their real PMIDs (fresh unique ones for those without)."""
    articles = []
    for i, line in enumerate(DEV_JSONL.read_text(encoding="utf-8").splitlines()):
        rec = json.loads(line)
        pmid = str(rec.get("pmid") or FRESH_PMIDS + i)
        author = (rec.get("first_author") or "Doe J").split()
        articles.append(Article(
            pmid, rec.get("title") or "", rec.get("abstract") or "", rec.get("journal") or "Hum Reprod",
            rec.get("year") or 2020, ((author[0], author[-1]),), on_topic=True,
        ))  # fmt: skip
    return articles


def off_topic_article(pmid: int, rng: random.Random) -> Article:
    def sentence(n: int) -> str:
        words = [rng.choice(_WORDS) if k % 3 else rng.choice(_JOINERS) for k in range(n)]
        words[rng.randrange(n)] += f" ({rng.randint(2, 999)} m)"
        return " ".join(words).capitalize() + "."

    sections = [f"{label}: " + " ".join(sentence(rng.randint(12, 22)) for _ in range(rng.randint(2, 3)))
                for label in _LABELS]  # fmt: skip
    return Article(
        pmid=str(pmid),
        title=sentence(rng.randint(8, 14)).rstrip("."),
        abstract="\n".join(sections),
        journal=rng.choice(_JOURNALS),
        year=rng.randint(1990, 2025),
        authors=tuple((rng.choice(_NAMES), rng.choice(_FORE)) for _ in range(rng.randint(2, 8))),
        mesh=tuple(rng.sample(_MESH, rng.randint(3, 7))),
        references=tuple(sentence(10) for _ in range(rng.randint(5, 15))),
    )


def article_xml(a: Article) -> str:
    e = html.escape
    year, month, day = a.revised.split("-")
    sections = [s.partition(": ") if s[:1].isupper() and ": " in s[:20] else ("", "", s)
                for s in a.abstract.split("\n")] if not a.on_topic else [("", "", a.abstract)]  # fmt: skip
    abstract = "".join(
        f'<AbstractText Label="{e(label)}" NlmCategory="{e(label)}">{e(text)}</AbstractText>'
        if label
        else f"<AbstractText>{e(text)}</AbstractText>"
        for label, _, text in sections
    )
    authors = "".join(
        f'<Author ValidYN="Y"><LastName>{e(last)}</LastName><ForeName>{e(fore)}</ForeName>'
        f"<Initials>{e(fore[:1])}</Initials><AffiliationInfo><Affiliation>Department of Earth "
        f"Sciences, University of {e(last)}ville.</Affiliation></AffiliationInfo></Author>"
        for last, fore in a.authors
    )
    mesh = "".join(f'<MeshHeading><DescriptorName UI="D{zlib.crc32(m.encode()) % 10**6:06d}" '
                   f'MajorTopicYN="N">{e(m)}</DescriptorName></MeshHeading>' for m in a.mesh)  # fmt: skip
    refs = "".join(f"<Reference><Citation>{e(r)}</Citation></Reference>" for r in a.references)
    return f"""<PubmedArticle>
<MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{a.pmid}</PMID>
<DateRevised><Year>{year}</Year><Month>{month}</Month><Day>{day}</Day></DateRevised>
<Article PubModel="Print"><Journal><ISSN IssnType="Print">0000-0000</ISSN><JournalIssue CitedMedium="Print"><Volume>{a.year % 50 + 1}</Volume><Issue>3</Issue><PubDate><Year>{a.year}</Year><Month>Mar</Month></PubDate></JournalIssue><Title>{e(a.journal)}</Title><ISOAbbreviation>{e(a.journal)}</ISOAbbreviation></Journal>
<ArticleTitle>{e(a.title)}</ArticleTitle><Pagination><MedlinePgn>101-110</MedlinePgn></Pagination>
<ELocationID EIdType="doi" ValidYN="Y">10.9999/scan.{a.pmid}</ELocationID>
<Abstract>{abstract}</Abstract>
<AuthorList CompleteYN="Y">{authors}</AuthorList><Language>eng</Language>
<PublicationTypeList><PublicationType UI="D016428">Journal Article</PublicationType></PublicationTypeList>
</Article><MedlineJournalInfo><Country>England</Country><MedlineTA>{e(a.journal)}</MedlineTA></MedlineJournalInfo>
<MeshHeadingList>{mesh}</MeshHeadingList></MedlineCitation>
<PubmedData><History><PubMedPubDate PubStatus="entrez"><Year>{a.year}</Year><Month>3</Month><Day>1</Day></PubMedPubDate></History>
<PublicationStatus>ppublish</PublicationStatus><ArticleIdList><ArticleId IdType="pubmed">{a.pmid}</ArticleId><ArticleId IdType="doi">10.9999/scan.{a.pmid}</ArticleId></ArticleIdList>
<ReferenceList>{refs}</ReferenceList></PubmedData>
</PubmedArticle>
"""  # noqa: E501


def write_pubmed_file(path: Path, articles: Iterable[Article], deleted: Iterable[str] = ()) -> Path:
    """A PubmedArticleSet file (gzipped when the name ends in .gz)."""
    body = "".join(article_xml(a) for a in articles)
    deleted = list(deleted)
    if deleted:
        pmids = "".join(f'<PMID Version="1">{p}</PMID>' for p in deleted)
        body += f"<DeleteCitation>{pmids}</DeleteCitation>\n"
    data = (
        f'<?xml version="1.0" encoding="utf-8"?>\n{DOCTYPE}\n<PubmedArticleSet>\n{body}</PubmedArticleSet>\n'
    )
    raw = data.encode("utf-8")
    path.write_bytes(gzip.compress(raw, compresslevel=6, mtime=0) if path.name.endswith(".gz") else raw)
    return path


def baseline_files(
    folder: Path, files: int, per_file: int, on_topic: int | None = None, seed: int = 12
) -> tuple[list[Path], set[str]]:
    """`files` baseline-like files of `per_file` articles each, `on_topic` of them the dev
    abstracts (default: all 110, once) spread over them at random places; the paths and
    the PMIDs of the on-topic records."""
    rng = random.Random(seed)
    topical = _topical(on_topic)
    total = files * per_file
    places = dict(zip(rng.sample(range(total), len(topical)), topical, strict=True))
    paths = []
    for f in range(files):
        articles = [places.get(i) or off_topic_article(OFF_TOPIC_PMIDS + i, rng)
                    for i in range(f * per_file, (f + 1) * per_file)]  # fmt: skip
        paths.append(write_pubmed_file(folder / f"pubmed26n{f + 1:04d}.xml.gz", articles))
    return paths, {a.pmid for a in topical}


def _topical(count: int | None) -> list[Article]:
    """The dev articles, or the first `count` of them; more than there are cycles through
    them again with fresh PMIDs (and the PMID in the title, so no two texts are equal)."""
    dev = on_topic_articles()
    if count is None or count <= len(dev):
        return dev[:count]
    extra = [replace(a, pmid=str(FRESH_PMIDS + 1000 + i), title=f"{a.title} [{FRESH_PMIDS + 1000 + i}]")
             for i, a in zip(range(count - len(dev)), itertools.cycle(dev), strict=False)]  # fmt: skip
    return dev + extra


def revised(article: Article, title: str, date: str = "2025-06-01") -> Article:
    return replace(article, title=title, revised=date)
