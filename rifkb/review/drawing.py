"""What every figure shares: matplotlib without a display, deterministic files (no creation
date, fixed SVG ids), PNG and SVG written atomically, and SVG as text for the HTML report."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib

matplotlib.use("Agg")  # files only: never open a window
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.artist import Artist  # noqa: E402
from matplotlib.axis import Axis  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.ticker import FixedFormatter, FixedLocator  # noqa: E402

from rifkb.files import write_atomic  # noqa: E402
from rifkb.records.labels import without_controls  # noqa: E402

# Same inputs, same bytes: no creation date, fixed SVG element ids.
plt.rcParams["svg.hashsalt"] = "rifkb"
# Labels come from records and rule files: a "$" in one is a dollar, never mathtext (which
# would garble the label or fail to parse it).
plt.rcParams["text.parse_math"] = False
METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None}}
# Inline in a page, an SVG needs no Dublin Core block (which names purl.org and
# creativecommons.org namespaces) and no XML prolog or DOCTYPE (which names w3.org's DTD).
_INLINE_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.DOTALL)
_OPENING = re.compile(r"<svg\b[^>]*>")


def save_figure(fig: plt.Figure, stem: Path, dpi: int = 300) -> list[Path]:
    """stem.png (at `dpi`) and stem.svg, each written atomically; the figure is closed."""
    _printable_text(fig)
    paths = []
    for ext in ("png", "svg"):
        save = lambda tmp, ext=ext: fig.savefig(tmp, format=ext, dpi=dpi, metadata=METADATA[ext])  # noqa: E731
        paths.append(write_atomic(stem.with_suffix(f".{ext}"), save))
    plt.close(fig)
    return paths


def svg_text(fig: plt.Figure, title: str | None = None) -> str:
    """The figure as one `<svg>` element to put in an HTML page (no prolog, no metadata,
    glyphs drawn as paths so that it looks the same without the font), with `title` as
    its `<title>` (what a screen reader says, and a tooltip); the figure is closed."""
    _printable_text(fig)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata=_INLINE_METADATA)
    plt.close(fig)
    svg = _PROLOG.sub("", buffer.getvalue(), count=1).strip() + "\n"
    if title:  # matplotlib's own Title would bring the Dublin Core block back
        svg = _OPENING.sub(lambda m: f"{m.group()}\n <title>{escape(title)}</title>", svg, count=1)
    return svg


def _printable_text(fig: plt.Figure) -> None:
    """Every text of the figure without control characters: record text carries them
    (a BEL in an author's name) and no font has their glyphs, so matplotlib would draw a
    box and print a "Glyph missing" warning on stderr for each."""
    for text in texts_drawn(fig):
        content = text.get_text()
        printable = without_controls(content)
        if printable != content:
            text.set_text(printable)


def texts_drawn(artist: Artist) -> Iterator[Text]:
    """Every text `artist` may draw: what `findobj(Text)` finds, but for an axis the tick
    labels only of one that is drawn, and those as drawing makes them. findobj asks every
    axis for ticks at all its places, which makes them, even for an axes switched off (a
    forest plot's table: a twelfth of its time; the ticks of a drawn axis are made for the
    drawing anyway)."""
    if isinstance(artist, Text):
        yield artist
    if isinstance(artist, Axis):
        yield from _axis_texts(artist)
        return
    for child in artist.get_children():
        yield from texts_drawn(child)


def _axis_texts(axis: Axis) -> Iterator[Text]:
    yield axis.label
    yield axis.offsetText
    if not (axis.axes.get_visible() and axis.axes.axison and axis.get_visible()):
        return  # drawn without its ticks (Axes.draw leaves out the axes of an axes switched off)
    _printable_ticks(axis)
    yield from axis.get_majorticklabels()
    yield from axis.get_minorticklabels()


def _printable_ticks(axis: Axis) -> None:
    """Tick labels without control characters where drawing makes them: it sets each
    tick's label from the axis's formatter again, so a label cleaned alone would be drawn
    as it was. Labels with control characters are given ones (`set_yticks(where, labels)`),
    at fixed places: they become fixed labels, cleaned."""
    tickers = ((axis.major, axis.set_major_locator, axis.set_major_formatter),
               (axis.minor, axis.set_minor_locator, axis.set_minor_formatter))  # fmt: skip
    for ticker, set_locator, set_formatter in tickers:
        places = ticker.locator()
        labels = ticker.formatter.format_ticks(places)
        printable = [without_controls(label) for label in labels]
        if printable != labels:
            set_locator(FixedLocator(places))
            set_formatter(FixedFormatter(printable))
