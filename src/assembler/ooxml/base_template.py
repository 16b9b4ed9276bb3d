"""The GB/T 9704-2012 base template: page, styles, heading numbering and page-number footers.

Every report starts from this .docx. It carries *no* text: only the page set-up (in the body's final
``w:sectPr``), the named styles the assembler writes paragraphs in, the multi-level heading list and
the two page-number footers. Everything is a style, never direct formatting, so that a reader who
restyles "正文" in Word or Writer restyles the whole report.

Figures (docs/fidelity.md has what they give in LibreOffice 7.4):

* A4, margins top 37 mm, left 28 mm, bottom 35 mm, right 26 mm: a 156 × 225 mm type area.
* No document grid: a ``linesAndChars`` grid with a negative pitch gives 14 characters a line in
  LibreOffice, a ``lines`` grid makes it ignore the exact line spacing. Instead:
* exact line spacing of 28.95 pt (22 × 28.95 pt = 636.9 pt fits the 637.8 pt type height, 23 lines
  do not), and
* −0.25 pt character spacing: 28 × (16 − 0.25) pt = 441 pt fits the 442.2 pt type width, 29
  characters do not. Justified text then fills each full line with exactly 28 characters.
* Official font names (仿宋_GB2312, 楷体_GB2312, 黑体, 方正小标宋简体, 宋体) in the East Asian font slot,
  Times New Roman for Latin letters and digits. On Linux ``office/fonts.conf`` maps them to free fonts.

The package is built from scratch with lxml and written with fixed timestamps, stored (not
deflated) zip entries in a fixed order, so the same options always give the same bytes, whatever
the zlib on the machine.

Size: one file because it is one document (GB/T 9704's page, styles, numbering, headers and
footers), written from the standard's numbers in the standard's order.
"""

from __future__ import annotations

import functools
import io
import zipfile
from dataclasses import dataclass

from lxml import etree

from .names import (
    CT_NS,
    FANGSONG,
    FIXED_DATE,
    HEADING_NUM_ID,
    HEITI,
    KAITI,
    LATIN,
    PKG_REL_NS,
    R_NS,
    REL_TYPE,
    SONGTI,
    W_NS,
    XIAOBIAOSONG,
    XML_NS,
)
from .numbering import HEADING_LEVELS, SECTION_LEVEL, SUBSECTION_LEVEL

# ------------------------------------------------------------------ names and units

_NSMAP = {"w": W_NS, "r": R_NS}
_PREFIXES = {"w": W_NS, "r": R_NS, "xml": XML_NS}


#: 号 sizes in points (GB/T 9704 speaks in 号).
SIZE_2HAO = 22.0
SIZE_3HAO = 16.0
SIZE_4HAO = 14.0

#: The fixed timestamp of every zip entry and of the core properties.
FIXED_W3CDTF = "2020-01-01T00:00:00Z"

def mm_to_twips(mm: float) -> int:
    """Millimetres to twentieths of a point, rounded to the nearest twip."""
    return round(mm / 25.4 * 1440)


def pt_to_twips(pt: float) -> int:
    return round(pt * 20)


def half_points(pt: float) -> str:
    """w:sz is in half points."""
    return str(round(pt * 2))


# ------------------------------------------------------------------ options


@dataclass(frozen=True)
class PageGeometry:
    """A4 and the GB/T 9704 §5.2.1 margins, in millimetres."""

    width_mm: float = 210.0
    height_mm: float = 297.0
    top_mm: float = 37.0
    bottom_mm: float = 35.0
    left_mm: float = 28.0
    right_mm: float = 26.0
    header_mm: float = 15.0
    #: page bottom edge to the footer; puts the page number's dashes ~7 mm below the type area in
    #: LibreOffice 7.4 (measured, see docs/fidelity.md).
    footer_mm: float = 25.1

    @property
    def type_width_mm(self) -> float:
        return self.width_mm - self.left_mm - self.right_mm

    @property
    def type_height_mm(self) -> float:
        return self.height_mm - self.top_mm - self.bottom_mm


