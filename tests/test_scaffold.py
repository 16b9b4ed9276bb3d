"""``assembler init``: a new library that lints clean and builds, and the pre-commit hook."""

import subprocess
from pathlib import Path

import yaml
from click.testing import CliRunner
from openpyxl import load_workbook

from assembler.cli import main
from assembler.ooxml.text import docx_text

ROOT = Path(__file__).parent.parent


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_init_lints_clean_and_builds(tmp_path):
    lib = tmp_path / "新片段库"
    result = run("init", lib)
    assert result.exit_code == 0, result.output
    names = sorted(str(p.relative_to(lib)) for p in lib.rglob("*") if p.is_file() and ".git" not in p.parts)
    assert ".gitignore" in names and ".pre-commit-config.yaml" in names
    assert {"rules.yaml", "checklist.md", "people.xlsx", "README.md"} <= set(names)
    snippets = [n for n in names if n.startswith("snippets/")]
    assert 4 <= len(snippets) <= 6
    gitignore = (lib / ".gitignore").read_text(encoding="utf-8").split()
    assert {"out/", "*.pdf", "~$*"} <= set(gitignore)
    hooks = yaml.safe_load((lib / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hook = hooks["repos"][0]["hooks"][0]
    assert hook["id"] == "assembler-lint" and hook["entry"] == "assembler lint"
    assert hook["pass_filenames"] is False

    linted = run("lint", lib / "rules.yaml")
    assert linted.exit_code == 0, linted.output
    assert "没有发现问题" in linted.output
    wording = (lib / "wording.yaml").read_text(encoding="utf-8")
    assert yaml.safe_load(wording) is None and "find:" in wording  # a commented example, no entries of its own

    checklist = (lib / "checklist.md").read_text(encoding="utf-8")
    assert "- [x] duties.rural 统筹推进乡村振兴" in checklist

    # the empty workbook: one header per needed variable (labels), then 选稿; no people yet
    sheet = load_workbook(lib / "people.xlsx").active
    headers = [cell.value for cell in sheet[1]]
    assert headers[0] == "年度" and headers[-1] == "选稿"
    assert {"集中学习次数", "走访群众户数", "争取资金（万元）", "分管工作"} <= set(headers)
    assert sheet.max_row == 1

    values = {"年度": 2024, "姓名": "王五", "单位": "青山镇", "职务": "副镇长", "分管工作": "党建、乡村振兴",
              "报告日期": "2024-12-20", "任职时间": "2023-03-01", "集中学习次数": 12, "讲党课次数": 2,
              "完成重点任务数": 8, "走访群众户数": 260, "乡村振兴项目数": 3, "争取资金（万元）": 120.5,
              "廉政谈话次数": 4}
    assert set(values) == set(headers[:-1])
    people = tmp_path / "people.yaml"
    people.write_text(yaml.safe_dump([values], allow_unicode=True), encoding="utf-8")
    built = run("build", lib / "rules.yaml", "--people", people, "--checklist", lib / "checklist.md",
                "-o", tmp_path / "out")
    assert built.exit_code == 0, built.output
    text = docx_text((tmp_path / "out" / "2024年度述职述廉报告-王五.docx").read_bytes())
    lines = text.splitlines()
    assert lines[:2] == ["2024年度述职述廉报告", "青山镇副镇长  王五"]
    assert "二、履职尽责，扎实推进分管工作" in lines and "（二）统筹推进乡村振兴" in lines
    assert "走访覆盖面在班子成员中位居前列，群众反映的问题做到件件有回音。" in lines
    assert "争取各类资金120.5万元" in text
    assert lines[-1] == "2024年12月20日"


def test_init_refuses_a_folder_with_files(tmp_path):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "notes.txt").write_text("mine", encoding="utf-8")
    result = run("init", tmp_path / "lib")
    assert result.exit_code == 2
    assert result.output.startswith("错误：") and "不是空的" in result.output
    assert sorted(p.name for p in (tmp_path / "lib").iterdir()) == ["notes.txt"]


def test_init_into_an_empty_folder_and_git(tmp_path):
    (tmp_path / "lib").mkdir()
    result = run("init", tmp_path / "lib")
    assert result.exit_code == 0, result.output
    if "Git" in result.output:
        status = subprocess.run(["git", "-C", str(tmp_path / "lib"), "status", "--porcelain"],
                                capture_output=True, text=True, check=True).stdout
        assert "rules.yaml" in status and "people.xlsx" in status


def test_pre_commit_hook_definition():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    [hook, fix] = hooks
    assert hook["id"] == "assembler-lint"
    assert hook["entry"] == "assembler lint"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    assert fix["id"] == "assembler-lint-fix" and fix["entry"] == "assembler lint --fix"
    assert fix["files"] == hook["files"] and fix["pass_filenames"] is False


def test_pre_commit_hook_of_a_new_library_runs_the_lint_for_real(tmp_path):
    """``init`` → ``pre-commit install`` → ``git commit``: the real hook runs ``assembler lint``,
    lets a clean library through and stops a commit that breaks it."""
    import os
    import sys

    lib = tmp_path / "lib"
    assert run("init", lib).exit_code == 0
    assert (lib / ".git").is_dir()
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
               PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.com",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.com")

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(args), cwd=lib, env=env, capture_output=True, text=True, timeout=300)

    installed = call(sys.executable, "-m", "pre_commit", "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert call("git", "add", "-A").returncode == 0
    first = call("git", "commit", "-q", "-m", "新建片段库")
    assert first.returncode == 0, first.stdout + first.stderr
    shown = first.stdout + first.stderr  # where git shows the hook's output depends on the git version
    assert "检查片段库和规则（assembler lint）" in shown and "Passed" in shown

    study = lib / "snippets" / "theory" / "study.md"
    text = study.read_text(encoding="utf-8")
    study.write_text(text.rstrip("\n") + "\n\n另有{{ 未声明的数 }}项。\n", encoding="utf-8")
    line = len(study.read_text(encoding="utf-8").rstrip("\n").split("\n"))
    call("git", "add", "-A")
    refused = call("git", "commit", "-q", "-m", "坏的修改")
    assert refused.returncode != 0
    shown = refused.stdout + refused.stderr
    assert "Failed" in shown
    assert f"错误：snippets/theory/study.md:{line}: 变量 未声明的数 没有声明" in shown
    assert call("git", "rev-list", "--count", "HEAD").stdout.strip() == "1"  # nothing was committed

    study.write_text(text.rstrip("\n") + "\n\n另有三项。\n", encoding="utf-8")
    call("git", "add", "-A")
    fixed = call("git", "commit", "-q", "-m", "改正")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert call("git", "rev-list", "--count", "HEAD").stdout.strip() == "2"


def test_local_hook_and_published_hook_run_the_same_command():
    published = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))[0]
    skeleton = ROOT / "src" / "assembler" / "skeleton" / "pre-commit-config.yaml"
    local = yaml.safe_load(skeleton.read_text(encoding="utf-8"))["repos"][0]["hooks"][0]
    assert local["id"] == published["id"] and local["entry"] == published["entry"]
    assert local["files"] == published["files"] and local["pass_filenames"] == published["pass_filenames"]
    import re

    pattern = re.compile(published["files"])
    assert all(pattern.search(name) for name in ("rules.yaml", "snippets/a/b.md", "x.yml"))
    assert not pattern.search("people.xlsx")
