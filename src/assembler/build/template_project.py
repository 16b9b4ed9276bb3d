"""The project inside an assembled template, so that ``render`` can treat it like ``build``.

``assembler template`` writes a docxtpl template that plain docxtpl renders; but a people
file with Chinese column labels, typed values (``road_km > 0``) and per-person 选稿
adjustments needs what ``build`` knows: the rules (variable declarations, labels, types,
conditions, output name), the snippets the rules use (to assemble another selection) and
the checklist's ticks. They travel inside the .docx as a custom XML part
(``customXml/itemN.xml`` with its ``itemPropsN.xml``, related from the main document, as
Word keeps its own data), which Word and Writer leave alone and plain docxtpl ignores.

``render`` finds it (``read_project``), writes the rules and snippets to a temporary folder,
loads them as a project (with every check a build makes) and runs ``build``; the person
whose selection is the template's own is rendered from the template itself, so edits made
to it in Writer or Word are kept. Reports never carry the part (``without_project``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from lxml import etree

from ..errors import InputError
from ..ooxml.package import DOCUMENT_PART, read_parts, write_parts

if TYPE_CHECKING:
    from .project import Project
    from .results import BatchResult

NS = "urn:assembler:project:1"
_DS = "http://schemas.openxmlformats.org/officeDocument/2006/customXml"
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_REL_CUSTOM_XML = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXml"
_REL_PROPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/customXmlProps"
_CT_PROPS = "application/vnd.openxmlformats-officedocument.customXmlProperties+xml"
_CT_XML = "application/xml"
_DOCUMENT_RELS = "word/_rels/document.xml.rels"
#: Fixed, so the same project gives the same bytes.
_ITEM_ID = "{6A1D3E55-7A3B-4C59-9F51-A55E3B1E2013}"
_ITEM = re.compile(r"^customXml/item(\d+)\.xml$")


@dataclass(frozen=True)
class EmbeddedProject:
    rules_name: str
    rules_text: str  # YAML; library: snippets, base_template: null
    snippets: dict[str, str]  # path under snippets/ (POSIX) → file text
    ticked: frozenset[str]


def _xml(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _rules_text(project: Project) -> str:
    import yaml

    from ..load.yamlio import read_text

    data = yaml.safe_load(read_text(project.rules.path))
    data["library"] = "snippets"
    data["base_template"] = None  # the template itself is the base
    return str(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000))


def project_xml(project: Project) -> bytes:
    from ..load.yamlio import read_text

    root = etree.Element(f"{{{NS}}}project", nsmap={None: NS})
    etree.SubElement(root, f"{{{NS}}}rules", name=project.rules.path.name).text = _rules_text(project)
    library_root = Path(project.library.root)
    for snippet_id in dict.fromkeys(project.rules.entry_ids()):
        snippet = project.library[snippet_id]
        relative = PurePosixPath(*Path(snippet.path).resolve().relative_to(library_root.resolve()).parts)
        etree.SubElement(root, f"{{{NS}}}snippet", path=str(relative)).text = read_text(snippet.path)
    for snippet_id in project.rules.entry_ids():
        if snippet_id in project.selection:
            etree.SubElement(root, f"{{{NS}}}tick", id=snippet_id)
    return _xml(root)


def _rels(parts: dict[str, bytes], name: str) -> etree._Element:
    if name in parts:
        return etree.fromstring(parts[name])
    return etree.Element(f"{{{_REL_NS}}}Relationships", nsmap={None: _REL_NS})


def with_project(template: bytes, project: Project) -> bytes:
    """``template`` with the project as a custom XML part (see the module docstring)."""
    parts = read_parts(template)
    number = 1
    while f"customXml/item{number}.xml" in parts:
        number += 1
    item, props = f"customXml/item{number}.xml", f"customXml/itemProps{number}.xml"
    parts[item] = project_xml(project)
    store = etree.Element(f"{{{_DS}}}datastoreItem", nsmap={"ds": _DS})
    store.set(f"{{{_DS}}}itemID", _ITEM_ID)
    refs = etree.SubElement(store, f"{{{_DS}}}schemaRefs")
    etree.SubElement(refs, f"{{{_DS}}}schemaRef").set(f"{{{_DS}}}uri", NS)
    parts[props] = _xml(store)
    item_rels = etree.Element(f"{{{_REL_NS}}}Relationships", nsmap={None: _REL_NS})
    etree.SubElement(item_rels, f"{{{_REL_NS}}}Relationship", Id="rId1", Type=_REL_PROPS,
                     Target=f"itemProps{number}.xml")
    parts[f"customXml/_rels/item{number}.xml.rels"] = _xml(item_rels)
    rels = _rels(parts, _DOCUMENT_RELS)
    ids = {node.get("Id") for node in rels}
    rel_id = next(f"rIdAssembler{n}" for n in range(1, 100) if f"rIdAssembler{n}" not in ids)
    etree.SubElement(rels, f"{{{_REL_NS}}}Relationship", Id=rel_id, Type=_REL_CUSTOM_XML,
                     Target=f"../customXml/item{number}.xml")
    parts[_DOCUMENT_RELS] = _xml(rels)
    types = etree.fromstring(parts["[Content_Types].xml"])
    etree.SubElement(types, f"{{{_CT_NS}}}Override", PartName=f"/{props}", ContentType=_CT_PROPS)
    if not any(node.get("Extension", "").lower() == "xml" for node in types.iter(f"{{{_CT_NS}}}Default")):
        etree.SubElement(types, f"{{{_CT_NS}}}Override", PartName=f"/{item}", ContentType=_CT_XML)
    parts["[Content_Types].xml"] = _xml(types)
    return write_parts(parts)


def _find(parts: dict[str, bytes]) -> str | None:
    for name in parts:
        if _ITEM.match(name):
            try:
                root = etree.fromstring(parts[name])
            except etree.XMLSyntaxError:
                continue
            if root.tag == f"{{{NS}}}project":
                return name
    return None


def read_project(template: bytes, *, file: str | None = None) -> EmbeddedProject | None:
    """The project an assembled template carries, or ``None`` for a plain docxtpl template."""
    parts = read_parts(template, file=file)
    name = _find(parts)
    if name is None:
        return None
    root = etree.fromstring(parts[name])
    rules = root.find(f"{{{NS}}}rules")
    if rules is None or not (rules.text or "").strip():
        raise InputError("模板中记录的规则是空的；请用 assembler template 重新组装模板", file=file)
    snippets: dict[str, str] = {}
    for node in root.iter(f"{{{NS}}}snippet"):
        path = PurePosixPath(node.get("path") or "")
        if not path.parts or path.is_absolute() or ".." in path.parts:
            raise InputError(f"模板中记录的片段路径“{path}”不合法；请用 assembler template 重新组装模板", file=file)
        snippets[str(path)] = node.text or ""
    ticked = frozenset(node.get("id") or "" for node in root.iter(f"{{{NS}}}tick"))
    return EmbeddedProject(Path(rules.get("name") or "rules.yaml").name, rules.text or "", snippets, ticked)


def without_project(template: bytes) -> bytes:
    """``template`` without the project part (what reports are rendered from)."""
    parts = read_parts(template)
    name = _find(parts)
    if name is None:
        return template
    number = _ITEM.match(name).group(1)  # type: ignore[union-attr]
    gone = {name, f"customXml/itemProps{number}.xml", f"customXml/_rels/item{number}.xml.rels"}
    for part in gone:
        parts.pop(part, None)
    rels = _rels(parts, _DOCUMENT_RELS)
    for node in list(rels):
        if node.get("Type") == _REL_CUSTOM_XML and node.get("Target", "").endswith(f"customXml/item{number}.xml"):
            rels.remove(node)
    parts[_DOCUMENT_RELS] = _xml(rels)
    types = etree.fromstring(parts["[Content_Types].xml"])
    for node in list(types):
        if node.get("PartName", "").lstrip("/") in gone:
            types.remove(node)
    parts["[Content_Types].xml"] = _xml(types)
    assert DOCUMENT_PART in parts
    return write_parts(parts)


@contextmanager
def unpacked(embedded: EmbeddedProject) -> Iterator[Path]:
    """The embedded rules and snippets written to a temporary folder; yields the rules file."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="assembler-template-") as tmp:
        root = Path(tmp)
        rules = root / embedded.rules_name
        rules.write_text(embedded.rules_text, encoding="utf-8")
        (root / "snippets").mkdir()
        for relative, text in embedded.snippets.items():
            target = root / "snippets" / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        yield rules


