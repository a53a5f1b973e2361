"""Concept mentions: names, variants, abbreviations, specificity."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rifkb.nlp.base import Hit
from rifkb.nlp.concepts import _abbreviations, _in_compounds

CASES = [
    # (sentence, concepts that must be found, concepts that must not)
    # recurrence with words before the failure, and spread over a coordination
    ("Fifty-one couples with repeated unexplained IVF failure were enrolled.", {"rif"}, set()),
    ("Therapies for repeated embryo implantation failure: a meta-analysis.", {"rif"}, set()),
    ("Subgroups such as patients with recurrent miscarriage or implantation failure.", {"rif", "rpl"}, set()),
    (
        "NK cells in women with recurrent pregnancy loss, implantation failure and preeclampsia.",
        {"rif", "rpl"},
        set(),
    ),
    ("Women with previous implantation failure were included.", set(), {"rif"}),
    # notations and terms of the field
    ("Cytokines of peripheral blood CD3(+) CD4(+) lymphocytes were measured.", {"t_cells"}, set()),
    ("Th1 (CD4+/IFN-γ+)/Th2 (CD4+/IL-4+) cell ratios were elevated.", {"t_cells", "th1_th2"}, set()),
    ("Expression of TH1 cytokines was analysed.", {"th1_th2"}, set()),
    ("Tregs maintain maternofetal tolerance and maternal tolerance.", {"immune_tolerance"}, set()),
    ("Three congenital anomalies were observed.", {"neonatal_outcome"}, set()),
    ("The live birthrate was 60.0%.", {"live_birth"}, set()),
    ("Anti-ovarian antibodies may contribute to RIF.", {"autoantibodies"}, set()),
    ("Women with repeated implantation failure (RIF) received IVIg. RIF was common.", {"rif", "ivig"}, set()),
    ("Intravenous immune globulin was given to IVIG-treated women.", {"ivig"}, set()),
    ("TNF-alpha and TNF-α and IFN-γ levels were measured.", {"tnf_alpha", "ifn_gamma"}, set()),
    ("Anti-nuclear antibodies and antinuclear antibody titres.", {"antinuclear"}, set()),
    ("Women with recurrent miscarriage were excluded.", {"rpl"}, {"miscarriage"}),
    ("The clinical pregnancy rate rose.", {"clinical_pregnancy"}, {"pregnancy"}),
    ("TNF-α inhibitors such as adalimumab were used.", {"tnf_inhibitor"}, {"tnf_alpha"}),
    (
        "Uterine natural killer (NK) cells were counted. NK cells were higher.",
        {"nk_uterine"},
        {"nk_peripheral"},
    ),
    (
        "Peripheral natural killer (NK) cell levels were high; NK cells fell.",
        {"nk_peripheral"},
        {"nk_uterine"},
    ),
    (
        "Chronic endometritis (CE) was diagnosed by CD138 staining; CE was treated.",
        {"chronic_endometritis"},
        set(),
    ),
    (
        "Samples were analysed by capillary electrophoresis (CE). CE separated the peptides.",
        set(),
        {"chronic_endometritis"},
    ),
    ("Routine luteal phase support (LPS) was given; LPS continued to week 12.", {"progesterone"}, set()),
    (
        "There were reduced rates of pregnancy, clinical pregnancy, and implantation.",
        {"pregnancy", "implantation_rate", "clinical_pregnancy"},
        set(),
    ),
    (
        "No differences in implantation, clinical pregnancy, or live birth rates were seen.",
        {"implantation_rate", "live_birth"},
        set(),
    ),
    ("Successful embryo implantation depends on the endometrium.", set(), {"implantation_rate"}),
    ("Fifty women with at least three unsuccessful IVF attempts were studied.", {"rif", "ivf"}, set()),
    (  # failing after two or more transfers is recurrent; after one is not
        "Women who had failed to have a successful pregnancy following at least two prior ETs were treated.",
        {"rif"},
        set(),
    ),
    ("Women who failed to conceive after one embryo transfer were excluded.", set(), {"rif"}),
    (
        "Intrauterine infusion of human chorionic gonadotropin (hCG) before transfer.",
        {"hcg_intrauterine"},
        set(),
    ),
    ("The β-hCG test was positive in 10 women.", {"biochemical_pregnancy"}, {"hcg_intrauterine"}),
    ("Frozen-thawed embryo transfer cycles in healthy controls.", {"fet", "fertile_controls"}, set()),
]


# A long form that names no concept: a variant or misspelling of a name keeps the lexicon's
# reading of the short form; a long form sharing no word with it means something else.
ABBREVIATIONS = [
    (
        "IVIG for RIF",
        "We investigated whether intravenous immunglobulin (IVIG) increased the rate of pregnancies.",
        {"ivig"},
        set(),
    ),
    ("", "Assisted reproductive techinique (ART) is used worldwide; ART outcomes vary.", {"ivf"}, set()),
    (
        "",
        "Women with repeated embryo implantation failure (RIF) were studied; RIF is common.",
        {"rif"},
        set(),
    ),
    (
        "",
        "Paternal leukocyte immunotherapy (LIT) was given; LIT was well tolerated.",
        {"lymphocyte_immunotherapy"},
        set(),
    ),
    # a name of a part ("killer cell") does not name the whole long form
    (
        "",
        "Maternal killer cell immunoglobulin receptor (KIR) genotypes were typed; KIR A was common.",
        {"hla_kir"},
        set(),
    ),
    (
        "",
        "Costs are given as cost-effectiveness (CE) ratios; CE was favourable.",
        set(),
        {"chronic_endometritis"},
    ),
]


@pytest.mark.parametrize(("title", "text", "present", "absent"), ABBREVIATIONS)
def test_defined_abbreviations(read, title, text, present, absent):
    extraction = read(text, title=title)
    found = {c for ids in extraction.concepts().values() for c in ids}
    assert present <= found
    assert not absent & found
    if title:  # every occurrence, the title's included
        assert any(m.evidence.start < len(title) for m in extraction.mentions if m.concept in present)


@pytest.mark.parametrize(("text", "present", "absent"), CASES)
def test_concepts(read, text, present, absent):
    found = {c for ids in read(text).concepts().values() for c in ids}
    assert present <= found
    assert not absent & found


def test_mentions_carry_evidence(read):
    extraction = read("Live birth rates were higher with IVIg. Other sentence.")
    ivig = next(m for m in extraction.mentions if m.concept == "ivig")
    assert ivig.text == "IVIg"
    assert ivig.evidence.sentence == "Live birth rates were higher with IVIg."
    assert ivig.evidence.rule.startswith(("lexicon.tsv:", "abbreviation")) or ":" in ivig.evidence.rule
    assert ivig.evidence.doc_id == "test:1"


@pytest.mark.parametrize(
    ("name", "concept"),
    [
        ("anti-phospholipid antibodies", "antiphospholipid"),
        ("anti-nuclear antibodies", "antinuclear"),
        ("non-receptive endometrium", "endometrial_receptivity"),
        ("NK cell killing activity", "nk_cytotoxicity"),
        ("TPO-Ab", "thyroid_autoimmunity"),
        ("KIR2DS1", "hla_kir"),
        ("implantation failure after three or more cycles", "rif"),
        ("low-molecular-weight heparin", "heparin"),
        ("vitrified-warmed blastocyst transfer", "fet"),
    ],
)
def test_spelling_variants(read, name, concept):
    found = {c for ids in read(f"Women received {name} in this study.").concepts().values() for c in ids}
    assert concept in found


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(["APA", "CE", "IVIg", "NK", "-", "--", " ", "_", "x", "é", "1", "(", "positive"]),
             max_size=20).map("".join),
    st.sets(st.sampled_from(["APA", "CE", "IVIg", "NK", "C", "E-1"]), max_size=3),
)  # fmt: skip
@example("APA-positive, xAPA-1, -APA-x, APA--, CE-é APA-_ APA-", {"APA", "CE"})
def test_a_short_form_heads_a_compound_where_the_expression_found_it(text, shorts):
    """`_in_compounds` looks with str.find for what `(?<![\\w-])SHORT(?=-\\w)` found."""
    meaning = {s: Hit(0, 1, s.lower(), "mechanism", "lexicon") for s in shorts} | {"NK": None}
    expected = [
        (m.start(), m.end(), source.concept)
        for short, source in meaning.items()
        if source is not None and short.isalnum()
        for m in re.finditer(rf"(?<![\w-]){re.escape(short)}(?=-\w)", text)
    ]
    assert [(h.start, h.end, h.concept) for h in _in_compounds(text, meaning)] == expected


def test_abbreviations_are_read_from_the_token_arrays_as_from_their_spans(nlp):
    """The short and long forms' offsets and text, read from the Doc's token arrays, are
    those of their Spans, on every dev abstract that defines one."""
    from rifkb.corpus.formats import read_references
    from rifkb.nlp.reading import record_doc

    dev = Path(__file__).parents[1] / "data" / "dev.jsonl"
    defined = 0
    for record in (ref.record for chunk in read_references(dev, "jsonl") for ref in chunk.references):
        doc = nlp(record_doc(nlp, record))
        spans = [
            (short.text, (long.start_char, long.end_char), (short.start_char, short.end_char))
            for a in doc._.abbreviations
            for long, short in [
                (doc[a["long_start"] : a["long_end"]], doc[a["short_start"] : a["short_end"]])
            ]
        ]
        assert _abbreviations(doc) == spans
        defined += bool(spans)
    assert defined > 50
