"""build/config_check.py: build, template, preview and render list every configuration error at once (issue 13, item 1)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from assembler import pipeline
from assembler.cli import main
from assembler.errors import InputError


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def break_library(mini: Path) -> None:
    """Four mistakes of four kinds, plus a variable a snippet reads but nobody declares."""
    rules = mini / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace('when: "grid_cells > 0"', 'when: "grid_cells >"'),
                     encoding="utf-8")  # a bad when
    shutil.copy(mini / "snippets" / "theory" / "essay.md", mini / "snippets" / "theory" / "essay2.md")  # duplicate id
    party = mini / "snippets" / "duties" / "party.md"
    party.write_text(party.read_text(encoding="utf-8").replace("type: int", "type: integer"), encoding="utf-8")
    study = mini / "snippets" / "theory" / "study.md"
    study.write_text(study.read_text(encoding="utf-8").replace("{{ study_times }}次", "{{ study_times 次"),
                     encoding="utf-8")  # Jinja syntax error
    submit = mini / "snippets" / "closing" / "submit.md"
    submit.write_text(submit.read_text(encoding="utf-8") + "\n共走访{{ undeclared_visits }}户。\n", encoding="utf-8")


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("错误：")]


def where(line: str) -> tuple[str, int]:
    match = re.match(r"^错误：(.+?):(\d+): ", line)
    assert match, line
    return match.group(1), int(match.group(2))


@pytest.mark.parametrize("command", ["build", "template", "preview"])
def test_every_configuration_error_in_one_run(mini, command):
    break_library(mini)
    out = mini / "out"
    args: list[object] = [command, mini / "rules.yaml", "--checklist", mini / "checklist.md"]
    if command == "build":
        args += ["--people", mini / "people.yaml", "-o", out]
    elif command == "template":
        args += ["-o", out / "t.docx"]
    else:
        args += ["--people", mini / "people.yaml", "--person", "甲一"]
    result = run(*args)
    assert result.exit_code == 2, result.output
    lines = error_lines(result.output)
    text = "\n".join(lines)
    assert "grid_cells >" in text and "rules.yaml" in text  # the when
    assert "essay2.md" in text and "重复" in text  # the duplicate id
    assert "integer" in text and "party.md" in text  # the unknown type
    assert "Jinja 语法错误" in text and "study.md" in text  # the syntax error
    assert "undeclared_visits" in text and "submit.md" in text  # the undeclared variable
    assert len(lines) >= 5
    assert [where(line) for line in lines] == sorted(where(line) for line in lines)
    last = result.output.strip().splitlines()[-1]
    assert "assembler lint" in last and str(mini / "rules.yaml") in last
    assert "Traceback" not in result.output
    assert not out.exists()


def test_undeclared_variable_is_a_configuration_error_not_a_persons_failure(mini):
    submit = mini / "snippets" / "closing" / "submit.md"
    submit.write_text(submit.read_text(encoding="utf-8") + "\n共走访{{ visits }}户。\n", encoding="utf-8")
    out = mini / "out"
    result = run("build", mini / "rules.yaml", "--people", mini / "people.yaml", "--checklist",
                 mini / "checklist.md", "-o", out)
    assert result.exit_code == 2, result.output
    [line] = error_lines(result.output)
    assert where(line) == (str(submit), 7) and "visits" in line and "没有声明" in line
    assert not out.exists()  # no manifest, no reports


def test_library_api_raises_every_error_for_the_extension(mini):
    break_library(mini)
    with pytest.raises(InputError) as info:
        pipeline.load_project(mini / "rules.yaml")
    error = info.value
    assert len(error.problems) >= 5  # type: ignore[attr-defined]
    shown = error.format()
    assert len(error_lines(shown)) == len(error.problems) and "assembler lint" in shown.splitlines()[-1]


def test_a_clean_library_loads_as_before(mini):
    project = pipeline.load_project(mini / "rules.yaml", mini / "checklist.md")
    assert "duties.grid" in project.selection


def test_render_lists_every_template_error_at_once(tmp_path):
    from docx import Document

    document = Document()
    document.add_paragraph("{{ name 的报告")
    template = tmp_path / "bad.docx"
    document.save(str(template))
    people = tmp_path / "people.csv"
    people.write_text("name\n张三\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run("render", template, "--people", people, "-o", out, "--name", "{{ name")
    assert result.exit_code == 2, result.output
    lines = error_lines(result.output)
    assert len(lines) == 2, result.output  # the body and the --name pattern
    assert "--name" in result.output
    assert not out.exists()