@dataclass(frozen=True)
class BaseTemplateOptions:
    """The practice choices GB/T 9704 leaves open (docs: /shared/spec/gbt9704.md, "practice")."""

    #: Many offices bold the （一） headings (and the run-in ones); the standard does not ask for it.
    bold_level2: bool = False
    #: …and the "1." headings.
    bold_level3: bool = False
    #: Exact line spacing. 28.95 pt gives 22 lines a page (225 mm / 22 = 28.99 pt would round up
    #: to 580 twips = 29 pt, and 22 × 29 pt overflows the type area by 0.07 mm: 21 lines).
    line_spacing_pt: float = 28.95
    #: Character spacing of the body (and everything based on it). −0.25 pt puts 28 characters of
    #: 16 pt on a 156 mm line; 0 gives 27.
    char_spacing_pt: float = -0.25
    page: PageGeometry = PageGeometry()


# ------------------------------------------------------------------ a tiny element builder


def _qname(name: str) -> str:
    prefix, _, local = name.rpartition(":")
    return f"{{{_PREFIXES[prefix or 'w']}}}{local}"


def el(tag: str, attrs: dict[str, object] | None = None, *children: etree._Element | None,
       text: str | None = None) -> etree._Element:
    """``el("w:ind", {"left": 0})``: element in the w: namespace unless prefixed; attributes likewise."""
    node = etree.Element(_qname(tag), nsmap=_NSMAP if tag in ("w:styles", "w:numbering", "w:settings",
                                                               "w:document", "w:ftr", "w:fonts") else None)
    for key, value in (attrs or {}).items():
        if value is None:
            continue
        node.set(_qname(key), str(value))
    for child in children:
        if child is not None:
            node.append(child)
    if text is not None:
        node.text = text
    return node


def val(tag: str, value: object) -> etree._Element:
    """The common ``<w:x w:val="…"/>``."""
    return el(tag, {"val": value})


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


# ------------------------------------------------------------------ run and paragraph properties


def fonts(east_asia: str, latin: str = LATIN) -> etree._Element:
    return el("w:rFonts", {"ascii": latin, "hAnsi": latin, "cs": latin, "eastAsia": east_asia})


def size(pt: float) -> list[etree._Element]:
    return [val("w:sz", half_points(pt)), val("w:szCs", half_points(pt))]


def run_properties(*, east_asia: str | None = None, pt: float | None = None, bold: bool | None = None,
                   char_spacing_pt: float | None = None, color: str | None = None,
                   lang: bool = False, latin: str = LATIN) -> etree._Element:
    """A w:rPr with its children in schema order."""
    rpr = el("w:rPr")
    if east_asia is not None:
        rpr.append(fonts(east_asia, latin))
    if bold is not None:
        rpr.append(val("w:b", "1" if bold else "0"))
        rpr.append(val("w:bCs", "1" if bold else "0"))
    if color is not None:
        rpr.append(val("w:color", color))
    if char_spacing_pt is not None:
        rpr.append(val("w:spacing", pt_to_twips(char_spacing_pt)))
    if pt is not None:
        rpr.extend(size(pt))
    if lang:
        rpr.append(el("w:lang", {"val": "en-US", "eastAsia": "zh-CN", "bidi": "ar-SA"}))
    return rpr


def indent(*, first_chars: int | None = None, char_pt: float = SIZE_3HAO, left_chars: int | None = None,
           right_chars: int | None = None) -> etree._Element:
    """Indents in characters (``w:*Chars``, hundredths of a character, which Word honours) with a
    twips fallback for readers that ignore the character units (LibreOffice 7.4 does)."""
    attrs: dict[str, object] = {}
    if left_chars is not None:
        attrs.update(leftChars=left_chars * 100, left=pt_to_twips(left_chars * char_pt))
    if right_chars is not None:
        attrs.update(rightChars=right_chars * 100, right=pt_to_twips(right_chars * char_pt))
    if first_chars is not None:
        attrs.update(firstLineChars=first_chars * 100, firstLine=pt_to_twips(first_chars * char_pt))
    return el("w:ind", attrs)


def line_spacing(pt: float | None) -> etree._Element:
    """No space before or after; exact ``pt`` lines (``None``: single, for the footers)."""
    if pt is None:
        return el("w:spacing", {"before": 0, "after": 0, "line": 240, "lineRule": "auto"})
    return el("w:spacing", {"before": 0, "after": 0, "line": pt_to_twips(pt), "lineRule": "exact"})


