"""Chinese fonts for LibreOffice on Linux, and what a PDF shows of them.

The .docx keeps the official font names (仿宋_GB2312, 楷体_GB2312, 黑体, 方正小标宋简体, 宋体) because
the reader's machine has those fonts. Our own offices run on Linux, which has none of them; left to
itself LibreOffice then picks whatever CJK face fontconfig ranks first — often a Japanese sans, which
draws many shared characters differently and makes a report look wrong to its readers. So every
soffice we start gets ``FONTCONFIG_FILE`` pointing at a small generated file that includes the
system configuration and then ``fonts.conf`` beside this module (the aliases to free Debian fonts).

The generated file lives in a per-user cache folder under a name derived from its content, so any
number of processes can write it at once and a changed ``fonts.conf`` (or a different system
configuration) gives a new file instead of racing with an old one.

Only Linux/BSD offices read fontconfig; on Windows and macOS LibreOffice uses the system's font
machinery and those machines usually have the official fonts, so the environment is left alone.

The second half reads a finished PDF back (``pdffonts`` from poppler-utils, ``pdfplumber`` when
installed) and sorts embedded fonts into families, so tests can check the fonts a reader will see
rather than the names written into the .docx.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from ..output import atomic_write

FONTS_CONF = Path(__file__).with_name("fonts.conf")
"""The aliases shipped with the package (official names → free fonts)."""

_SYSTEM_CONFIGS = (
    "/etc/fonts/fonts.conf",
    "/usr/local/etc/fonts/fonts.conf",
    "/opt/homebrew/etc/fonts/fonts.conf",
)
_MARK = "assembler-fonts-"
"""Prefix of generated configuration files, so a nested call recognises its own file."""

#: The Debian packages the aliases point at (scripts/setup.sh --full installs them).
FONT_PACKAGES = ("texlive-lang-chinese", "fonts-noto-cjk", "fonts-arphic-ukai", "fonts-lxgw-wenkai",
                 "fonts-liberation2")


# ------------------------------------------------------------------ the office's environment


def uses_fontconfig(platform: str | None = None) -> bool:
    """Whether LibreOffice on this platform picks fonts through fontconfig."""
    platform = platform or sys.platform
    return not (platform.startswith("win") or platform == "darwin" or platform == "cygwin")


def system_config(env: Mapping[str, str]) -> Path | None:
    """The configuration fontconfig would load without us: ``$FONTCONFIG_FILE`` (unless it is one of
    ours), ``$FONTCONFIG_PATH/fonts.conf``, then the usual places."""
    candidates: list[str] = []
    current = env.get("FONTCONFIG_FILE")
    if current and not Path(current).name.startswith(_MARK):
        candidates.append(current)
    if env.get("FONTCONFIG_PATH"):
        candidates.extend(str(Path(folder) / "fonts.conf") for folder in env["FONTCONFIG_PATH"].split(os.pathsep)
                          if folder)
    candidates.extend(_SYSTEM_CONFIGS)
    for candidate in candidates:
        path = Path(candidate)
        if path.is_absolute() and path.is_file():
            return path
    return None


def config_text(system: Path | None, aliases: Path = FONTS_CONF) -> str:
    """The wrapper: the system configuration first (folders, caches, its own rules), then ours, so our
    aliases see the families the system rules have already filled in and put ours in front."""
    lines = ['<?xml version="1.0"?>', '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">', "<fontconfig>"]
    if system is not None:
        lines.append(f'  <include ignore_missing="yes">{escape(str(system))}</include>')
    else:  # no system configuration found: at least the usual font folders and a cache
        lines += ["  <dir>/usr/share/fonts</dir>", "  <dir>/usr/local/share/fonts</dir>",
                  '  <dir prefix="xdg">fonts</dir>', '  <cachedir prefix="xdg">fontconfig</cachedir>']
    lines.append(f"  <include>{escape(str(aliases.resolve()))}</include>")
    lines.append("</fontconfig>")
    return "\n".join(lines) + "\n"


def _cache_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CACHE_HOME") or (str(Path(env["HOME"]) / ".cache") if env.get("HOME") else "")
    return Path(base or tempfile.gettempdir()) / "assembler"


def generated_config(env: Mapping[str, str] | None = None, aliases: Path = FONTS_CONF) -> Path:
    """Write (once) and return the wrapper configuration for ``env``."""
    env = os.environ if env is None else env
    text = config_text(system_config(env), aliases)
    digest = hashlib.sha256((text + aliases.read_text(encoding="utf-8")).encode()).hexdigest()[:16]
    for folder in (_cache_dir(env), Path(tempfile.gettempdir()) / f"assembler-{os.getuid()}"):
        target = folder / f"{_MARK}{digest}.conf"
        if target.is_file() and target.read_text(encoding="utf-8") == text:
            return target
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=folder, prefix=".tmp-", suffix=".conf",
                                             delete=False) as handle:
                handle.write(text)
            os.replace(handle.name, target)
        except OSError:
            continue
        return target
    raise OSError("cannot write a fontconfig file")


def office_env(base: Mapping[str, str]) -> dict[str, str]:
    """The environment for one soffice process: ``base`` plus ``FONTCONFIG_FILE`` set to our wrapper.

    Never fails: without fontconfig (Windows, macOS) or without a writable cache folder the office
    simply gets ``base``, and renders with whatever fonts it finds.
    """
    env = dict(base)
    if not uses_fontconfig() or not FONTS_CONF.is_file():
        return env
    try:
        env["FONTCONFIG_FILE"] = str(generated_config(env))
    except OSError:
        pass
    return env


USER_CONF_NAME = "60-assembler-fonts.conf"
"""The user's fontconfig file the extension installs: ``fonts.conf`` itself, under conf.d."""


