"""GB/T 9704 fidelity measured on the PDF a reader gets, not read off the .docx settings.

A sample report (the first sample, tests/fixtures/sample-v1/, six pages) goes through the real office pool once; the
tests then measure its pages with pdfplumber (character boxes and baselines) and pdftoppm (the ink
of the page-number dashes): lines a page, characters a line, the type area's four edges, the title's
centre and the page numbers. docs/fidelity.md explains the measures and records the figures.

Run as a script to print the figures for any PDFs (``python tests/test_fidelity.py A.pdf B.pdf``) or,
with no argument, for the sample report built afresh.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from assembler.ooxml.base_template import base_template_bytes
from pdf_fonts import TextLine, is_han, text_lines

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "tests" / "fixtures" / "sample-v1" / "examples"  # the first sample, kept for its figures
PERSON = "周明远"
MM = 72 / 25.4

# GB/T 9704-2012 §5.2: A4, margins top 37, bottom 35, left 28, right 26 mm; 22 lines × 28 characters.
PAGE_W, PAGE_H = 210.0, 297.0
TOP, BOTTOM, LEFT, RIGHT = 37.0, 35.0, 28.0, 26.0
LINES, CHARS = 22, 28
BODY_PT, FOOTER_PT, TITLE_PT = 16.0, 14.0, 22.0
#: A CJK character's em box runs from 0.12 em below the baseline to 0.88 em above it (the fonts'
#: typographic ascender and descender); its centre is 0.38 em above the baseline.
EM_CENTRE = 0.38
FULL_WIDTH_PUNCTUATION = "，。、；：！？“”‘’（）《》【】—…·"
#: Punctuation that may hang past the right edge (Word and Writer allow it by default).
HANGING = "，。、；：！？”’）》"


# ------------------------------------------------------------------ measuring


def cells(text: str) -> float:
    """Width of a text in character cells: Han and full-width punctuation one, Latin and digits half."""
    return sum(1.0 if is_han(char) or char in FULL_WIDTH_PUNCTUATION else 0.5 for char in text)


@dataclass
class Page:
    number: int
    body: list[TextLine]
    footer: list[TextLine]

    @property
    def baselines(self) -> list[float]:
        return [line.baseline for line in self.body]


def pages_of(lines: list[TextLine]) -> list[Page]:
    """Lines split by page into body (inside the type area's depth) and footer (below it)."""
    limit = (PAGE_H - BOTTOM) * MM + 5
    numbers = sorted({line.page for line in lines})
    return [Page(n, [line for line in lines if line.page == n and line.baseline < limit],
                 [line for line in lines if line.page == n and line.baseline >= limit]) for n in numbers]


def pitch(page: Page) -> float:
    """The line pitch: a least-squares fit of baselines over line numbers (lines sit on a grid)."""
    ys = page.baselines
    xs = range(len(ys))
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum((x - mean_x) ** 2 for x in xs)


def type_area_depth(page: Page) -> tuple[float, float]:
    """(top, bottom) of the type area in mm from the page top: the stack of the page's line cells,
    one pitch deep each, each centred on its characters' em box (as a line grid centres them)."""
    step = pitch(page)
    first = page.body[0].baseline - EM_CENTRE * page.body[0].size
    last = page.body[-1].baseline - EM_CENTRE * page.body[-1].size
    return (first - step / 2) / MM, (last + step / 2) / MM


def reaches_bottom(page: Page) -> bool:
    """Whether the text runs down to the type area's last line (a full page), judged by geometry
    alone: the last line's cell ends within half a line of the type area's bottom edge."""
    if len(page.body) < 2:
        return False
    return type_area_depth(page)[1] > PAGE_H - BOTTOM - pitch(page) / 2 / MM


def is_body(line: TextLine) -> bool:
    return abs(line.size - BODY_PT) < 0.5


def full_lines(page: Page) -> list[TextLine]:
    """Body lines that run from the left edge to the right edge: not indented, not a paragraph's last
    line (those stop short), judged by position against the page's own widest lines."""
    body = [line for line in page.body if is_body(line)]
    if not body:
        return []
    left = min(line.chars[0]["x0"] for line in body)
    right = statistics.median(sorted(line.chars[-1]["x1"] for line in body)[-max(1, len(body) // 3):])
    return [line for line in body
            if line.chars[0]["x0"] - left < 2 and right - content_end(line) < BODY_PT / 2]


def content_end(line: TextLine) -> float:
    """Right end of a line's text, a hanging punctuation mark at its end left out."""
    return line.chars[-2 if hangs(line) and len(line.chars) > 1 else -1]["x1"]


def hangs(line: TextLine) -> bool:
    """Whether the last character sits past the right edge of the type area (hanging punctuation)."""
    return line.chars[-1]["x1"] > (PAGE_W - RIGHT) * MM + BODY_PT / 4


def dash_ink_top(pdf: Path, page: int, line: TextLine, dpi: int = 600) -> float:
    """Top of the ink of the first character (the 一字线) of a footer line, in mm from the page top,
    from the page rasterised by pdftoppm."""
    char = line.chars[0]
    x, y = int(char["x0"] / 72 * dpi), int((char["top"] - 10) / 72 * dpi)
    width, height = int((char["x1"] - char["x0"]) / 72 * dpi), int((char["bottom"] - char["top"] + 20) / 72 * dpi)
    raw = subprocess.run(["pdftoppm", "-f", str(page), "-l", str(page), "-r", str(dpi), "-gray", "-x", str(x),
                          "-y", str(y), "-W", str(width), "-H", str(height), str(pdf)],
                         capture_output=True, check=True, timeout=120).stdout
    magic, size, _maxval, data = raw.split(b"\n", 3)
    assert magic == b"P5", "pdftoppm -gray should write a binary PGM"
    w, h = map(int, size.split())
    inked = [row for row in range(h) if min(data[row * w:(row + 1) * w]) < 128]
    assert inked, f"no ink under the first footer character on page {page}"
    return (y + inked[0]) / dpi * 25.4


@dataclass
class Figures:
    pages: int
    lines_per_page: list[int]
    full_pages: list[int]
    pitch_pt: float
    chars_full_han_lines: list[int]
    full_han_lines: int
    top_mm: float
    bottom_margin_mm: float
    left_mm: float
    right_margin_mm: float
    indent_mm: float
    title_centre_offset_mm: float
    footers: list[str]
    footer_odd_right_mm: float
    footer_even_left_mm: float
    dash_below_type_area_mm: float
    hanging_lines: int


def measure(pdf: Path, lines: list[TextLine] | None = None) -> Figures:
    lines = text_lines(pdf) if lines is None else lines
    pages = pages_of(lines)
    full_pages = [page for page in pages if reaches_bottom(page)]
    full = [line for page in full_pages for line in full_lines(page)]
    han = [line for line in full if all(is_han(c) or c in FULL_WIDTH_PUNCTUATION for c in line.text)]
    depths = [type_area_depth(page) for page in full_pages]
    lefts = [line.chars[0]["x0"] / MM for line in full]
    rights = [PAGE_W - content_end(line) / MM for line in full]
    indented = [line.chars[0]["x0"] / MM - LEFT for page in full_pages for line in page.body
                if is_body(line) and line.chars[0]["x0"] / MM - LEFT > 5]
    title = pages[0].body[0]
    title_centre = (title.chars[0]["x0"] + title.chars[-1]["x1"]) / 2 / MM
    odd = [page.footer[0] for page in pages if page.number % 2 and page.footer]
    even = [page.footer[0] for page in pages if not page.number % 2 and page.footer]
    dash = [dash_ink_top(pdf, page.number, page.footer[0]) - (PAGE_H - BOTTOM) for page in pages[:2] if page.footer]
    return Figures(
        pages=len(pages),
        lines_per_page=[len(page.body) for page in pages],
        full_pages=[page.number for page in full_pages],
        pitch_pt=statistics.fmean(pitch(page) for page in full_pages),
        chars_full_han_lines=sorted({len(line.text) - hangs(line) for line in han}),
        full_han_lines=len(han),
        top_mm=max((top for top, _ in depths), key=lambda v: abs(v - TOP)),
        bottom_margin_mm=max((PAGE_H - bottom for _, bottom in depths), key=lambda v: abs(v - BOTTOM)),
        left_mm=max(lefts, key=lambda v: abs(v - LEFT)),
        right_margin_mm=statistics.median(rights),
        indent_mm=statistics.median(indented),
        title_centre_offset_mm=title_centre - (LEFT + (PAGE_W - LEFT - RIGHT) / 2),
        footers=[page.footer[0].text if page.footer else "" for page in pages],
        footer_odd_right_mm=max(PAGE_W - line.chars[-1]["x1"] / MM for line in odd),
        footer_even_left_mm=max(line.chars[0]["x0"] / MM for line in even),
        dash_below_type_area_mm=max(dash, key=abs),
        hanging_lines=sum(hangs(line) for line in full),
    )


# ------------------------------------------------------------------ the sample report, once


def build_sample(out: Path) -> Path:
    """The sample report of one person as a PDF, through the same pool ``--pdf`` uses."""
    from click.testing import CliRunner

    from assembler.cli import main
    from assembler.office.pool import convert_to_pdf

    result = CliRunner().invoke(main, [
        "build", str(EXAMPLES / "rules.yaml"), "--vars", str(EXAMPLES / "vars.yaml"),
        "--checklist", str(EXAMPLES / "checklist.md"), "--people", str(EXAMPLES / "people.xlsx"),
        "-o", str(out)])
    assert result.exit_code == 0, result.output
    (converted,) = convert_to_pdf([out / f"2022年度述职述廉报告-{PERSON}.docx"], jobs=1, timeout=120)
    assert converted.ok, converted.error
    assert converted.pdf is not None
    return converted.pdf


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, list[TextLine]]:
    pdf = build_sample(tmp_path_factory.mktemp("fidelity"))
    return pdf, text_lines(pdf)


@pytest.fixture(scope="module")
def figures(sample) -> Figures:
    return measure(*sample)


pytestmark = pytest.mark.office


def test_sample_fills_several_pages(figures):
    assert figures.pages >= 3


def test_a_full_page_has_22_lines_on_a_28_95_pt_pitch(figures):
    assert len(figures.full_pages) >= 2
    assert [figures.lines_per_page[n - 1] for n in figures.full_pages] == [LINES] * len(figures.full_pages)
    assert figures.pitch_pt == pytest.approx(28.95, abs=0.02)
    assert LINES * figures.pitch_pt / MM == pytest.approx(PAGE_H - TOP - BOTTOM, abs=1.0)


def test_lines_sit_on_one_grid_and_short_pages_are_explained(sample, figures):
    """No gaps or squeezed lines; a page that stops short (not the last) does so because its next
    page opens with a heading kept with its text."""
    pages = pages_of(sample[1])
    for page in pages:
        step = pitch(page) if len(page.body) > 1 else 28.95
        for above, below in zip(page.body, page.body[1:], strict=False):
            assert below.baseline - above.baseline == pytest.approx(step, abs=0.15), (page.number, below.text)
        assert len(page.body) <= LINES
    for page, following in zip(pages, pages[1:], strict=False):
        if page.number not in figures.full_pages:
            assert re.match(r"^([一二三四五六七八九十]+、|（[一二三四五六七八九十]+）)", following.body[0].text), \
                (page.number, len(page.body))


def test_a_full_line_has_28_characters(figures, sample):
    assert figures.full_han_lines >= 20
    assert figures.chars_full_han_lines == [CHARS]
    # Lines with digits or Latin letters: never more than 28 cells (a hanging mark aside).
    pages = pages_of(sample[1])
    for page in pages:
        for line in full_lines(page):
            assert cells(line.text) - (line.text[-1] in HANGING and hangs(line)) <= CHARS, line.text


def test_left_and_right_edges_within_1_mm(figures):
    assert figures.left_mm == pytest.approx(LEFT, abs=1.0)
    assert figures.right_margin_mm == pytest.approx(RIGHT, abs=1.0)
    assert figures.indent_mm == pytest.approx(2 * BODY_PT / MM, abs=0.5)  # 首行缩进两字


def test_only_punctuation_hangs_past_the_right_edge(sample):
    for page in pages_of(sample[1]):
        for line in page.body:
            if hangs(line):
                assert line.text[-1] in HANGING, line.text


def test_top_and_bottom_edges_within_1_mm(figures):
    assert figures.top_mm == pytest.approx(TOP, abs=1.0)
    assert figures.bottom_margin_mm == pytest.approx(BOTTOM, abs=1.0)


def test_title_is_centred_within_1_mm(sample, figures):
    title = pages_of(sample[1])[0].body[0]
    assert title.size == pytest.approx(TITLE_PT)
    assert title.text.endswith("述职述廉报告")
    assert abs(figures.title_centre_offset_mm) <= 1.0


def test_page_numbers_read_dash_n_dash(figures):
    assert [re.sub(r"\s+", " ", text) for text in figures.footers] == \
        [f"— {n} —" for n in range(1, figures.pages + 1)]


def test_page_numbers_right_on_odd_and_left_on_even_pages_one_character_in(sample, figures):
    one_char = FOOTER_PT / MM
    assert figures.footer_odd_right_mm == pytest.approx(RIGHT + one_char, abs=1.0)
    assert figures.footer_even_left_mm == pytest.approx(LEFT + one_char, abs=1.0)
    for page in pages_of(sample[1]):
        (footer,) = page.footer
        assert {round(c["size"]) for c in footer.chars} == {round(FOOTER_PT)}


def test_page_number_dash_7_mm_below_the_type_area(figures):
    assert figures.dash_below_type_area_mm == pytest.approx(7.0, abs=1.0)


# ------------------------------------------------------------------ the committed base template


def test_committed_base_template_is_what_the_code_builds():
    committed = REPO / "templates" / "gbt9704.docx"
    assert committed.read_bytes() == base_template_bytes(), \
        "templates/gbt9704.docx is stale: run .venv/bin/python scripts/build_base_template.py"


def _print(pdf: Path) -> None:
    figures = measure(pdf)
    print(pdf)
    for key, value in vars(figures).items():
        print(f"  {key}: {round(value, 2) if isinstance(value, float) else value}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        for argument in sys.argv[1:]:
            _print(Path(argument))
    else:
        with tempfile.TemporaryDirectory() as folder:
            _print(build_sample(Path(folder)))
