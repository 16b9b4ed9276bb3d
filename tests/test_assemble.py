from pathlib import Path

from assembler import pipeline
from assembler.ooxml.text import docx_paragraphs

MINI = Path(__file__).parent / "fixtures" / "mini"


def test_template_structure_uses_styles_and_paragraph_tags():
    project = pipeline.load_project(MINI / "rules.yaml", MINI / "checklist.md")
    paragraphs = docx_paragraphs(project.template_bytes())
    styles = [(p.style, p.text) for p in paragraphs]
    assert styles[0] == ("Title", "{{ year }}年度述职述廉报告")
    assert styles[1] == ("Subtitle", "{{ unit }}{{ post }}  {{ name }}")
    assert ("Heading1", "强化理论武装") in styles
    assert ("Heading2", "深化网格治理") in styles
    texts = [p.text for p in paragraphs]
    # a when-guarded subsection, and a section whose only entry is conditional
    assert "{%p if grid_cells > 0 %}" in texts
    index = texts.index("落实廉洁自律")
    assert texts[index - 1] == "{%p if ('廉政' in duties) %}"
    # the inner paragraph-level tags of a snippet body
    assert "{%p if grid_cells > 30 %}" in texts
    # numbers come from the list definition, not from the text
    assert paragraphs[texts.index("强化理论武装")].number == "一、"
    assert not any(p.style == "" and p.text.startswith("一、") for p in paragraphs)


def test_unticked_snippets_are_not_in_the_template(tmp_path):
    project = pipeline.load_project(MINI / "rules.yaml")
    selection = project.selection - {"theory.study", "theory.essay"}
    texts = [p.text for p in docx_paragraphs(project.template_bytes(selection))]
    assert "强化理论武装" not in texts and "坚持集中学习" not in texts


def test_variants_become_alternatives(tmp_path):
    import shutil

    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    snippet = root / "snippets" / "closing" / "submit.md"
    snippet.write_text(
        "---\nid: closing.submit\nsection: closing\nvariants:\n  - 以上报告，请审议。\n---\n特此报告，请予评议。\n",
        encoding="utf-8",
    )
    project = pipeline.load_project(root / "rules.yaml")
    texts = [p.text for p in docx_paragraphs(project.template_bytes())]
    start = texts.index("{%p if variants['closing.submit'] == 1 %}")
    assert texts[start:start + 5] == ["{%p if variants['closing.submit'] == 1 %}", "特此报告，请予评议。",
                                      "{%p elif variants['closing.submit'] == 2 %}", "以上报告，请审议。", "{%p endif %}"]
