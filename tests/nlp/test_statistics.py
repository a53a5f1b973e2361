"""Property-based tests of the effect-estimate grammar: estimates generated in the
notations journals use (measure names, links, decimals, signs, brackets, interval labels
before or after, range separators, p and I² annotations in between, lists), read back
through the whole pipeline, must give exactly the numbers written."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rifkb.nlp.statistics import number

RATIO_NAMES = ["OR", "odds ratio", "aOR", "adjusted odds ratio", "pooled OR", "RR", "risk ratio",
               "risk-ratio", "relative risk", "HR", "hazard ratio", "adjusted HR"]  # fmt: skip
DIFFERENCE_NAMES = ["MD", "mean difference", "WMD", "SMD", "standardised mean difference"]
MEASURE_OF = {"odds ratio": "OR", "aOR": "OR", "adjusted odds ratio": "OR", "pooled OR": "OR",
              "risk ratio": "RR", "risk-ratio": "RR", "relative risk": "RR", "hazard ratio": "HR",
              "adjusted HR": "HR", "mean difference": "MD", "WMD": "MD",
              "standardised mean difference": "SMD"}  # fmt: skip
LINKS = [" ", " = ", ": ", " of ", " was ", "="]
MINUS = ["-", "−", "‐", "–"]
SEPARATORS = ["-", "–", "—", "~", "∼", "～", " to ", " - "]
LABELLED_SEPARATORS = [*SEPARATORS, ", ", "; "]
LABELS = ["95% CI", "95%CI", "CI 95%", "95% confidence interval", "95% CI:", "95% confidence intervals [CI]",
          "CI", "95% CI,"]  # fmt: skip
BRACKETS = [("(", ")"), ("[", "]"), ("", "")]
BETWEEN = ["", ", P = 0.03", ", p < 0.001", ", I2 = 12%", "; I² = 45%", ", P = .04"]
SETTINGS = settings(max_examples=250, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip


@st.composite
def written_number(draw, value: float) -> str:
    """A number as journals print it: 2 decimals, perhaps a middle dot, a leading dot or
    a unicode minus."""
    text = f"{abs(value):.2f}"
    if draw(st.booleans()) and text.startswith("0."):
        text = text[1:]  # OR = .40
    if draw(st.booleans()):
        text = text.replace(".", "·")
    return (draw(st.sampled_from(MINUS)) + text) if value < 0 else text


@st.composite
def estimate(draw, difference: bool) -> tuple[str, tuple[float, float, float]]:
    """(text after the measure name, (value, low, high))."""
    scale = st.integers(-300, 300) if difference else st.integers(5, 2000)
    low, value, high = sorted(draw(st.lists(scale, min_size=3, max_size=3, unique=True)))
    low, value, high = (n / 100 for n in (low, value, high))
    texts = [draw(written_number(n)) for n in (value, low, high)]
    label = draw(st.sampled_from(["", *LABELS]))
    opening, closing = draw(st.sampled_from(BRACKETS))
    separators = LABELLED_SEPARATORS if (label or opening) else SEPARATORS
    separator = draw(st.sampled_from(separators))
    if texts[2][0] in MINUS or texts[1][0] in MINUS:  # "−0.90 to −0.12", not "−0.90-−0.12"
        separator = draw(st.sampled_from([" to ", ", " if label or opening else " to "]))
    pair = f"{texts[1]}{separator}{texts[2]}"
    after = draw(st.booleans()) and label in ("95% CI", "CI") and opening
    interval = f"{opening}{pair} {label}{closing}" if after else f"{label} {opening}{pair}{closing}".strip()
    between = draw(st.sampled_from(BETWEEN))
    lead = ", " if not opening else " "
    return f"{texts[0]}{between}{lead}{interval}", (value, low, high)


@st.composite
def sentence(draw) -> tuple[str, str, list[tuple[float, float, float]]]:
    difference = draw(st.booleans())
    name = draw(st.sampled_from(DIFFERENCE_NAMES if difference else RATIO_NAMES))
    link = draw(st.sampled_from(LINKS if len(name) <= 3 else [link for link in LINKS if link != "="]))
    body, numbers = draw(estimate(difference))
    text = f"Live birth was higher with the treatment ({name}{link}{body}; p = 0.01)."
    return text, MEASURE_OF.get(name, name.removeprefix("a").upper() if len(name) <= 3 else name), [numbers]


@st.composite
def listed(draw) -> tuple[str, list[tuple[float, float, float]]]:
    """'HRs 1.62 [1.10–2.38] and 0.91 [0.60–1.38], respectively'."""
    count = draw(st.integers(2, 3))
    numbers = [draw(estimate(False))[1] for _ in range(count)]
    parts = [f"{draw(written_number(n[0]))} [{_pair(n)}]" for n in numbers]
    joined = ", ".join(parts[:-1]) + " and " + parts[-1]
    return f"Live birth, clinical pregnancy and miscarriage differed (HRs {joined}, respectively).", numbers


def _pair(numbers: tuple[float, float, float]) -> str:
    return f"{numbers[1]:.2f}–{numbers[2]:.2f}"


def _read_numbers(effects) -> list[tuple[float, float, float]]:
    return [(e.value, e.ci_low, e.ci_high) for e in effects]


def _close(got, expected) -> bool:
    return len(got) == len(expected) and all(
        abs(a - b) < 1e-9 for g, x in zip(got, expected, strict=True) for a, b in zip(g, x, strict=True)
    )


@SETTINGS
@given(sentence())
def test_every_generated_notation_reads_back_whole(read, case):
    text, measure, expected = case
    effects = read(text).effects
    assert _close(_read_numbers(effects), expected), text
    assert effects[0].measure == measure, text


@SETTINGS
@given(listed())
def test_generated_lists_read_back_in_order(read, case):
    text, expected = case
    assert _close(_read_numbers(read(text).effects), expected), text


@pytest.mark.parametrize(
    ("written", "value"),
    [("2·31", 2.31), (".4", 0.4), ("−1.78", -1.78), ("‐2.47", -2.47), ("– 0.5", -0.5), ("12", 12.0)],
)
def test_numbers_as_journals_print_them(written, value):
    assert number(written) == value
