"""Building WordprocessingML paragraphs with lxml, by style.

Everything the assembler writes is a paragraph with a named style (and, for a
run-in subsection heading, a character style): no direct formatting, so that
restyling in Writer or Word restyles the whole report. Jinja text goes into one
run per paragraph so docxtpl always sees each tag whole.
"""

from __future__ import annotations

from lxml import etree

from .names import W_NS, XML_NS, w

__all__ = ["W_NS", "body_of", "paragraph", "replace_body_content", "tag_paragraph", "w"]


def _run(text: str, run_style: str | None = None) -> etree._Element:
    run = etree.Element(w("r"))
    if run_style:
        rpr = etree.SubElement(run, w("rPr"))
        etree.SubElement(rpr, w("rStyle")).set(w("val"), run_style)
    t = etree.SubElement(run, w("t"))
    t.text = text
    t.set(f"{{{XML_NS}}}space", "preserve")
    return run


def paragraph(
    text: str = "",
    *,
    style: str | None = None,
    numbering: tuple[int, int] | None = None,
    lead: str | None = None,
    lead_style: str | None = None,
) -> etree._Element:
    """A paragraph in ``style``; ``numbering`` = (numId, ilvl) puts it in a list;
    ``lead`` is a run-in heading written before ``text`` in ``lead_style``."""
    p = etree.Element(w("p"))
    if style or numbering:
        ppr = etree.SubElement(p, w("pPr"))
        if style:
            etree.SubElement(ppr, w("pStyle")).set(w("val"), style)
        if numbering:
            numpr = etree.SubElement(ppr, w("numPr"))
            etree.SubElement(numpr, w("ilvl")).set(w("val"), str(numbering[1]))
            etree.SubElement(numpr, w("numId")).set(w("val"), str(numbering[0]))
    if lead:
        p.append(_run(lead, lead_style))
    if text:
        p.append(_run(text))
    return p


def tag_paragraph(tag: str) -> etree._Element:
    """A docxtpl paragraph-level tag: the whole paragraph is replaced by ``{%p tag %}``."""
    return paragraph("{%p " + tag.strip() + " %}")


def body_of(document: etree._Element) -> etree._Element:
    body = document.find(w("body"))
    if body is None:
        raise ValueError("document.xml has no w:body")
    return body


def replace_body_content(document: etree._Element, elements: list[etree._Element]) -> None:
    """Put ``elements`` in the body, keeping the final section properties (page setup)."""
    body = body_of(document)
    sect_pr = body.find(w("sectPr"))
    for child in list(body):
        body.remove(child)
    for element in elements:
        body.append(element)
    if sect_pr is not None:
        body.append(sect_pr)
