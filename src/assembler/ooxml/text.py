"""A .docx as the plain text a reader sees, list numbers included.

Used by ``assembler preview`` and by the tests: the numbers come from replaying
the document's own numbering definitions, so they are what Writer shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from .numbering import Numbering
from .package import DOCUMENT_PART, read_parts
from .paragraphs import W_NS, w

_NS = {"w": W_NS}


@dataclass(frozen=True)
class TextParagraph:
    number: str
    text: str
    style: str

    @property
    def full(self) -> str:
        return self.number + self.text


def paragraph_text(p: etree._Element) -> str:
    parts: list[str] = []
    for node in p.iter(w("t"), w("tab"), w("br")):
        if node.tag == w("t"):
            parts.append(node.text or "")
        elif node.tag == w("tab"):
            parts.append("\t")
        else:
            parts.append("\n")
    return "".join(parts)


def docx_paragraphs(data: bytes) -> list[TextParagraph]:
    parts = read_parts(data)
    numbering = Numbering(parts.get("word/numbering.xml"), parts.get("word/styles.xml"))
    body = etree.fromstring(parts[DOCUMENT_PART]).find(w("body"))
    out: list[TextParagraph] = []
    if body is None:
        return out
    for p in body.iter(w("p")):
        style_node = p.find("w:pPr/w:pStyle", _NS)
        style = style_node.get(w("val"), "") if style_node is not None else ""
        out.append(TextParagraph(number=numbering.label(p), text=paragraph_text(p), style=style))
    return out


def docx_text(data: bytes) -> str:
    """One line per paragraph, numbers in front, as LibreOffice's text export shows it."""
    return "\n".join(p.full for p in docx_paragraphs(data))
