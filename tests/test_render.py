"""PreparedTemplate gives docxtpl's document, prepared once and rendered many times."""

from __future__ import annotations

import io
import json
import pickle
import zipfile
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docxtpl import DocxTemplate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from assembler.build.render import PreparedTemplate, RenderError
from assembler.errors import InputError
from assembler.template.environment import make_env
from docx_helpers import all_text_runs

PEER = Path(__file__).resolve().parents[2] / "shared" / "peer" / "docxtpl-tests" / "templates"
if not PEER.is_dir():  # CI clones main with shared/ beside it
    PEER = Path(__file__).resolve().parents[1].parent / "shared" / "peer" / "docxtpl-tests" / "templates"
PEER_TEMPLATES = sorted(PEER.glob("*_tpl.docx"))
ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "fixtures" / "mini"
SAMPLE = ROOT / "tests" / "fixtures" / "sample-v1" / "examples" / "rules.yaml"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docxtpl_render(data: bytes, context: dict[str, Any]) -> bytes:
    """The reference: docxtpl itself, with our environment, as the issue states it."""
    template = DocxTemplate(io.BytesIO(data))
    template.render(dict(context), make_env(), autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


def entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def paragraph_styles(data: bytes) -> list[str]:
    body = etree.fromstring(entries(data)["word/document.xml"])
    styles = []
    for p in body.iter(W + "p"):
        node = p.find(f"{W}pPr/{W}pStyle")
        styles.append(node.get(W + "val") if node is not None else "")
    return styles


def assert_same_document(ours: bytes, theirs: bytes) -> None:
    """Same text (every w:t of body, headers, footers, footnotes), same paragraphs and
    styles, and in fact the same XML in every part, entry for entry."""
    assert all_text_runs(ours) == all_text_runs(theirs)
    assert paragraph_styles(ours) == paragraph_styles(theirs)
    mine, reference = entries(ours), entries(theirs)
    assert list(mine) == list(reference)
    for name in reference:
        assert mine[name] == reference[name], name


# ---------------------------------------------------------------- docxtpl's own templates


def test_peer_templates_present():
    assert len(PEER_TEMPLATES) == 14, f"docxtpl test templates not found under {PEER}"


@pytest.mark.parametrize("template", PEER_TEMPLATES, ids=lambda p: p.stem)
def test_equals_docxtpl_on_its_own_test_templates(template):
    contexts = json.loads(template.with_name(template.name.replace("_tpl.docx", ".json")).read_text("utf-8"))
    data = template.read_bytes()
    prepared = PreparedTemplate(data, name=template.name)
    for context in contexts:  # one prepared template, several people (multi_rendering)
        assert_same_document(prepared.render(context), docxtpl_render(data, context))


# ---------------------------------------------------------------- assembled templates


Person = tuple[bytes, dict[str, Any]]  # (the template assembled for the person's selection, context)


def plan_library(rules: Path, checklist: Path | None, people: Path) -> tuple[bytes, list[dict[str, Any]], list[Person]]:
    """Through the pipeline's API: the checklist's template, the contexts of the people who
    get it, and every person with the template of their own selection (+id/-id columns)."""
    from assembler import pipeline

    project = pipeline.load_project(rules, checklist)
    vars_file = rules.with_name("vars.yaml")
    common = pipeline.type_common(pipeline.common_values(vars_file=vars_file if vars_file.exists() else None),
                                  project.specs, source=str(vars_file))
    plans = pipeline.plan_people(project, pipeline.load_people(project, people), common)
    assert all(plan.ok for plan in plans), [plan.errors for plan in plans]
    contexts = [plan.context for plan in plans if plan.selection == project.selection]
    assert contexts
    return project.template_bytes(), contexts, [(project.template_bytes(plan.selection), plan.context)
                                                for plan in plans]


@pytest.fixture(scope="module")
def mini_template() -> tuple[bytes, list[dict[str, Any]], list[Person]]:
    return plan_library(MINI / "rules.yaml", MINI / "checklist.md", MINI / "people.yaml")


@pytest.fixture(scope="module")
def sample_template() -> tuple[bytes, list[dict[str, Any]], list[Person]]:
    return plan_library(SAMPLE, SAMPLE.with_name("checklist.md"), SAMPLE.with_name("people.xlsx"))


def test_sample_library_people_all_planned(sample_template):
    """The sample's 7 people, two of them with their own selection, all take part below."""
    _template, contexts, people = sample_template
    assert len(people) == 7
    assert len({template for template, _context in people}) == 3
    assert len(contexts) == 5


@pytest.mark.parametrize("library", ["mini_template", "sample_template"])
def test_equals_docxtpl_for_the_libraries_people(library, request):
    _template, _contexts, people = request.getfixturevalue(library)
    prepared: dict[bytes, PreparedTemplate] = {}
    for data, context in people:
        if data not in prepared:
            prepared[data] = PreparedTemplate(data)
        ours = prepared[data].render(context)
        assert_same_document(ours, docxtpl_render(data, context))
        assert context["name"] in "".join(all_text_runs(ours))


TRICKY = "&<>\"'甲乙丙丁述职报告　、，。 abc\n\t\r{}%#\x01"
texts = st.text(alphabet=st.sampled_from(TRICKY) | st.characters(codec="utf-8"), max_size=40)
long_texts = st.text(alphabet=st.sampled_from(TRICKY), min_size=500, max_size=3000)
values = st.one_of(texts, long_texts, st.just(""), st.integers(-10**9, 10**9),
                   st.floats(allow_nan=False, allow_infinity=False), st.lists(texts, max_size=4), st.booleans())


@pytest.mark.parametrize("library", ["mini_template", "sample_template"])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_equals_docxtpl_on_varied_values(library, request, data):
    """Any value of any type in any variable: the same document, or an error from both."""
    template, contexts, _people = request.getfixturevalue(library)
    context = {**contexts[0], **data.draw(st.sampled_from(contexts))}  # every variable has a value
    for name in sorted(context):
        if name != "variants" and data.draw(st.booleans()):
            context[name] = data.draw(values)
    prepared = PreparedTemplate(template) if library == "mini_template" else _cached(template)
    try:
        reference = docxtpl_render(template, context)
    except Exception:  # noqa: BLE001 - e.g. 'x' in 5: docxtpl fails, so must we, for that person
        with pytest.raises(RenderError):
            prepared.render(context)
        return
    assert_same_document(prepared.render(context), reference)


_PREPARED: dict[bytes, PreparedTemplate] = {}


def _cached(template: bytes) -> PreparedTemplate:
    if template not in _PREPARED:
        _PREPARED[template] = PreparedTemplate(template)
    return _PREPARED[template]


# ---------------------------------------------------------------- errors


@pytest.fixture(scope="module")
def mini_prepared(mini_template) -> PreparedTemplate:
    return PreparedTemplate(mini_template[0])


def test_missing_variable_is_named_in_chinese(mini_prepared, mini_template):
    context = dict(mini_template[1][0])
    del context["unit"]
    with pytest.raises(RenderError) as caught:
        mini_prepared.render(context)
    assert caught.value.message == "缺少变量 unit 的值"


def test_missing_key_of_a_value_is_named(tmp_path):
    data = _template_with_body("{{ person.phone }}")
    with pytest.raises(RenderError, match="缺少变量 phone 的值"):
        PreparedTemplate(data).render({"person": {"name": "甲"}})


def test_sandbox_violation_is_refused_as_unsafe():
    prepared = PreparedTemplate(_template_with_body("{{ name.__class__.__mro__ }}"))
    with pytest.raises(RenderError, match="不安全"):
        prepared.render({"name": "甲"})


def test_syntax_error_is_the_templates_fault_at_preparation():
    with pytest.raises(InputError, match="Jinja 语法错误"):
        PreparedTemplate(_template_with_body("{{ name "), name="x.docx")


def test_not_a_docx_is_refused():
    with pytest.raises(InputError, match="无法作为 Word 文档读取"):
        PreparedTemplate(b"not a zip", name="x.docx")


def test_core_property_too_long_is_that_persons_error():
    doc = Document()
    doc.core_properties.title = "{{ title }}"
    doc.add_paragraph("x")
    out = io.BytesIO()
    doc.save(out)
    prepared = PreparedTemplate(out.getvalue())
    assert entries(prepared.render({"title": "短"}))["docProps/core.xml"].count("短".encode()) == 1
    with pytest.raises(RenderError, match="255"):
        prepared.render({"title": "长" * 300})


# ---------------------------------------------------------------- the prepared template


def test_same_context_same_bytes_and_a_valid_package(mini_prepared, mini_template):
    context = mini_template[1][0]
    first = mini_prepared.render(context)
    assert first == mini_prepared.render(context)
    Document(io.BytesIO(first))  # python-docx opens it


def test_renders_do_not_leak_into_each_other(mini_prepared, mini_template):
    one, two = mini_template[1][0], dict(mini_template[1][0], name="另一人", unit="别处")
    alone = mini_prepared.render(two)
    mini_prepared.render(one)
    assert mini_prepared.render(two) == alone


def test_untouched_entries_are_copied_compressed(mini_prepared, mini_template):
    """The big parts (styles, theme, fonts) are never inflated or compressed again."""
    rendered = mini_prepared.render(mini_template[1][0])
    with zipfile.ZipFile(io.BytesIO(rendered)) as archive:
        infos = {info.filename: info for info in archive.infolist()}
    baseline = mini_prepared._members  # python-docx's own save of the template
    for name in ("word/styles.xml", "word/numbering.xml"):
        if name in baseline:
            assert infos[name].compress_size == len(baseline[name].data)
            assert infos[name].CRC == baseline[name].crc


def test_pickles_as_its_bytes(mini_prepared, mini_template):
    copy = pickle.loads(pickle.dumps(mini_prepared))
    assert copy.name == mini_prepared.name
    assert copy.render(mini_template[1][0]) == mini_prepared.render(mini_template[1][0])


def test_template_without_tags_is_rendered_once(monkeypatch):
    prepared = PreparedTemplate(_template_with_body("没有标签的正文"))
    monkeypatch.setattr(prepared, "_render_part", lambda *a: pytest.fail("rendered again"))
    assert "没有标签的正文" in "".join(all_text_runs(prepared.render({})))


def _template_with_body(text: str) -> bytes:
    doc = Document()
    doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
