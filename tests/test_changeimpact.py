"""``assembler diff``: a library change in Git, the reports it changes and how, nothing written."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from assembler.build.changeimpact import diff_library, format_diff, paragraph_diff
from assembler.cli import main

MINI = Path(__file__).parent / "fixtures" / "mini"


def git(root: Path, *args: str) -> str:
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    return subprocess.run(["git", "-C", str(root), *identity, *args], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture()
def repo(tmp_path) -> Path:
    """The mini library in a Git repository: first commit as in the fixture, second rewords
    ``duties.village`` (only for people with 驻村帮扶: 甲一 and 丙三)."""
    root = tmp_path / "library"
    shutil.copytree(MINI, root)
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "初稿")
    village = root / "snippets" / "duties" / "village.md"
    village.write_text(village.read_text(encoding="utf-8").replace("走访农户{{", "逐户走访农户{{"), encoding="utf-8")
    git(root, "commit", "-q", "-am", "改写驻村帮扶")
    return root


def diff(repo: Path, *args: str):
    return CliRunner().invoke(main, ["diff", str(repo / "rules.yaml"), "--people", str(repo / "people.yaml"),
                                     "--checklist", str(repo / "checklist.md"), *args])


def test_diff_between_two_commits_shows_the_sentence_for_the_right_people_only(repo):
    before = sorted(p.relative_to(repo) for p in repo.rglob("*") if ".git" not in p.parts)
    result = diff(repo, "--from", "HEAD~1", "--to", "HEAD")
    assert result.exit_code == 1, result.output
    assert result.output.split("\n\n")[:2] == [
        "甲一（第1行）：\n  二、履行工作职责\n  （二）用好驻村帮扶力量\n- 走访农户300户。\n+ 逐户走访农户300户。",
        "丙三（第3行）：\n  二、履行工作职责\n  （二）用好驻村帮扶力量\n- 走访农户120户。\n+ 逐户走访农户120户。",
    ]
    assert "乙二" not in result.output
    assert result.output.rstrip().endswith("HEAD~1 → HEAD：2 份报告有变化，1 份未变。")
    after = sorted(p.relative_to(repo) for p in repo.rglob("*") if ".git" not in p.parts)
    assert after == before  # no report, no checkout left behind
    assert git(repo, "status", "--porcelain") == ""


def test_diff_against_the_working_tree_and_exit_codes(repo):
    assert diff(repo, "--from", "HEAD").exit_code == 0  # nothing uncommitted
    assert "0 份报告有变化，3 份未变" in diff(repo, "--from", "HEAD").output
    # an uncommitted change that shifts numbering: the heading goes, later ones renumber
    rules = repo / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8").replace("      - duties.party\n", ""), encoding="utf-8")
    checklist = repo / "checklist.md"
    checklist.write_text(checklist.read_text(encoding="utf-8").replace("- [x] duties.party 抓实基层党建\n", ""),
                         encoding="utf-8")
    result = diff(repo, "--from", "HEAD")
    assert result.exit_code == 1, result.output
    first = result.output.split("\n\n")[0].splitlines()
    assert first[0] == "甲一（第1行）："
    assert "- （一）抓实基层党建" in first and "- （二）用好驻村帮扶力量" in first and "+ （一）用好驻村帮扶力量" in first
    assert result.output.rstrip().endswith("3 份报告有变化，0 份未变。")


def test_bad_revision_and_no_repository_exit_2(repo, tmp_path):
    result = diff(repo, "--from", "no-such-branch")
    assert result.exit_code == 2 and "没有版本“no-such-branch”" in result.output and "Traceback" not in result.output
    plain = tmp_path / "plain"
    shutil.copytree(MINI, plain)
    result = CliRunner().invoke(main, ["diff", str(plain / "rules.yaml"), "--people", str(plain / "people.yaml"),
                                       "--from", "HEAD"])
    assert result.exit_code == 2 and "不在 Git 仓库中" in result.output


def test_unchanged_people_are_not_rendered(repo, monkeypatch):
    """Same fingerprint on both sides: the report cannot differ, so it is not rendered at all."""
    from assembler.build import changeimpact

    rendered = []
    real = changeimpact.report_paragraphs
    monkeypatch.setattr(changeimpact, "report_paragraphs", lambda project, plan: rendered.append(plan.name)
                        or real(project, plan))
    result = diff_library(repo / "rules.yaml", repo / "people.yaml", old="HEAD~1", new="HEAD",
                          checklist=repo / "checklist.md")
    assert [p.name for p in result.changed] == ["甲一", "丙三"] and result.unchanged == 1
    assert sorted(rendered) == sorted(["甲一", "甲一", "丙三", "丙三"])
    assert format_diff(result)[-1] == "HEAD~1 → HEAD：2 份报告有变化，1 份未变。"


def test_paragraph_diff_places_each_change_under_its_headings():
    old = [("Title", "报告"), ("Heading1", "一、学习"), ("Normal", "甲。"), ("Heading1", "二、工作"),
           ("Heading2", "（一）党建"), ("Normal", "乙。"), ("Normal", "丙。")]
    new = [("Title", "报告"), ("Heading1", "一、学习"), ("Normal", "甲。"), ("Heading1", "二、工作"),
           ("Heading2", "（一）党建"), ("Normal", "乙乙。"), ("Normal", "丙。"), ("Normal", "丁。")]
    assert paragraph_diff(old, new) == ["  二、工作", "  （一）党建", "- 乙。", "+ 乙乙。", "+ 丁。"]
    assert paragraph_diff(old, old) == []


def test_pre_commit_runs_the_diff_hook_on_the_staged_change(repo, tmp_path):
    """The published hook's command, as a library repository configures it (``repo: local`` with the
    installed ``assembler``), run for real by pre-commit on a staged snippet change."""
    import os
    import sys

    import yaml

    published = {hook["id"]: hook for hook in
                 yaml.safe_load((Path(__file__).parent.parent / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    hook = dict(published["assembler-diff"], language="system",
                args=["rules.yaml", "--people", "people.yaml", "--checklist", "checklist.md", "--from", "HEAD"])
    (repo / ".pre-commit-config.yaml").write_text(
        yaml.safe_dump({"repos": [{"repo": "local", "hooks": [hook]}]}, allow_unicode=True), encoding="utf-8")
    git(repo, "add", ".pre-commit-config.yaml")
    git(repo, "commit", "-q", "-m", "钩子")
    village = repo / "snippets" / "duties" / "village.md"
    village.write_text(village.read_text(encoding="utf-8").replace("逐户走访", "入户走访"), encoding="utf-8")
    git(repo, "add", "-A")
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
               PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"))
    done = subprocess.run([sys.executable, "-m", "pre_commit", "run", "assembler-diff", "--hook-stage", "manual"],
                          cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    shown = done.stdout + done.stderr
    assert done.returncode == 1, shown
    assert "- 逐户走访农户300户。\n+ 入户走访农户300户。" in shown and "乙二" not in shown
    assert "HEAD → 工作区：2 份报告有变化，1 份未变。" in shown
