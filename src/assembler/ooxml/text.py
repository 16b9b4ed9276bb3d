"""A .docx as the plain text a reader sees, list numbers included.

Used by ``assembler preview`` and by the tests: the numbers come from replaying
the document's own numbering definitions, so they are what Writer shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from lxml import etree

from ..errors import InputError
from .names import DOCUMENT_PART, NUMBERING_PART, STYLES_PART, W_NS, w
from .numbering import Numbering, fresh_numbering
from .package import SAFE_PARSER, check_xml_part, read_parts, read_some_parts

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


def paragraph_style(p: etree._Element) -> str:
    """The paragraph's style id (``w:pPr/w:pStyle``), '' for none."""
    node = p.find("w:pPr/w:pStyle", _NS)
    return node.get(w("val"), "") if node is not None else ""


def docx_paragraphs(data: bytes) -> list[TextParagraph]:
    parts = read_parts(data)
    numbering = Numbering(parts.get(NUMBERING_PART), parts.get(STYLES_PART))
    body = etree.fromstring(parts[DOCUMENT_PART]).find(w("body"))
    out: list[TextParagraph] = []
    if body is None:
        return out
    for p in body.iter(w("p")):
        out.append(TextParagraph(number=numbering.label(p), text=paragraph_text(p), style=paragraph_style(p)))
    return out


def docx_text(data: bytes) -> str:
    """One line per paragraph, numbers in front, as LibreOffice's text export shows it."""
    return "\n".join(p.full for p in docx_paragraphs(data))


#: The parts a report's text needs; the rest of the package is never inflated.
TEXT_PARTS = (DOCUMENT_PART, NUMBERING_PART, STYLES_PART)


def report_paragraphs(docx: bytes, *, skip: frozenset[str] = frozenset(), file: str | None = None,
                      on_skipped: Callable[[TextParagraph], None] | None = None) -> Iterator[TextParagraph]:
    """A report's paragraphs, reading only the three parts they need; paragraphs in a ``skip``
    style are left out (and not counted by the numbering; ``on_skipped`` sees them, unnumbered).
    Every problem is an ``InputError``."""
    parts = read_some_parts(docx, TEXT_PARTS, file=file)
    numbering = fresh_numbering(parts, file)
    try:
        root = etree.fromstring(parts[DOCUMENT_PART], SAFE_PARSER)
    except etree.XMLSyntaxError:
        root = None
    if root is None or root.getroottree().docinfo.doctype:
        check_xml_part(DOCUMENT_PART, parts[DOCUMENT_PART], file=file)  # raises the right message
        raise InputError("文档的 word/document.xml 无法读取", file=file)
    body = root.find(w("body"))
    for p in body.iter(w("p")) if body is not None else ():
        style = paragraph_style(p)
        if style in skip:
            if on_skipped is not None:
                on_skipped(TextParagraph(number="", text=paragraph_text(p), style=style))
            continue
        text = paragraph_text(p)
        yield TextParagraph(number=numbering.label(p), text=text, style=style)