def user_config_path(env: Mapping[str, str] | None = None) -> Path | None:
    """Where fontconfig reads a user's own rules (``$XDG_CONFIG_HOME/fontconfig/conf.d``, which
    Debian's ``50-user.conf`` includes); None without a home folder."""
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or (str(Path(env["HOME"]) / ".config") if env.get("HOME") else "")
    return Path(base) / "fontconfig" / "conf.d" / USER_CONF_NAME if base else None


def install_user_config(env: Mapping[str, str] | None = None, aliases: Path = FONTS_CONF) -> Path | None:
    """Give the user's own offices the aliases: copy ``fonts.conf`` into the user's fontconfig
    folder (only where fontconfig is used, only when it differs). Returns the file when it was
    written now (it applies from the next start of LibreOffice), None when nothing was to do.

    Why the user's fontconfig and not LibreOffice's replacement table: the FangSong and Kai faces
    (Fandol) live inside TeX Live, where only a fontconfig ``<dir>`` makes them visible, and the
    title's bold weight comes from a fontconfig rule; one file then serves both routes.
    """
    if not uses_fontconfig() or not aliases.is_file():
        return None
    target = user_config_path(env)
    if target is None:
        return None
    text = aliases.read_bytes()
    try:
        if target.is_file() and target.read_bytes() == text:
            return None
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, text)
    except OSError:
        return None
    return target


def missing_font_packages(packages: Iterable[str] = FONT_PACKAGES) -> list[str]:
    """The Debian font packages (README, ``setup.sh --full``) that are not installed; empty where
    there is no dpkg (Windows, other systems: their own fonts are used)."""
    tool = shutil.which("dpkg-query")
    if tool is None or not uses_fontconfig():
        return []
    missing = []
    for package in packages:
        try:
            status = subprocess.run([tool, "-W", "-f=${Status}", package], capture_output=True, text=True,
                                    timeout=30).stdout
        except (OSError, subprocess.SubprocessError):
            return []
        if "install ok installed" not in status:
            missing.append(package)
    return missing


def fc_match(name: str, *, lang: str = "zh-cn", env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(family, style) fontconfig picks for a requested family name under ``env`` (default: ours)."""
    if env is None:
        env = office_env(os.environ)
    escaped = re.sub(r"([-:,\\])", r"\\\1", name)
    result = subprocess.run(["fc-match", "--format=%{family[0]}\t%{style[0]}", f"{escaped}:lang={lang}"],
                            env=dict(env), capture_output=True, text=True, check=True, timeout=60)
    family, _, style = result.stdout.partition("\t")
    return family, style


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
