"""The names of the .docx package: XML namespaces, part names, style ids and the heading list's numId.

Defined once; the base template (which creates the styles and the list), the assembler (which
uses them) and the readers of finished reports (which look for them) all take them from here.
"""

from __future__ import annotations

# ------------------------------------------------------------------ namespaces

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XML_NS = "http://www.w3.org/XML/1998/namespace"
#: Package relationships (``_rels/.rels``) and content types (``[Content_Types].xml``).
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
#: Custom document properties (``docProps/custom.xml``) and their value types.
CP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
#: Relationship types are this prefix plus the part's kind (``styles``, ``numbering``, ``custom-properties``…).
REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def w(tag: str) -> str:
    """``w:tag`` as lxml spells it."""
    return f"{{{W_NS}}}{tag}"


# ------------------------------------------------------------------ fonts

#: Fonts, by their official names: the reader's machine (Windows, 国产化 systems) has these.
FANGSONG = "仿宋_GB2312"
KAITI = "楷体_GB2312"
HEITI = "黑体"
XIAOBIAOSONG = "方正小标宋简体"
SONGTI = "宋体"
LATIN = "Times New Roman"

# ------------------------------------------------------------------ parts

DOCUMENT_PART = "word/document.xml"
NUMBERING_PART = "word/numbering.xml"
STYLES_PART = "word/styles.xml"

#: The one timestamp of every zip entry we write: the same input gives the same bytes.
FIXED_DATE = (2020, 1, 1, 0, 0, 0)

# ------------------------------------------------------------------ style ids (w:styleId) of the base template

STYLE_TITLE = "Title"
STYLE_SUBTITLE = "Subtitle"
STYLE_HEADING1 = "Heading1"
STYLE_HEADING2 = "Heading2"
STYLE_SIGNATURE = "Signature"
STYLE_DATE = "Date"
#: The character style of a （一） heading run in at the start of a body paragraph.
STYLE_RUN_IN = "RunInHeading"

#: numId of the multi-level heading list (一、 → （一） → 1. → （1）; docs/CONTRACTS.md).
HEADING_NUM_ID = 1
