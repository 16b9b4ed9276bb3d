"""Library + rules + selection → one docxtpl template (.docx).

The template is a product in its own right: staff can open it in Writer and see
the Jinja tags, and plain docxtpl renders it to the same text as ``assembler
build``. Everything decided once per batch (the checklist, overrides) is baked in
here; everything decided per person (``when``) becomes a paragraph-level
``{%p if … %}`` so that the paragraphs vanish whole and the native list numbering
closes up by itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from lxml import etree

from .ooxml.package import DOCUMENT_PART, read_parts, write_parts
from .ooxml.paragraphs import paragraph, replace_body_content, tag_paragraph
from .rules import Entry, Rules
from .snippets import Library, Paragraph, Snippet

#: numId of the multi-level heading list in the base template (see docs/CONTRACTS.md).
HEADING_NUM_ID = 1
STYLE_TITLE = "Title"
STYLE_SUBTITLE = "Subtitle"
STYLE_HEADING1 = "Heading1"
STYLE_HEADING2 = "Heading2"
STYLE_SIGNATURE = "Signature"
STYLE_RUN_IN = "RunInHeading"


class BodyChooser(Protocol):
    """Picks which body a snippet contributes; variants plug in here."""

    def __call__(self, snippet: Snippet) -> list[etree._Element] | None: ...


def _condition(entries: Iterable[Entry]) -> str | None:
    """The section's condition: ``None`` if any entry is unconditional."""
    whens: list[str] = []
    for entry in entries:
        if not entry.when:
            return None
        whens.append(f"({entry.when})")
    return " or ".join(whens) if whens else None


def _body(paragraphs: Iterable[Paragraph]) -> list[etree._Element]:
    return [tag_paragraph(p.tag) if p.tag is not None else paragraph(p.text) for p in paragraphs]


def _snippet(entry: Entry, snippet: Snippet, *, numbered: bool, run_in: bool,
             body: list[etree._Element] | None = None) -> list[etree._Element]:
    elements: list[etree._Element] = []
    paragraphs = list(snippet.paragraphs)
    content = body if body is not None else _body(paragraphs)
    if numbered and snippet.heading:
        first = paragraphs[0] if paragraphs else None
        if run_in and body is None and first is not None and first.tag is None:
            lead = snippet.heading if snippet.heading.endswith(("。", "：", "！")) else snippet.heading + "。"
            content = [paragraph(first.text, numbering=(HEADING_NUM_ID, 1), lead=lead, lead_style=STYLE_RUN_IN),
                       *_body(paragraphs[1:])]
        else:
            elements.append(paragraph(snippet.heading, style=STYLE_HEADING2))
    elements.extend(content)
    if entry.when:
        return [tag_paragraph(f"if {entry.when}"), *elements, tag_paragraph("endif")]
    return elements


def body_elements(rules: Rules, library: Library, selection: Iterable[str],
                  choose_body: BodyChooser | None = None) -> list[etree._Element]:
    """The report's paragraphs, in order, for the snippets in ``selection``."""
    chosen = set(selection)
    run_in = rules.subheading == "run-in"

    def block(entries: Iterable[Entry], numbered: bool) -> list[etree._Element]:
        out: list[etree._Element] = []
        for entry in entries:
            if entry.id in chosen:
                snippet = library[entry.id]
                body = choose_body(snippet) if choose_body else None
                out += _snippet(entry, snippet, numbered=numbered, run_in=run_in, body=body)
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


def assemble_template(rules: Rules, library: Library, selection: Iterable[str], base_template: bytes,
                      choose_body: BodyChooser | None = None) -> bytes:
    """The docxtpl template as .docx bytes: the base template's page, styles and footers, our body."""
    parts = read_parts(base_template, file=str(rules.base_template or "gbt9704.docx"))
    document = etree.fromstring(parts[DOCUMENT_PART])
    replace_body_content(document, body_elements(rules, library, selection, choose_body))
    parts[DOCUMENT_PART] = etree.tostring(document, xml_declaration=True, encoding="UTF-8", standalone=True)
    return write_parts(parts)