def paragraph_properties(*, keep_next: bool = False, widow_control: bool | None = None,
                         numbering_level: int | None = None, spacing: etree._Element | None = None,
                         ind: etree._Element | None = None, jc: str | None = None,
                         outline_level: int | None = None) -> etree._Element:
    """A w:pPr with its children in schema order."""
    ppr = el("w:pPr")
    if keep_next:
        ppr.append(el("w:keepNext"))
    if widow_control is not None:
        ppr.append(val("w:widowControl", "1" if widow_control else "0"))
    if numbering_level is not None:
        ppr.append(el("w:numPr", None, val("w:ilvl", numbering_level), val("w:numId", HEADING_NUM_ID)))
    for child in (spacing, ind):
        if child is not None:
            ppr.append(child)
    if jc is not None:
        ppr.append(val("w:jc", jc))
    if outline_level is not None:
        ppr.append(val("w:outlineLvl", outline_level))
    return ppr


# ------------------------------------------------------------------ styles.xml


def _style(kind: str, style_id: str, name: str, *, based_on: str | None = None, next_style: str | None = None,
           default: bool = False, custom: bool = False, ui_priority: int | None = None,
           ppr: etree._Element | None = None, rpr: etree._Element | None = None) -> etree._Element:
    style = el("w:style", {"type": kind, "default": "1" if default else None,
                           "customStyle": "1" if custom else None, "styleId": style_id})
    style.append(val("w:name", name))
    if based_on:
        style.append(val("w:basedOn", based_on))
    if next_style:
        style.append(val("w:next", next_style))
    if ui_priority is not None:
        style.append(val("w:uiPriority", ui_priority))
    style.append(el("w:qFormat"))
    if ppr is not None:
        style.append(ppr)
    if rpr is not None:
        style.append(rpr)
    return style


