"""``assembler lint``: every problem of a library, each at its file and line."""

import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from assembler.cli import main
from assembler.library.lint import ERROR, WARNING, lint

FIXTURES = Path(__file__).parent / "fixtures"
BENCH = Path(__file__).parent.parent / "bench"
SIMPLE_RULES = "title: 报告\nsections:\n  - id: s\n    heading: 栏目\n    snippets: [s.a]\n"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture()
def bad(tmp_path, monkeypatch) -> Path:
    target = tmp_path / "lint"
    shutil.copytree(FIXTURES / "lint", target)
    monkeypatch.chdir(target)
    return target


def found(result) -> set[tuple[str, str, int]]:
    return {(p.level, p.file, p.line) for p in result.problems}


def message(result, file: str, line: int) -> str:
    return " / ".join(p.message for p in result.problems if p.file == file and p.line == line)


def test_every_problem_is_reported_with_file_and_line(bad):
    result = lint(Path("rules.yaml"))
    expected = {
        (WARNING, "rules.yaml", 8),  # spare declared, used nowhere
        (ERROR, "rules.yaml", 9),  # unknown key colour
        (WARNING, "rules.yaml", 13),  # section heading ends with 。
        (ERROR, "rules.yaml", 16),  # work.missing does not exist
        (ERROR, "rules.yaml", 17),  # when does not parse
        (ERROR, "rules.yaml", 18),  # when reads an undeclared variable
        (ERROR, "rules.yaml", 21),  # work.nofront: no such snippet
        (WARNING, "snippets/extra/orphan.md", 2),  # no rule uses it
        (ERROR, "snippets/work/broken.md", 4),  # unknown key
        (ERROR, "snippets/work/broken.md", 6),  # unknown type
        (ERROR, "snippets/work/broken.md", 10),  # Jinja syntax error, at its line
        (ERROR, "snippets/work/cond.md", 10),  # villages used, declared nowhere
        (ERROR, "snippets/work/good.md", 2),  # duplicate id (the other file is dup.md)
        (WARNING, "snippets/work/good.md", 7),  # unused_count declared, unused
        (WARNING, "snippets/work/good.md", 11),  # no final punctuation
        (WARNING, "snippets/work/masked.md", 4),  # heading ends with 。
        (WARNING, "snippets/work/masked.md", 6),  # **
        (WARNING, "snippets/work/masked.md", 7),  # XX
        (WARNING, "snippets/work/masked.md", 9),  # 某某
        (ERROR, "snippets/work/nofront.md", 1),  # no front matter
        (ERROR, "snippets/work/noid.md", 2),  # missing id
        (WARNING, "snippets/work/noid.md", 5),  # ××
        (ERROR, "snippets/work/variants.md", 11),  # variant reads teams, body does not
        (ERROR, "snippets/work/yamlerror.md", 5),  # YAML error at its line
    }
    assert found(result) == expected
    assert "colour" in message(result, "rules.yaml", 9)
    assert "work.missing" in message(result, "rules.yaml", 16)
    assert "grid_total" in message(result, "rules.yaml", 18)
    assert "integer" in message(result, "snippets/work/broken.md", 6)
    assert "Jinja" in message(result, "snippets/work/broken.md", 10)
    assert "villages" in message(result, "snippets/work/cond.md", 10)
    assert "snippets/work/dup.md" in message(result, "snippets/work/good.md", 2)
    assert "第3种正文" in message(result, "snippets/work/variants.md", 11)
    assert "多了 teams" in message(result, "snippets/work/variants.md", 11)
    assert "“**”" in message(result, "snippets/work/masked.md", 6)
    assert "“XX”" in message(result, "snippets/work/masked.md", 7)
    assert "“某某”" in message(result, "snippets/work/masked.md", 9)
    assert "“××”" in message(result, "snippets/work/noid.md", 5)
    assert "缺少 id" in message(result, "snippets/work/noid.md", 2)
    assert "YAML" in message(result, "snippets/work/yamlerror.md", 5)
    assert "---" in message(result, "snippets/work/nofront.md", 1)
    assert "句号" in message(result, "rules.yaml", 13) and "句号" in message(result, "snippets/work/masked.md", 4)
    assert "标点" in message(result, "snippets/work/good.md", 11)
    assert "unused_count" in message(result, "snippets/work/good.md", 7)
    assert "spare" in message(result, "rules.yaml", 8)
    assert "无法解析" in message(result, "rules.yaml", 17)
    assert "没有被规则文件" in message(result, "snippets/extra/orphan.md", 2)
    assert result.exit_code == 1
    # the rules file first, then files in order, lines ascending
    assert result.problems[0].file == "rules.yaml"
    lines = [(p.file, p.line) for p in result.problems]
    assert lines == sorted(lines, key=lambda x: (x[0] != "rules.yaml", x))


