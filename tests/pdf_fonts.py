"""What a PDF shows of its fonts: embedded fonts sorted into families, lines and their roles, and which
regional forms of CJK faces were drawn — so tests check the fonts a reader will see rather than the
names written into the .docx. (Moved from ``assembler.office.fonts``: only tests read PDFs this way.)

Needs ``pdffonts`` (poppler-utils) and, for lines and glyphs, ``pdfplumber`` and ``fontTools``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# ------------------------------------------------------------------ font families, by name


#: Families a PDF font name belongs to, tried in order on the name without its subset tag. Noto CJK
#: comes as .ttc collections whose faces share one CFF table named after the JP face, so a PDF names
#: "NotoSansCJKjp-Regular" whichever face drew the text: which regional forms were drawn is a
#: question for ``cjk_faces``, not for the name.
_FAMILY_PATTERNS: tuple[tuple[str, str], ...] = (
    ("japanese/korean", r"Mincho|Gothic|IPA[A-Z]|Takao|Sazanami|Kochi|Noto ?S(ans|erif) ?(JP|KR)\b"
                        r"|Source ?Han ?\w+ ?(JP|KR)|Batang|Dotum|Gulim|Nanum|Malgun"),
    ("fangsong", r"Fang|仿宋"),
    ("kaiti", r"Kai|楷"),
    ("heavy-serif", r"Serif ?CJK\w*[-_ ](Bold|Black|Heavy|SemiBold)|Song[-_ ]?Bold|XiaoBiaoSong|小标宋"),
    ("songti", r"Serif ?CJK|Song|SimSun|宋"),
    ("heiti", r"Sans ?CJK|Hei|黑"),
    ("latin", r"Liberation|Times|DejaVu|Arial|Helvetica|Tinos|Nimbus|Latin ?Modern|LMRoman"),
)


def base_font_name(pdf_font: str) -> str:
    """``ABCDEF+FandolFang-Regular`` → ``FandolFang-Regular`` (drop the subset tag)."""
    return re.sub(r"^[A-Z]{6}\+", "", pdf_font)


def font_family(pdf_font: str) -> str:
    """The family of a PDF font name: fangsong, kaiti, heiti, heavy-serif, songti, latin,
    japanese/korean, or other."""
    name = base_font_name(pdf_font)
    for family, pattern in _FAMILY_PATTERNS:
        if re.search(pattern, name, re.IGNORECASE):
            return family
    return "other"


def is_han(char: str) -> bool:
    """A Han character: the text whose font matters (punctuation may come from any CJK face)."""
    return len(char) == 1 and unicodedata.name(char, "").startswith("CJK UNIFIED IDEOGRAPH")


# ------------------------------------------------------------------ what a PDF embeds


@dataclass(frozen=True)
class EmbeddedFont:
    """One row of ``pdffonts``."""

    name: str
    type: str
    embedded: bool
    subset: bool

    @property
    def family(self) -> str:
        return font_family(self.name)


def embedded_fonts(pdf: Path) -> list[EmbeddedFont]:
    """The fonts a PDF uses, as poppler's ``pdffonts`` lists them."""
    tool = shutil.which("pdffonts")
    if tool is None:
        raise OSError("pdffonts (poppler-utils) is not installed")
    out = subprocess.run([tool, str(pdf)], capture_output=True, text=True, check=True, timeout=60).stdout
    fonts: list[EmbeddedFont] = []
    for row in out.splitlines()[2:]:  # past the header and its dashes
        # name type… encoding emb sub uni object ID: the last five columns are fixed.
        parts = row.split()
        if len(parts) < 7:
            continue
        fonts.append(EmbeddedFont(parts[0], " ".join(parts[1:-6]), parts[-5] == "yes", parts[-4] == "yes"))
    return fonts


@dataclass
class TextLine:
    """One line of text on a page: its baseline and the fonts its Han characters are drawn in."""

    page: int
    baseline: float
    text: str
    size: float
    chars: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def han_fonts(self) -> Counter[str]:
        return Counter(base_font_name(c["fontname"]) for c in self.chars if is_han(c["text"]))


def text_lines(pdf: Path, *, tolerance: float = 2.0) -> list[TextLine]:
    """The lines of every page, top to bottom, characters grouped by baseline (in points from the
    top of the page). Needs pdfplumber (the ``test`` extra)."""
    import pdfplumber  # a test dependency: imported only when a PDF is read

    lines: list[TextLine] = []
    with pdfplumber.open(str(pdf)) as document:
        for number, page in enumerate(document.pages, start=1):
            rows: list[list[dict[str, Any]]] = []
            for char in sorted(page.chars, key=lambda c: (page.height - c["matrix"][5], c["x0"])):
                base = page.height - char["matrix"][5]
                if rows and abs(page.height - rows[-1][0]["matrix"][5] - base) <= tolerance:
                    rows[-1].append(char)
                else:
                    rows.append([char])
            for row in rows:
                row.sort(key=lambda c: c["x0"])
                lines.append(TextLine(number, page.height - row[0]["matrix"][5], "".join(c["text"] for c in row),
                                      max(c["size"] for c in row), row))
    return lines


_HEADING1 = re.compile(r"^[一二三四五六七八九十]+、")
_HEADING2 = re.compile(r"^（[一二三四五六七八九十]+）")