def styles_xml(options: BaseTemplateOptions) -> bytes:
    line = options.line_spacing_pt
    no_indent = indent(first_chars=0)
    styles = el(
        "w:styles", None,
        el("w:docDefaults", None,
           el("w:rPrDefault", None, run_properties(east_asia=FANGSONG, pt=SIZE_3HAO, lang=True)),
           el("w:pPrDefault", None, el("w:pPr", None, line_spacing(None)))),
        # 正文: 3号仿宋, justified, first line indented two characters, exact lines, −0.25 pt.
        _style("paragraph", "Normal", "Normal", default=True, ui_priority=0,
               ppr=paragraph_properties(widow_control=False, spacing=line_spacing(line),
                                        ind=indent(first_chars=2), jc="both"),
               rpr=run_properties(east_asia=FANGSONG, color="000000", char_spacing_pt=options.char_spacing_pt,
                                  pt=SIZE_3HAO)),
        _style("character", "DefaultParagraphFont", "Default Paragraph Font", default=True, ui_priority=1),
        # 标题: 2号方正小标宋简体, centred.
        _style("paragraph", "Title", "Title", based_on="Normal", next_style="Subtitle", ui_priority=10,
               ppr=paragraph_properties(keep_next=True, ind=indent(first_chars=0), jc="center"),
               rpr=run_properties(east_asia=XIAOBIAOSONG, char_spacing_pt=0, pt=SIZE_2HAO)),
        # 署名行（职务、姓名）: 3号楷体, centred.
        _style("paragraph", "Subtitle", "Subtitle", based_on="Normal", next_style="Normal", ui_priority=11,
               ppr=paragraph_properties(keep_next=True, ind=indent(first_chars=0), jc="center"),
               rpr=run_properties(east_asia=KAITI, char_spacing_pt=0)),
        # 一、 3号黑体; （一） 3号楷体; 1. and （1） 3号仿宋. Numbers come from the list (numId 1).
        _style("paragraph", "Heading1", "heading 1", based_on="Normal", next_style="Normal", ui_priority=9,
               ppr=paragraph_properties(keep_next=True, numbering_level=SECTION_LEVEL, ind=indent(first_chars=2),
                                        outline_level=0),
               rpr=run_properties(east_asia=HEITI, bold=False)),
        _style("paragraph", "Heading2", "heading 2", based_on="Normal", next_style="Normal", ui_priority=9,
               ppr=paragraph_properties(keep_next=True, numbering_level=SUBSECTION_LEVEL, ind=indent(first_chars=2),
                                        outline_level=1),
               rpr=run_properties(east_asia=KAITI, bold=options.bold_level2)),
        _style("paragraph", "Heading3", "heading 3", based_on="Normal", next_style="Normal", ui_priority=9,
               ppr=paragraph_properties(keep_next=True, numbering_level=2, ind=indent(first_chars=2),
                                        outline_level=2),
               rpr=run_properties(east_asia=FANGSONG, bold=options.bold_level3)),
        _style("paragraph", "Heading4", "heading 4", based_on="Normal", next_style="Normal", ui_priority=9,
               ppr=paragraph_properties(keep_next=True, numbering_level=3, ind=indent(first_chars=2),
                                        outline_level=3),
               rpr=run_properties(east_asia=FANGSONG, bold=False)),
        # 署名和成文日期: right-aligned, four characters in from the right margin.
        _style("paragraph", "Signature", "Signature", based_on="Normal", next_style="Date",
               ppr=paragraph_properties(ind=indent(first_chars=0, right_chars=4), jc="right")),
        _style("paragraph", "Date", "Date", based_on="Normal", next_style="Normal",
               ppr=paragraph_properties(ind=indent(first_chars=0, right_chars=4), jc="right")),
        # A （一） heading run in at the start of a body paragraph.
        _style("character", "RunInHeading", "Run-in Heading", custom=True, ui_priority=9,
               rpr=run_properties(east_asia=KAITI, bold=options.bold_level2)),
        # 页码: 4号半角宋体 digits between 一字线 (宋体 in every slot: LibreOffice would set the dashes and
        # digits in the Latin font otherwise), one character in: odd pages right, even pages left.
        _style("paragraph", "Footer", "footer", based_on="Normal", ui_priority=99,
               ppr=paragraph_properties(spacing=line_spacing(None), ind=indent(first_chars=0, right_chars=1,
                                                                               char_pt=SIZE_4HAO), jc="right"),
               rpr=run_properties(east_asia=SONGTI, latin=SONGTI, char_spacing_pt=0, pt=SIZE_4HAO)),
        _style("paragraph", "FooterEven", "Footer Even", based_on="Footer", custom=True, ui_priority=99,
               ppr=paragraph_properties(ind=el("w:ind", {"leftChars": 100, "left": pt_to_twips(SIZE_4HAO),
                                                         "rightChars": 0, "right": 0}), jc="left")),
        _style("table", "TableNormal", "Normal Table", default=True, ui_priority=99),
        _style("numbering", "NoList", "No List", default=True, ui_priority=99),
    )
    del no_indent
    # Built-in table/numbering defaults must not carry qFormat-only noise beyond what Word writes.
    return _xml(styles)


# ------------------------------------------------------------------ numbering.xml



def numbering_xml(options: BaseTemplateOptions) -> bytes:
    """One multi-level list: 一、 → （一） → 1. → （1）, the number two characters in like body text
    and followed by nothing (no tab), in the heading's font."""
    bold_by_level = {1: options.bold_level2, 2: options.bold_level3}
    abstract = el("w:abstractNum", {"abstractNumId": 0},
                  val("w:nsid", "5A3B9704"), val("w:multiLevelType", "multilevel"), val("w:tmpl", "1C2D9704"))
    for level, (fmt, text, font) in enumerate(HEADING_LEVELS):
        bold = bold_by_level.get(level, False)
        abstract.append(el(
            "w:lvl", {"ilvl": level},
            val("w:start", 1),
            val("w:numFmt", fmt),
            val("w:suff", "nothing"),
            val("w:lvlText", text),
            val("w:lvlJc", "left"),
            el("w:pPr", None, indent(first_chars=2) if True else None),
            run_properties(east_asia=font, bold=bold),
        ))
        # lvlRestart is left out: each level restarts after any higher level (the default).
    numbering = el("w:numbering", None, abstract,
                   el("w:num", {"numId": HEADING_NUM_ID}, val("w:abstractNumId", 0)))
    # w:ind's left must be stated for a list level: 0, like body text.
    for ind in numbering.iter(_qname("w:ind")):
        ind.set(_qname("w:left"), "0")
        ind.set(_qname("w:leftChars"), "0")
    _order_ind_attributes(numbering)
    return _xml(numbering)


