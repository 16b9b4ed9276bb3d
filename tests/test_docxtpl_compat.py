"""`assembler render` gives docxtpl's own text on docxtpl's own test templates."""

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from docxtpl import DocxTemplate
from jinja2 import Environment

from assembler.cli import main
from docx_helpers import all_text_runs

PEER = Path(__file__).resolve().parents[2] / "shared" / "peer" / "docxtpl-tests" / "templates"
if not PEER.is_dir():  # CI clones main with shared/ beside it
    PEER = Path(__file__).resolve().parents[1].parent / "shared" / "peer" / "docxtpl-tests" / "templates"
TEMPLATES = sorted(PEER.glob("*_tpl.docx"))


def docxtpl_reference(template: Path, context: dict) -> bytes:
    doc = DocxTemplate(str(template))
    doc.render(context, Environment(), autoescape=True)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def test_peer_templates_present():
    assert len(TEMPLATES) == 14, f"docxtpl test templates not found under {PEER}"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.stem)
def test_render_matches_docxtpl(template, tmp_path):
    people = template.with_name(template.name.replace("_tpl.docx", ".json"))
    contexts = json.loads(people.read_text(encoding="utf-8"))
    result = CliRunner().invoke(main, ["render", str(template), "--people", str(people), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for index, context in enumerate(contexts, start=1):
        ours = all_text_runs(tmp_path / f"{index}.docx")
        theirs = all_text_runs(docxtpl_reference(template, context))
        assert ours == theirs
