"""properties.py: custom document properties written, read, replaced, split for Word, and stamped cheaply."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import docx
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from assembler import pipeline
from assembler.library.provenance import PROP_COMMIT, PROP_SNIPPETS
from assembler.ooxml.properties import Stamper, custom_properties_xml, read_custom_properties, with_custom_properties
from docx_helpers import plain_docx, zip_parts

FIXTURES = Path(__file__).parent / "fixtures"


def test_custom_properties_are_written_read_and_replaced():
    data = plain_docx()
    assert read_custom_properties(data) == {}
    stamped = with_custom_properties(data, {"assembler.library_commit": "abc", "其他": "值 & <x>"})
    assert read_custom_properties(stamped) == {"assembler.library_commit": "abc", "其他": "值 & <x>"}
    package = zip_parts(stamped)
    types = etree.fromstring(package["[Content_Types].xml"])
    overrides = [node.get("PartName") for node in types if node.get("PartName")]
    assert overrides.count("/docProps/custom.xml") == 1
    rels = etree.fromstring(package["_rels/.rels"])
    targets = [node.get("Target") for node in rels if node.get("Type", "").endswith("/custom-properties")]
    assert targets == ["docProps/custom.xml"]
    root = etree.fromstring(package["docProps/custom.xml"])
    pids = [node.get("pid") for node in root]
    assert pids == ["2", "3"]
    assert all(node.get("fmtid") == "{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" for node in root)
    assert root[0][0].tag == "{http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes}lpwstr"
    # same names are replaced, others kept; no second override or relationship
    again = with_custom_properties(stamped, {"assembler.library_commit": "def"})
    assert read_custom_properties(again) == {"assembler.library_commit": "def", "其他": "值 & <x>"}
    package = zip_parts(again)
    assert package["[Content_Types].xml"].count(b"/docProps/custom.xml") == 1
    assert package["_rels/.rels"].count(b"custom-properties") == 1
    docx.Document(io.BytesIO(again))  # still a valid document


def test_long_values_are_split_for_word_and_joined_on_reading():
    value = json.dumps([{"id": f"section.snippet-{n}", "hash": "0123456789ab"} for n in range(40)])
    assert len(value) > 1000
    stamped = with_custom_properties(plain_docx(), {PROP_SNIPPETS: value})
    root = etree.fromstring(zip_parts(stamped)["docProps/custom.xml"])
    names = [node.get("name") for node in root]
    assert names[0] == PROP_SNIPPETS and names[1] == PROP_SNIPPETS + "#2"
    assert all(len(node[0].text) <= 255 for node in root)
    assert read_custom_properties(stamped) == {PROP_SNIPPETS: value}
    shorter = with_custom_properties(stamped, {PROP_SNIPPETS: "[]"})
    names = [node.get("name") for node in etree.fromstring(zip_parts(shorter)["docProps/custom.xml"])]
    assert names == [PROP_SNIPPETS]


XML_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=700)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(alphabet="abc.中文_", min_size=1, max_size=12).filter(lambda n: "#" not in n),
                       XML_TEXT, max_size=5))
def test_custom_properties_round_trip(props):
    stamped = with_custom_properties(BASE, props)
    assert read_custom_properties(stamped) == props


BASE = plain_docx()


def rendered_report() -> bytes:
    project = pipeline.load_project(FIXTURES / "mini" / "rules.yaml", FIXTURES / "mini" / "checklist.md")
    people = pipeline.load_people(project, FIXTURES / "mini" / "people.yaml")
    plan = pipeline.plan_people(project, people, {})[0]
    return pipeline.render_person(project, plan)


def test_the_batch_stamper_writes_what_the_general_path_writes():
    from assembler.ooxml.package import read_parts

    data = rendered_report()
    props = {PROP_SNIPPETS: json.dumps([{"id": f"s.n{n}", "hash": "0" * 12} for n in range(30)]),
             PROP_COMMIT: "abc", "名字": "值 & <x>"}
    stamper = Stamper()
    fast = stamper.stamp(data, props)
    assert fast != data and read_custom_properties(fast) == props
    assert read_parts(fast) == read_parts(with_custom_properties(data, props))
    with zipfile.ZipFile(io.BytesIO(fast)) as archive:
        assert archive.testzip() is None
        assert archive.namelist()[:-1] == zipfile.ZipFile(io.BytesIO(data)).namelist()
    docx.Document(io.BytesIO(fast))
    # the unchanged entries are copied as stored, not recompressed
    assert zip_parts(fast)["word/document.xml"] == zip_parts(data)["word/document.xml"]
    # a second report reuses the rewritten [Content_Types].xml and _rels/.rels
    assert stamper.stamp(data, {PROP_COMMIT: "def"}) and len(stamper._cache) == 2
    # a package that already has custom properties takes the general path: replaced, others kept
    again = stamper.stamp(with_custom_properties(data, {"其他": "保留", PROP_COMMIT: "old"}), props)
    assert read_custom_properties(again) == {"其他": "保留", **props}
    assert custom_properties_xml({}).startswith(b"<?xml")