def _order_ind_attributes(root: etree._Element) -> None:
    """Attribute order in w:ind as Word writes it (cosmetic, but keeps diffs readable)."""
    order = ["leftChars", "left", "rightChars", "right", "firstLineChars", "firstLine"]
    for ind in root.iter(_qname("w:ind")):
        items = dict(ind.attrib)
        ind.attrib.clear()
        for key in sorted(items, key=lambda k: order.index(etree.QName(k).localname)
                          if etree.QName(k).localname in order else len(order)):
            ind.set(key, items[key])


# ------------------------------------------------------------------ footers


def footer_xml(style: str) -> bytes:
    """``— N —``: em dash, space, PAGE field, space, em dash. The dashes are East Asian text (宋体)."""
    dash_rpr = el("w:rPr", None, el("w:rFonts", {"hint": "eastAsia"}))

    def run(*children: etree._Element, rpr: etree._Element | None = None) -> etree._Element:
        r = el("w:r")
        if rpr is not None:
            r.append(_copy(rpr))
        for child in children:
            r.append(child)
        return r

    def text(value: str) -> etree._Element:
        t = el("w:t", text=value)
        t.set(_qname("xml:space"), "preserve")
        return t

    paragraph = el(
        "w:p", None,
        el("w:pPr", None, val("w:pStyle", style)),
        run(text("— "), rpr=dash_rpr),
        run(el("w:fldChar", {"fldCharType": "begin"})),
        run(text(" PAGE ") if False else _instr(" PAGE ")),
        run(el("w:fldChar", {"fldCharType": "separate"})),
        run(el("w:t", text="2" if style == "FooterEven" else "1")),
        run(el("w:fldChar", {"fldCharType": "end"})),
        run(text(" —"), rpr=dash_rpr),
    )
    return _xml(el("w:ftr", None, paragraph))


def _instr(code: str) -> etree._Element:
    node = el("w:instrText", text=code)
    node.set(_qname("xml:space"), "preserve")
    return node


def _copy(node: etree._Element) -> etree._Element:
    return etree.fromstring(etree.tostring(node))


# ------------------------------------------------------------------ document, settings, fonts


def document_xml(options: BaseTemplateOptions) -> bytes:
    page = options.page
    sect = el(
        "w:sectPr", None,
        el("w:footerReference", {"type": "default", "r:id": "rIdFooterOdd"}),
        el("w:footerReference", {"type": "even", "r:id": "rIdFooterEven"}),
        el("w:pgSz", {"w": mm_to_twips(page.width_mm), "h": mm_to_twips(page.height_mm)}),
        el("w:pgMar", {"top": mm_to_twips(page.top_mm), "right": mm_to_twips(page.right_mm),
                       "bottom": mm_to_twips(page.bottom_mm), "left": mm_to_twips(page.left_mm),
                       "header": mm_to_twips(page.header_mm), "footer": mm_to_twips(page.footer_mm),
                       "gutter": 0}),
        el("w:pgNumType", {"fmt": "decimal"}),
        el("w:cols", {"space": 425}),
        # No w:docGrid: see the module docstring.
    )
    return _xml(el("w:document", None, el("w:body", None, sect)))


def settings_xml() -> bytes:
    settings = el(
        "w:settings", None,
        val("w:zoom", None) if False else el("w:zoom", {"percent": 100}),
        el("w:defaultTabStop", {"val": pt_to_twips(2 * SIZE_3HAO)}),
        el("w:evenAndOddHeaders"),
        # Full-width punctuation keeps its full cell: every line stays on the 28-character count.
        val("w:characterSpacingControl", "doNotCompress"),
        el("w:compat", None,
           el("w:compatSetting", {"name": "compatibilityMode", "uri": "http://schemas.microsoft.com/office/word",
                                  "val": 15})),
        el("w:themeFontLang", {"val": "en-US", "eastAsia": "zh-CN"}),
        el("w:decimalSymbol", {"val": "."}),
        el("w:listSeparator", {"val": ","}),
    )
    return _xml(settings)