def test_the_test_library_is_clean():
    result = lint(FIXTURES / "mini" / "rules.yaml")
    assert result.problems == []
    assert result.exit_code == 0
    assert result.snippets == 9


def test_cli_prints_problems_and_exits_1_on_errors(bad):
    result = run("lint", "rules.yaml")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "错误：snippets/work/cond.md:10: 变量 villages 没有声明" in result.output
    assert "警告：snippets/extra/orphan.md:2: 片段“extra.orphan”没有被规则文件 rules.yaml 使用" in lines
    assert lines[-1].endswith("14 个错误，10 个警告。")
    quiet = run("lint", "rules.yaml", "-q")
    assert "警告：" not in quiet.output and "错误：" in quiet.output


def test_warnings_alone_exit_0(tmp_path):
    target = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", target)
    study = target / "snippets" / "theory" / "study.md"
    text = study.read_text(encoding="utf-8")
    study.write_text(text.replace("做到学有所得。", "做到学有所得"), encoding="utf-8")
    result = run("lint", target / "rules.yaml")
    assert result.exit_code == 0, result.output
    assert f"警告：{study}:9: 段落" in result.output and "末尾缺少标点" in result.output


def test_bad_invocation_exits_2(tmp_path):
    result = run("lint", tmp_path / "nothing-here")
    assert result.exit_code == 2
    assert result.output.startswith("错误：") and "nothing-here" in result.output


def test_default_target_is_the_current_folder(tmp_path, monkeypatch):
    shutil.copytree(FIXTURES / "mini", tmp_path / "mini")
    monkeypatch.chdir(tmp_path / "mini")
    (tmp_path / "mini" / "snippets" / "duties" / "extra.md").write_text(
        "---\nid: duties.extra\nsection: duties\n---\n额外的片段。\n", encoding="utf-8")
    result = run("lint")
    assert result.exit_code == 0
    assert ("警告：snippets/duties/extra.md:2: 片段“duties.extra”没有被规则文件 rules.yaml 使用"
            in result.output)


def test_library_folder_without_rules(tmp_path):
    library = tmp_path / "lib"
    (library / "a").mkdir(parents=True)
    (library / "a" / "one.md").write_text("---\nid: a.one\n---\n共{{ households }}户。\n", encoding="utf-8")
    (library / "a" / "two.md").write_text("---\nid: a.one\n---\n重复。\n", encoding="utf-8")
    result = lint(library)
    assert result.rules is None
    assert (ERROR, str(library / "a" / "two.md"), 2) in found(result)
    # without a rules file, an undeclared name may be declared there: a warning, not an error
    assert (WARNING, str(library / "a" / "one.md"), 4) in found(result)
    assert "未找到规则文件" in message(result, str(library / "a" / "one.md"), 4)


def test_snippets_folder_finds_its_rules(tmp_path):
    shutil.copytree(FIXTURES / "mini", tmp_path / "mini")
    result = lint(tmp_path / "mini" / "snippets")
    assert result.rules is not None and result.rules.resolve() == (tmp_path / "mini" / "rules.yaml").resolve()
    assert result.problems == []