def line_role(line: TextLine, title_size: float = 22.0) -> str:
    """title, heading1, heading2, footer or body: what a reader takes the line for (its size and its
    leading number; base-template headings are paragraphs of their own)."""
    if abs(line.size - title_size) < 1.0:
        return "title"
    if _HEADING1.match(line.text):
        return "heading1"
    if _HEADING2.match(line.text):
        return "heading2"
    if re.fullmatch(r"—\s*\d+\s*—", line.text.strip()):
        return "footer"
    return "body"


def font_report(pdf: Path, lines: Iterable[TextLine] | None = None) -> dict[str, Counter[str]]:
    """For each role (title, heading1, heading2, body, footer): how many Han characters each font drew."""
    report: dict[str, Counter[str]] = {}
    for line in text_lines(pdf) if lines is None else lines:
        report.setdefault(line_role(line), Counter()).update(line.han_fonts)
    return report


# ------------------------------------------------------------------ which regional forms were drawn

_NOTO_TTC = re.compile(r"^(NotoS(?:ans|erif)CJK)[a-z]{2}-([A-Za-z]+)")


def _noto_collections() -> dict[str, Path]:
    """PostScript prefix and weight (``NotoSansCJK-Regular``) → the .ttc holding its faces."""
    out = subprocess.run(["fc-list", "--format=%{file}\t%{postscriptname}\n"], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    found: dict[str, Path] = {}
    for row in out.splitlines():
        file, _, psname = row.partition("\t")
        match = _NOTO_TTC.match(psname)
        if match and file.endswith(".ttc"):
            found.setdefault(f"{match[1]}-{match[2]}", Path(file))
    return found


def _type1_glyphs(font: Mapping[str, Any]) -> dict[str, str]:
    """Unicode character → glyph name for a Type 1 font embedded in a PDF (LibreOffice writes CJK
    subsets as Type 1 fonts whose glyphs keep their CID names, ``cid30041``)."""
    from io import BytesIO

    from fontTools.t1Lib import T1Font  # type: ignore[import-untyped]
    from pdfminer.cmapdb import CMapParser, FileUnicodeMap
    from pdfminer.pdftypes import resolve1

    descriptor = resolve1(font.get("FontDescriptor")) or {}
    if "FontFile" not in descriptor or "ToUnicode" not in font:
        return {}
    program = T1Font.__new__(T1Font)  # T1Font reads files; the PDF holds the program in a stream
    program.data = resolve1(descriptor["FontFile"]).get_data()
    program.encoding = "ascii"
    encoding = list(program["Encoding"])
    differences = resolve1(font.get("Encoding"))
    if isinstance(differences, dict):
        code = 0
        for item in resolve1(differences.get("Differences", [])):
            if isinstance(item, int):
                code = item
            else:
                encoding[code] = getattr(item, "name", str(item))
                code += 1
    unicode_map = FileUnicodeMap()
    CMapParser(unicode_map, BytesIO(resolve1(font["ToUnicode"]).get_data())).run()
    return {text: encoding[code] for code, text in unicode_map.cid2unichr.items() if 0 <= code < len(encoding)}


def _glyph_key(name: str) -> str:
    """``cid09481`` (fontTools) and ``cid9481`` (LibreOffice's subset) are one glyph."""
    match = re.fullmatch(r"cid0*(\d+)", name)
    return f"cid{match[1]}" if match else name


def cjk_faces(pdf: Path) -> dict[str, dict[str, frozenset[str]]]:
    """For each Noto CJK font a PDF embeds: each Han character → the regional faces (SC, TC, HK, JP,
    KR) of the installed collection whose glyph for that character is the one embedded.

    A character all faces draw alike maps to all five; one drawn in a Japanese form maps to JP (and
    maybe KR) but not SC. Needs pdfplumber and fontTools (the ``test`` extra).
    """
    import pdfplumber
    from fontTools.ttLib import TTCollection  # type: ignore[import-untyped]
    from pdfminer.pdftypes import resolve1

    collections = _noto_collections()
    regional: dict[Path, list[tuple[str, dict[int, str]]]] = {}
    result: dict[str, dict[str, frozenset[str]]] = {}
    seen: set[int] = set()
    with pdfplumber.open(str(pdf)) as document:
        for page in document.pages:
            fonts = resolve1((resolve1(page.page_obj.resources) or {}).get("Font")) or {}
            for ref in fonts.values():
                objid = getattr(ref, "objid", id(ref))
                if objid in seen:
                    continue
                seen.add(objid)
                font = resolve1(ref)
                name = base_font_name(str(getattr(font.get("BaseFont"), "name", font.get("BaseFont"))))
                match = _NOTO_TTC.match(name)
                if not match:
                    continue
                path = collections.get(f"{match[1]}-{match[2]}")
                if path is None:
                    raise OSError(f"{name}: no installed Noto CJK collection to compare with")
                if path not in regional:
                    faces = TTCollection(str(path), lazy=True).fonts
                    regional[path] = [(face["name"].getDebugName(1).rsplit(" ", 1)[-1], face.getBestCmap())
                                      for face in faces if "Mono" not in face["name"].getDebugName(1)]
                chars = result.setdefault(name, {})
                for text, glyph in _type1_glyphs(font).items():
                    if is_han(text):
                        chars[text] = chars.get(text, frozenset()) | frozenset(
                            region for region, cmap in regional[path]
                            if _glyph_key(cmap.get(ord(text), "")) == _glyph_key(glyph))
    return result
