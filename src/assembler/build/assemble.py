"""Library + rules + selection → one docxtpl template (.docx).

The template is a product in its own right: staff can open it in Writer and see
the Jinja tags, and plain docxtpl renders it to the same text as ``assembler
build``. Everything decided once per batch (the checklist, overrides) is baked in
here; everything decided per person (``when``) becomes a paragraph-level
``{%p if … %}`` so that the paragraphs vanish whole and the native list numbering
closes up by itself.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable

from lxml import etree

from ..load.rules import Entry, Rules
from ..load.snippets import Library, Paragraph, Snippet
from ..ooxml.names import (
    DOCUMENT_PART,
    HEADING_NUM_ID,
    STYLE_HEADING1,
    STYLE_HEADING2,
    STYLE_RUN_IN,
    STYLE_SIGNATURE,
    STYLE_SUBTITLE,
    STYLE_TITLE,
)
from ..ooxml.numbering import SUBSECTION_LEVEL
from ..ooxml.package import read_parts, write_parts
from ..ooxml.paragraphs import paragraph, replace_body_content, tag_paragraph


def _condition(entries: Iterable[Entry]) -> str | None:
    """The section's condition: ``None`` if any entry is unconditional."""
    whens: list[str] = []
    for entry in entries:
        if not entry.when:
            return None
        whens.append(f"({entry.when})")
    return " or ".join(whens) if whens else None


def _body(paragraphs: Iterable[Paragraph], lead: str | None = None) -> list[etree._Element]:
    """Body paragraphs; ``lead`` (a run-in heading) goes before the first text paragraph."""
    out: list[etree._Element] = []
    for p in paragraphs:
        if p.tag is not None:
            out.append(tag_paragraph(p.tag))
        elif lead is not None:
            out.append(paragraph(p.text, numbering=(HEADING_NUM_ID, SUBSECTION_LEVEL), lead=lead, lead_style=STYLE_RUN_IN))
            lead = None
        else:
            out.append(paragraph(p.text))
    return out


def variant_key(snippet_id: str) -> str:
    """The Jinja expression that picks a snippet's body: ``variants`` is filled per person."""
    return f"variants[{snippet_id!r}]"


def _snippet(entry: Entry, snippet: Snippet, *, numbered: bool, run_in: bool) -> list[etree._Element]:
    bodies = [snippet.paragraphs, *snippet.variants]
    lead: str | None = None
    elements: list[etree._Element] = []
    if numbered and snippet.heading:
        if run_in and all(body and body[0].tag is None for body in bodies):
            lead = snippet.heading if snippet.heading.endswith(("。", "：", "！")) else snippet.heading + "。"
        else:
            elements.append(paragraph(snippet.heading, style=STYLE_HEADING2))
    if len(bodies) == 1:
        elements += _body(bodies[0], lead)
    else:
        for number, body in enumerate(bodies, start=1):
            keyword = "if" if number == 1 else "elif"
            elements.append(tag_paragraph(f"{keyword} {variant_key(snippet.id)} == {number}"))
            elements += _body(body, lead)
        elements.append(tag_paragraph("endif"))
    if entry.when:
        return [tag_paragraph(f"if {entry.when}"), *elements, tag_paragraph("endif")]
    return elements


def body_elements(rules: Rules, library: Library, selection: Iterable[str]) -> list[etree._Element]:
    """The report's paragraphs, in order, for the snippets in ``selection``."""
    chosen = set(selection)
    run_in = rules.subheading == "run-in"

    def block(entries: Iterable[Entry], numbered: bool) -> list[etree._Element]:
        out: list[etree._Element] = []
        for entry in entries:
            if entry.id in chosen:
                out += _snippet(entry, library[entry.id], numbered=numbered, run_in=run_in)
        return out

    elements = [paragraph(rules.title, style=STYLE_TITLE)]
    if rules.subtitle:
        elements.append(paragraph(rules.subtitle, style=STYLE_SUBTITLE))
    elements += block(rules.opening, numbered=False)
    for section in rules.sections:
        present = [entry for entry in section.entries if entry.id in chosen]
        if not present:
            continue
        inner = [paragraph(section.heading, style=STYLE_HEADING1)]
        inner += block(section.intro, numbered=False)
        inner += block(section.snippets, numbered=True)
        condition = _condition(present)
        if condition:
            inner = [tag_paragraph(f"if {condition}"), *inner, tag_paragraph("endif")]
        elements += inner
    elements += block(rules.closing, numbered=False)
    if rules.signature:
        elements.append(paragraph(""))
        elements += [paragraph(line, style=STYLE_SIGNATURE) for line in rules.signature]
    return elements


def assemble_template(rules: Rules, library: Library, selection: Iterable[str], base_template: bytes, *,
                      created: _dt.datetime | None = None) -> bytes:
    """The docxtpl template as .docx bytes: the base template's page, styles and footers, our body;
    its core properties: the rules' title and ``created`` (default: ``ooxml.core_properties.build_time``)."""
    from ..ooxml.core_properties import CORE_PART, build_time, with_core_properties

    parts = read_parts(base_template, file=str(rules.base_template or "gbt9704.docx"))
    if CORE_PART in parts:
        parts[CORE_PART] = with_core_properties(parts[CORE_PART], title=rules.title,
                                                moment=created or build_time())
    document = etree.fromstring(parts[DOCUMENT_PART])
    replace_body_content(document, body_elements(rules, library, selection))
    parts[DOCUMENT_PART] = etree.tostring(document, xml_declaration=True, encoding="UTF-8", standalone=True)
    return write_parts(parts)
