"""Chinese fonts: fontconfig maps every spelling of the official names, and the PDF embeds the right faces.

The PDF checks read a sample report converted by the real office pool, so they see what a reader sees:
the fonts embedded for the title, the 一、 and （一） headings and the body, and — for Noto CJK, whose
.ttc faces share one CFF named after the Japanese face — which regional glyph forms were drawn.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

import pdf_fonts
from assembler.cli import main
from assembler.office import fonts
from assembler.office.pool import convert_to_pdf

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "tests" / "fixtures" / "sample-v1" / "examples"  # the first sample, kept for its figures
PERSON = "周明远"

#: Spellings people use for the five official fonts (issue #3): each must be mapped, to this family.
REQUIRED: dict[str, tuple[str, ...]] = {
    "FandolFang": ("仿宋", "仿宋_GB2312", "FangSong", "FangSong_GB2312", "fangsong", "仿宋_GBK", "华文仿宋"),
    "FandolKai": ("楷体", "楷体_GB2312", "KaiTi", "KaiTi_GB2312", "kaiti", "华文楷体"),
    "Noto Sans CJK SC": ("黑体", "SimHei", "Heiti", "heiti", "华文黑体"),
    "Noto Serif CJK SC": ("方正小标宋简体", "方正小标宋_GBK", "FZXiaoBiaoSong-B05S", "小标宋", "华文中宋",
                          "宋体", "SimSun", "SongTi", "华文宋体", "新宋体"),
}


def fold(name: str) -> str:
    """fontconfig compares family names ignoring case and blanks."""
    return name.replace(" ", "").casefold()


def configured_aliases() -> dict[str, str]:
    """Spelling → first stand-in family (``accept``: after the official name), read from the shipped fonts.conf."""
    tree = etree.parse(str(fonts.FONTS_CONF))
    return {alias.findtext("family"): alias.find("accept").findtext("family")
            for alias in tree.iter("alias") if alias.find("accept") is not None}


def configured_bold() -> set[str]:
    """Spellings fonts.conf asks the Bold face for (the 小标宋 ones)."""
    tree = etree.parse(str(fonts.FONTS_CONF))
    return {match.findtext("test/string") for match in tree.iter("match")
            if match.find("edit[@name='weight']") is not None}


# ------------------------------------------------------------------ the environment


def test_office_env_points_fontconfig_at_a_wrapper_of_the_system_config(tmp_path):
    env = fonts.office_env({"HOME": str(tmp_path), "PATH": os.environ.get("PATH", "")})
    wrapper = Path(env["FONTCONFIG_FILE"])
    assert wrapper.parent == tmp_path / ".cache" / "assembler"
    text = wrapper.read_text(encoding="utf-8")
    system = fonts.system_config({})
    assert system is not None and text.index(str(system)) < text.index(str(fonts.FONTS_CONF.resolve()))
    # A second office gets the same file; a nested call does not wrap our wrapper.
    assert fonts.office_env({"HOME": str(tmp_path)})["FONTCONFIG_FILE"] == str(wrapper)
    again = fonts.office_env({"HOME": str(tmp_path), "FONTCONFIG_FILE": str(wrapper)})
    assert again["FONTCONFIG_FILE"] == str(wrapper)


def test_office_env_keeps_a_users_own_fontconfig_file(tmp_path):
    own = tmp_path / "mine.conf"
    own.write_text('<?xml version="1.0"?><fontconfig><include>/etc/fonts/fonts.conf</include></fontconfig>\n')
    env = fonts.office_env({"HOME": str(tmp_path), "FONTCONFIG_FILE": str(own)})
    text = Path(env["FONTCONFIG_FILE"]).read_text(encoding="utf-8")
    assert f'<include ignore_missing="yes">{own}</include>' in text
    assert "/etc/fonts/fonts.conf" not in text


def test_no_fontconfig_wrapper_where_office_does_not_use_fontconfig():
    assert not fonts.uses_fontconfig("win32") and not fonts.uses_fontconfig("darwin")
    assert fonts.uses_fontconfig("linux")


# ------------------------------------------------------------------ fc-match under our configuration


def test_fonts_conf_names_every_usual_spelling():
    aliases = {fold(name): family for name, family in configured_aliases().items()}
    for family, spellings in REQUIRED.items():
        for spelling in spellings:
            assert aliases.get(fold(spelling)) == family, spelling
    bold = {fold(name) for name in configured_bold()}
    assert {fold(name) for name in ("方正小标宋简体", "FZXiaoBiaoSong-B05S", "小标宋", "华文中宋")} <= bold
    assert fold("宋体") not in bold


def test_fc_match_maps_each_spelling_to_the_intended_family():
    if shutil.which("fc-match") is None:
        pytest.fail("fc-match (fontconfig) is missing: run bash scripts/setup.sh --full")
    env = fonts.office_env(dict(os.environ))
    bold = configured_bold()
    wrong = {}
    for spelling, family in configured_aliases().items():
        got, style = fonts.fc_match(spelling, env=env)
        if got != family or ("Bold" in style) != (spelling in bold):
            wrong[spelling] = (got, style)
    assert not wrong, f"not mapped as fonts.conf says (install: bash scripts/setup.sh --full): {wrong}"
    # Case and blanks do not matter to fontconfig; the 黑体 stand-in is the Chinese face, not the JP one.
    assert fonts.fc_match("fang song", env=env)[0] == "FandolFang"
    assert fonts.fc_match("Noto Sans CJK", env=env)[0] == "Noto Sans CJK SC"


def test_without_our_configuration_the_official_names_are_not_mapped():
    """What the aliases are for: the system alone has no 仿宋_GB2312 (so LibreOffice would guess)."""
    plain = {key: value for key, value in os.environ.items() if key != "FONTCONFIG_FILE"}
    assert fonts.fc_match("仿宋_GB2312", env=plain)[0] != "FandolFang"
    assert fonts.fc_match("楷体_GB2312", env=plain)[0] != "FandolKai"


# ------------------------------------------------------------------ names of PDF fonts


@pytest.mark.parametrize(("name", "family"), [
    ("EAAAAA+FandolFang-Regular", "fangsong"), ("DAAAAA+FandolKai-Regular", "kaiti"),
    ("AR-PL-UKai-CN", "kaiti"), ("LXGWWenKai-Regular", "kaiti"),
    ("FAAAAA+NotoSansCJKjp-Regular-VKana", "heiti"), ("CAAAAA+NotoSerifCJKjp-Bold-VKana", "heavy-serif"),
    ("GAAAAA+NotoSerifCJKjp-Regular-VKana", "songti"), ("FandolSong-Bold", "heavy-serif"),
    ("BAAAAA+LiberationSerif", "latin"), ("DejaVuSans", "latin"), ("IPAexGothic", "japanese/korean"),
    ("NotoSansJP-Regular", "japanese/korean"), ("MS-Mincho", "japanese/korean"), ("Wingdings", "other"),
])
def test_font_family_of_pdf_names(name, family):
    assert pdf_fonts.font_family(name) == family


# ------------------------------------------------------------------ a sample report through the real pool


def _with_japanese_headings(docx: Path, target: Path) -> Path:
    """The same report with its 一、 headings in the Japanese Noto face and the text marked Japanese
    (a negative control). Both are needed: LibreOffice shapes zh-CN text in the JP face with the
    font's ``locl`` feature, which substitutes the Chinese forms again."""
    with zipfile.ZipFile(docx) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    for name in ("word/styles.xml", "word/numbering.xml"):
        parts[name] = parts[name].replace("黑体".encode(), b"Noto Sans CJK JP").replace(
            b'w:eastAsia="zh-CN"', b'w:eastAsia="ja-JP"')
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, payload in parts.items():
            archive.writestr(name, payload)
    target.write_bytes(buffer.getvalue())
    return target


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("fonts")
    result = CliRunner().invoke(main, [
        "build", str(EXAMPLES / "rules.yaml"), "--vars", str(EXAMPLES / "vars.yaml"),
        "--checklist", str(EXAMPLES / "checklist.md"), "--people", str(EXAMPLES / "people.xlsx"),
        "-o", str(out / "docx")])
    assert result.exit_code == 0, result.output
    report = out / "docx" / f"2022年度述职述廉报告-{PERSON}.docx"
    control = _with_japanese_headings(report, out / "docx" / "control.docx")
    results = convert_to_pdf([report, control], jobs=2, outdir=out / "pdf", timeout=120)
    assert all(item.ok for item in results), [item.error for item in results]
    return {"report": results[0].pdf, "control": results[1].pdf}