#: (name, alternative name Word falls back to, panose, family, pitch). 86 = GB2312 charset.
_FONT_TABLE = (
    (LATIN, None, "02020603050405020304", "roman", "variable", "00"),
    (FANGSONG, "仿宋", "02010609030101010101", "modern", "fixed", "86"),
    (KAITI, "楷体", "02010609030101010101", "modern", "fixed", "86"),
    (HEITI, "SimHei", "02010609060101010101", "modern", "fixed", "86"),
    (XIAOBIAOSONG, "方正小标宋_GBK", "02000000000000000000", "auto", "variable", "86"),
    (SONGTI, "SimSun", "02010600030101010101", "auto", "variable", "86"),
)


def font_table_xml() -> bytes:
    table = el("w:fonts")
    for name, alt, panose, family, pitch, charset in _FONT_TABLE:
        font = el("w:font", {"name": name})
        if alt:
            font.append(val("w:altName", alt))
        font.extend([val("w:panose1", panose), val("w:charset", charset), val("w:family", family),
                     val("w:pitch", pitch)])
        table.append(font)
    return _xml(table)


# ------------------------------------------------------------------ package parts


def theme_xml() -> bytes:
    """A minimal Office theme: Word expects every document to have one (the Open XML SDK reports its absence).

    Nothing in the styles refers to theme fonts or colours, so its content does not change the page.
    """
    colors = [("dk1", "sysClr", "windowText", "000000"), ("lt1", "sysClr", "window", "FFFFFF"),
              ("dk2", "srgbClr", None, "44546A"), ("lt2", "srgbClr", None, "E7E6E6"),
              ("accent1", "srgbClr", None, "4472C4"), ("accent2", "srgbClr", None, "ED7D31"),
              ("accent3", "srgbClr", None, "A5A5A5"), ("accent4", "srgbClr", None, "FFC000"),
              ("accent5", "srgbClr", None, "5B9BD5"), ("accent6", "srgbClr", None, "70AD47"),
              ("hlink", "srgbClr", None, "0563C1"), ("folHlink", "srgbClr", None, "954F72")]
    clr = "".join(
        f'<a:{name}><a:sysClr val="{sys_name}" lastClr="{rgb}"/></a:{name}>' if kind == "sysClr"
        else f'<a:{name}><a:srgbClr val="{rgb}"/></a:{name}>'
        for name, kind, sys_name, rgb in colors
    )

    def font(latin: str, east_asia: str) -> str:
        return f'<a:latin typeface="{latin}"/><a:ea typeface="{east_asia}"/><a:cs typeface=""/>'

    solid = '<a:solidFill><a:schemeClr val="phClr"/></a:solidFill>'
    line = f'<a:ln w="6350">{solid}</a:ln>'
    effect = "<a:effectStyle><a:effectLst/></a:effectStyle>"
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<a:theme xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" name="assembler">'
        f'<a:themeElements><a:clrScheme name="assembler">{clr}</a:clrScheme>'
        f'<a:fontScheme name="assembler"><a:majorFont>{font(LATIN, "黑体")}</a:majorFont>'
        f'<a:minorFont>{font(LATIN, "仿宋_GB2312")}</a:minorFont></a:fontScheme>'
        f'<a:fmtScheme name="assembler"><a:fillStyleLst>{solid * 3}</a:fillStyleLst>'
        f"<a:lnStyleLst>{line * 3}</a:lnStyleLst><a:effectStyleLst>{effect * 3}</a:effectStyleLst>"
        f"<a:bgFillStyleLst>{solid * 3}</a:bgFillStyleLst></a:fmtScheme></a:themeElements>"
        "<a:objectDefaults/><a:extraClrSchemeLst/></a:theme>"
    ).encode()


def _relationships(rels: list[tuple[str, str, str]]) -> bytes:
    root = etree.Element(f"{{{PKG_REL_NS}}}Relationships", nsmap={None: PKG_REL_NS})
    for rel_id, rel_type, target in rels:
        etree.SubElement(root, f"{{{PKG_REL_NS}}}Relationship", Id=rel_id, Type=rel_type, Target=target)
    return _xml(root)