def render_assembled(template_path: Path, data: bytes, embedded: EmbeddedProject, people_path: Path,
                     outdir: Path, *, name_pattern: str | None = None, **build_options: Any) -> BatchResult:
    """``render`` of an assembled template: ``build`` over the project it carries (see the module
    docstring); ``name_pattern`` (``--name``) replaces the rules' ``output_name``."""
    import dataclasses

    from ..load.selection import Checklist
    from ..ooxml.core_properties import CORE_PART, with_core_properties
    from .project import load_project
    from .render import PreparedTemplate
    from .run import build

    plain = without_project(data)
    with unpacked(embedded) as rules_path:
        project = load_project(rules_path)
        if name_pattern:
            project.rules = dataclasses.replace(project.rules, output_name=name_pattern)
        parts = read_parts(plain, file=str(template_path))
        if CORE_PART in parts:  # the reports' own title and time, as a build gives them
            parts[CORE_PART] = with_core_properties(parts[CORE_PART], title=project.rules.title,
                                                    moment=project.created)
            plain = write_parts(parts)
        project.base_template = plain
        known = set(project.rules.entry_ids())
        project.checklist = Checklist(path=None, ticked=frozenset(embedded.ticked & known), lines={})
        project._templates[project.selection] = PreparedTemplate(plain, name=str(template_path))
        return build(project, people_path, outdir, **build_options)