def test_a_file_the_core_refuses_still_gets_all_its_problems_listed(tmp_path):
    library = tmp_path / "snippets" / "s"
    library.mkdir(parents=True)
    (tmp_path / "rules.yaml").write_text(SIMPLE_RULES, encoding="utf-8")
    (library / "a.md").write_text(
        "---\nid: s.a\nfoo: 1\nbar: 2\nvariables:\n  x: {type: float}\n  y: {type: int, label: 乙}\n---\n"
        "{{ y }}个。{{ z }}\n", encoding="utf-8")
    result = lint(tmp_path / "rules.yaml")
    path = str(library / "a.md")
    assert {(p.level, p.line) for p in result.problems if p.file == path} == {
        (ERROR, 3), (ERROR, 4), (ERROR, 6), (WARNING, 6), (ERROR, 9)}
    assert "foo" in message(result, path, 3) and "bar" in message(result, path, 4)
    assert "float" in message(result, path, 6) and "z" in message(result, path, 9)


def test_variants_lines_and_rules_level_names(tmp_path):
    (tmp_path / "snippets" / "s").mkdir(parents=True)
    (tmp_path / "rules.yaml").write_text(
        'title: "{{ year }}年报告"\nvariables:\n  year: {type: int, label: 年度}\n  unit: {label: 单位}\n'
        "sections:\n  - id: s\n    heading: 栏目\n    snippets: [s.a]\n", encoding="utf-8")
    (tmp_path / "snippets" / "s" / "a.md").write_text(
        "---\nid: s.a\nvariables:\n  n: {type: int, label: 次数}\n  m: {type: int, label: 户数}\nvariants:\n"
        "  - |\n    {{ unit }}开展{{ n }}次。\n\n    另一段{{ m }}户\n  - 只有{{ n }}次。\n"
        "  - |\n    {{ n }}次{% if %}\n"
        "---\n{{ unit }}共{{ n }}次，{{ m }}户。\n", encoding="utf-8")
    result = lint(tmp_path / "rules.yaml")
    path = str(tmp_path / "snippets" / "s" / "a.md")
    # variant 2 (line 8) is fine: unit is a report-level value; its second paragraph lacks punctuation
    assert (WARNING, path, 8) in found(result) and "第2种正文" in message(result, path, 8)
    # variant 3 (line 11) lacks m; variant 4 (block at line 12, text from 13) has a Jinja error at line 13
    assert "少了 m" in message(result, path, 11)
    assert "Jinja" in message(result, path, 13)
    assert all(p.line != 8 or p.level == WARNING for p in result.problems if p.file == path)


def test_masks_inside_jinja_and_trailing_tags_are_fine(tmp_path):
    (tmp_path / "snippets" / "s").mkdir(parents=True)
    (tmp_path / "rules.yaml").write_text(SIMPLE_RULES, encoding="utf-8")
    (tmp_path / "snippets" / "s" / "a.md").write_text(
        "---\nid: s.a\nheading: 标题\nvariables:\n  n: {type: int, label: 次数}\n---\n"
        "共{{ n ** 2 }}次{% if n > 3 %}，居前列{% endif %}。\n\n{{ n }}\n\n{# 备注 #}\n\n“引号结尾。”\n",
        encoding="utf-8")
    result = lint(tmp_path / "rules.yaml")
    assert result.problems == []


def test_checklist_beside_rules_is_checked_when_it_names_them(tmp_path):
    shutil.copytree(FIXTURES / "mini", tmp_path / "mini")
    checklist = tmp_path / "mini" / "checklist.md"
    text = checklist.read_text(encoding="utf-8").replace("duties.party", "duties.partie")
    checklist.write_text(text.replace("\n\n", "\n<!-- 规则文件：rules.yaml -->\n", 1), encoding="utf-8")
    result = lint(tmp_path / "mini" / "rules.yaml")
    assert {(p.level, p.line) for p in result.problems} == {(ERROR, 12), (ERROR, 21)}
    assert "duties.partie" in message(result, str(checklist), 12)
    assert "duties.party" in message(result, str(checklist), 21)
    assert "--merge" in message(result, str(checklist), 21)