def _content_types() -> bytes:
    root = etree.Element(f"{{{CT_NS}}}Types", nsmap={None: CT_NS})
    etree.SubElement(root, f"{{{CT_NS}}}Default", Extension="rels",
                     ContentType="application/vnd.openxmlformats-package.relationships+xml")
    etree.SubElement(root, f"{{{CT_NS}}}Default", Extension="xml", ContentType="application/xml")
    wml = "application/vnd.openxmlformats-officedocument.wordprocessingml."
    overrides = [
        ("/word/document.xml", wml + "document.main+xml"),
        ("/word/styles.xml", wml + "styles+xml"),
        ("/word/numbering.xml", wml + "numbering+xml"),
        ("/word/settings.xml", wml + "settings+xml"),
        ("/word/fontTable.xml", wml + "fontTable+xml"),
        ("/word/theme/theme1.xml", "application/vnd.openxmlformats-officedocument.theme+xml"),
        ("/word/footer1.xml", wml + "footer+xml"),
        ("/word/footer2.xml", wml + "footer+xml"),
        ("/docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml"),
        ("/docProps/app.xml", "application/vnd.openxmlformats-officedocument.extended-properties+xml"),
    ]
    for part, content_type in overrides:
        etree.SubElement(root, f"{{{CT_NS}}}Override", PartName=part, ContentType=content_type)
    return _xml(root)


def _core_properties() -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
        ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<dc:title>述职述廉报告</dc:title>"
        "<dc:creator>assembler</dc:creator>"
        "<cp:lastModifiedBy>assembler</cp:lastModifiedBy>"
        "<cp:revision>1</cp:revision>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{FIXED_W3CDTF}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{FIXED_W3CDTF}</dcterms:modified>'
        "</cp:coreProperties>"
    ).encode()


def _app_properties() -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        b"<Application>assembler (GB/T 9704-2012 base template)</Application>"
        b"</Properties>"
    )


def template_parts(options: BaseTemplateOptions | None = None) -> dict[str, bytes]:
    """The package's parts, in the order they are written ([Content_Types].xml first)."""
    options = options or BaseTemplateOptions()
    return {
        "[Content_Types].xml": _content_types(),
        "_rels/.rels": _relationships([
            ("rId1", REL_TYPE + "officeDocument", "word/document.xml"),
            ("rId2", "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties",
             "docProps/core.xml"),
            ("rId3", REL_TYPE + "extended-properties", "docProps/app.xml"),
        ]),
        "docProps/core.xml": _core_properties(),
        "docProps/app.xml": _app_properties(),
        "word/document.xml": document_xml(options),
        "word/_rels/document.xml.rels": _relationships([
            ("rIdStyles", REL_TYPE + "styles", "styles.xml"),
            ("rIdNumbering", REL_TYPE + "numbering", "numbering.xml"),
            ("rIdSettings", REL_TYPE + "settings", "settings.xml"),
            ("rIdFontTable", REL_TYPE + "fontTable", "fontTable.xml"),
            ("rIdTheme", REL_TYPE + "theme", "theme/theme1.xml"),
            ("rIdFooterOdd", REL_TYPE + "footer", "footer1.xml"),
            ("rIdFooterEven", REL_TYPE + "footer", "footer2.xml"),
        ]),
        "word/styles.xml": styles_xml(options),
        "word/numbering.xml": numbering_xml(options),
        "word/settings.xml": settings_xml(),
        "word/fontTable.xml": font_table_xml(),
        "word/theme/theme1.xml": theme_xml(),
        "word/footer1.xml": footer_xml("Footer"),
        "word/footer2.xml": footer_xml("FooterEven"),
    }


def build_base_template(options: BaseTemplateOptions | None = None) -> bytes:
    """The base template as .docx bytes; the same options always give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, payload in template_parts(options).items():
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, payload)
    return buffer.getvalue()


@functools.cache
def base_template_bytes() -> bytes:
    """The default base template (what ``templates/gbt9704.docx`` holds), built once per process."""
    return build_base_template()