@pytest.fixture(scope="module")
def lines(pdfs) -> list[pdf_fonts.TextLine]:
    return pdf_fonts.text_lines(pdfs["report"])


def _families(counter: Counter[str]) -> set[str]:
    return {pdf_fonts.font_family(name) for name in counter}


@pytest.mark.office
def test_each_role_embeds_a_font_of_the_right_family(pdfs, lines):
    subtitle = lines[1]  # 职务 and name under the title: 楷体
    report = pdf_fonts.font_report(pdfs["report"], [line for line in lines if line is not subtitle])
    assert _families(report["title"]) == {"heavy-serif"}, report["title"]
    assert any("Bold" in name for name in report["title"])
    assert _families(report["heading1"]) == {"heiti"}, report["heading1"]
    assert _families(report["heading2"]) == {"kaiti"}, report["heading2"]
    assert _families(report["body"]) == {"fangsong"}, report["body"]
    assert _families(subtitle.han_fonts) == {"kaiti"}
    assert sum(report["body"].values()) > 1500 and sum(report["heading1"].values()) > 30
    footer = [c for line in lines if pdf_fonts.line_role(line) == "footer" for c in line.chars if c["text"] != " "]
    assert footer and {pdf_fonts.font_family(c["fontname"]) for c in footer} == {"songti"}
    assert {round(c["size"]) for c in footer} == {14}