def test_a_neighbouring_checklist_of_another_rules_file_is_left_alone(tmp_path):
    """Issue 13, item 6: ``lint rules_long.yaml`` used to judge the checklist.md of rules.yaml."""
    shutil.copytree(FIXTURES / "mini", tmp_path / "mini")
    rules = tmp_path / "mini" / "rules.yaml"
    text = rules.read_text(encoding="utf-8")
    (tmp_path / "mini" / "rules_long.yaml").write_text(text.replace("  - id: integrity", "  - id: integrity2"),
                                                       encoding="utf-8")
    checklist = tmp_path / "mini" / "checklist.md"
    checklist.write_text(checklist.read_text(encoding="utf-8").replace("duties.party", "duties.partie"),
                         encoding="utf-8")  # names no rules file
    assert lint(tmp_path / "mini" / "rules_long.yaml").problems == []
    text = checklist.read_text(encoding="utf-8")
    checklist.write_text(text.replace("\n\n", "\n<!-- 规则文件：rules.yaml -->\n", 1), encoding="utf-8")
    assert lint(tmp_path / "mini" / "rules_long.yaml").problems == []  # names the other one
    assert lint(tmp_path / "mini" / "rules_long.yaml", checklist=checklist).errors  # unless told


def test_types_and_labels_must_agree_across_snippets(tmp_path):
    (tmp_path / "snippets" / "s").mkdir(parents=True)
    (tmp_path / "rules.yaml").write_text(
        "title: 报告\nsections:\n  - id: s\n    heading: 栏目\n    snippets: [s.a, s.b]\n", encoding="utf-8")
    (tmp_path / "snippets" / "s" / "a.md").write_text(
        "---\nid: s.a\nvariables:\n  n: {type: int, label: 次数}\n---\n{{ n }}次。\n", encoding="utf-8")
    (tmp_path / "snippets" / "s" / "b.md").write_text(
        "---\nid: s.b\nvariables:\n  n: {type: number, label: 数量}\n  k: {type: int, label: 次数}\n---\n"
        "{{ n }}与{{ k }}。\n", encoding="utf-8")
    result = lint(tmp_path / "rules.yaml")
    path = str(tmp_path / "snippets" / "s" / "b.md")
    assert "类型" in message(result, path, 4) and "int" in message(result, path, 4)
    assert "标签“次数”" in message(result, path, 5)


def test_undeclared_here_but_declared_in_another_snippet_is_a_warning(tmp_path):
    shutil.copytree(FIXTURES / "mini", tmp_path / "mini")
    intro = tmp_path / "mini" / "snippets" / "duties" / "intro.md"
    intro.write_text(intro.read_text(encoding="utf-8") + "\n共走访{{ households }}户。\n", encoding="utf-8")
    result = lint(tmp_path / "mini" / "rules.yaml")
    assert [(p.level, p.line) for p in result.problems] == [(WARNING, 7)]
    assert "duties.village" in result.problems[0].message


def test_large_library_in_worker_processes_gives_the_same_result(tmp_path):
    sys.path.insert(0, str(BENCH))
    try:
        import bench_lint
    finally:
        sys.path.remove(str(BENCH))
    rules = bench_lint.generate(tmp_path, 320)
    broken = tmp_path / "snippets" / "s3" / "n5.md"
    broken.write_text(broken.read_text(encoding="utf-8").replace("}}户", "}户"), encoding="utf-8")
    serial = lint(rules, jobs=1)
    parallel = lint(rules, jobs=2)
    assert serial.snippets == parallel.snippets == 320
    assert serial.problems == parallel.problems
    assert [(p.file, p.line) for p in serial.errors] == [(str(broken), 10)]