@pytest.mark.office
def test_no_han_character_falls_back_to_a_japanese_or_latin_face(lines):
    wrong = Counter()
    for line in lines:
        for name, count in line.han_fonts.items():
            if pdf_fonts.font_family(name) not in ("fangsong", "kaiti", "heiti", "heavy-serif", "songti"):
                wrong[name] += count
    assert not wrong


@pytest.mark.office
def test_noto_faces_draw_simplified_chinese_forms(pdfs):
    faces = pdf_fonts.cjk_faces(pdfs["report"])
    drawn = {char: regions for chars in faces.values() for char, regions in chars.items()}
    assert len(drawn) > 40  # title and 一、 headings
    assert [char for char, regions in drawn.items() if "SC" not in regions] == []
    # The check has teeth: many of these characters have a Japanese form that was *not* drawn.
    assert sum("JP" not in regions for regions in drawn.values()) >= 10


@pytest.mark.office
def test_the_check_catches_japanese_forms(pdfs):
    """Negative control: headings asking for the JP face are caught by the same check."""
    faces = pdf_fonts.cjk_faces(pdfs["control"])
    drawn = {char: regions for chars in faces.values() for char, regions in chars.items()}
    assert sum("SC" not in regions for regions in drawn.values()) >= 10


@pytest.mark.office
def test_every_font_is_embedded(pdfs):
    embedded = pdf_fonts.embedded_fonts(pdfs["report"])
    assert embedded and all(font.embedded for font in embedded)
    assert {"fangsong", "kaiti", "heiti", "heavy-serif", "songti"} <= {font.family for font in embedded}


# ------------------------------------------------------------------ the user's own offices


def test_install_user_config_copies_fonts_conf_once(tmp_path):
    from assembler.office.fonts import FONTS_CONF, install_user_config, user_config_path

    env = {"HOME": str(tmp_path)}
    target = user_config_path(env)
    assert target == tmp_path / ".config" / "fontconfig" / "conf.d" / "60-assembler-fonts.conf"
    assert install_user_config(env) == target
    assert target.read_bytes() == FONTS_CONF.read_bytes()
    assert install_user_config(env) is None  # unchanged: nothing written
    assert install_user_config({"XDG_CONFIG_HOME": str(tmp_path / "x")}) == tmp_path / "x" / "fontconfig" / (
        "conf.d/60-assembler-fonts.conf")


def test_missing_font_packages_are_named(tmp_path, monkeypatch):
    from assembler.office.fonts import FONT_PACKAGES, missing_font_packages

    fake = tmp_path / "dpkg-query"
    fake.write_text('#!/bin/sh\n[ "$3" = fonts-noto-cjk ] && printf "install ok installed"\nexit 0\n',
                    encoding="utf-8")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:{os.environ['PATH']}")
    assert missing_font_packages() == [name for name in FONT_PACKAGES if name != "fonts-noto-cjk"]


def test_a_real_official_font_wins_over_the_stand_in(tmp_path):
    """Domestic systems with the real 仿宋_GB2312: the aliases only fill in for a missing font."""
    from fontTools.ttLib import TTFont

    from assembler.office.fonts import fc_match, office_env

    source = subprocess.run(["fc-match", "-f", "%{file}", "Liberation Serif"], capture_output=True, text=True,
                            check=True).stdout
    font = TTFont(source)
    names = font["name"]
    names.names = [record for record in names.names if record.platformID == 3]  # UTF-16 records only
    for record in names.names:
        if record.nameID in (1, 4, 16):
            record.string = "仿宋_GB2312"
        elif record.nameID == 6:
            record.string = "FangSong_GB2312"
    folder = tmp_path / "fonts"
    folder.mkdir()
    font.save(folder / "fangsong-gb2312.ttf")
    conf = tmp_path / "extra.conf"
    conf.write_text(f'<?xml version="1.0"?>\n<fontconfig><include>{office_env(os.environ)["FONTCONFIG_FILE"]}</include>'
                    f"<dir>{folder}</dir><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>\n", encoding="utf-8")
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    assert fc_match("仿宋_GB2312", env=env)[0] == "仿宋_GB2312"
    assert fc_match("楷体_GB2312", env=env)[0] == "FandolKai"  # still missing here: the stand-in
