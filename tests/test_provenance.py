"""Provenance: library state, snippet hashes, custom document properties, ``assembler explain``."""

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from lxml import etree

from assembler import pipeline
from assembler.cli import main
from assembler.library.provenance import (
    PROP_COMMIT,
    PROP_DIRTY,
    PROP_SNIPPETS,
    BatchProvenance,
    LibraryState,
    explain_report,
    format_explanation,
    library_state,
    pattern_source,
    snippet_hash,
)
from assembler.ooxml.properties import read_custom_properties, with_custom_properties
from docx_helpers import plain_docx

FIXTURES = Path(__file__).parent / "fixtures"
HAS_GIT = shutil.which("git") is not None


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def git(root: Path, *args: str) -> str:
    identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    return subprocess.run(["git", "-C", str(root), *identity, *args],
                          capture_output=True, text=True, check=True).stdout.strip()


def test_snippet_hash(tmp_path):
    from assembler.load.snippets import load_library

    shutil.copytree(FIXTURES / "mini", tmp_path / "mini")
    library = load_library(tmp_path / "mini" / "snippets")
    grid = library["duties.grid"]
    first = snippet_hash(grid)
    assert len(first) == 12 and int(first, 16) >= 0
    import hashlib

    assert first == hashlib.sha256(grid.path.read_text(encoding="utf-8").encode()).hexdigest()[:12]
    grid.path.write_bytes(grid.path.read_bytes().replace(b"\n", b"\r\n"))
    assert snippet_hash(grid) == first  # line endings do not count
    grid.path.write_text(grid.path.read_text(encoding="utf-8") + "补充。\n", encoding="utf-8")
    assert snippet_hash(grid) != first


@pytest.mark.skipif(not HAS_GIT, reason="needs git")
def test_library_state(tmp_path, monkeypatch):
    assert library_state(tmp_path) == LibraryState(None, None)
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "mini", repo)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "库")
    head = git(repo, "rev-parse", "HEAD")
    assert library_state(repo / "snippets") == LibraryState(head, False)
    (repo / "snippets" / "theory" / "study.md").write_text("---\nid: x\n---\n改了。\n", encoding="utf-8")
    assert library_state(repo / "snippets") == LibraryState(head, True)
    # only the library folder counts: a change elsewhere in the repository does not make it dirty
    git(repo, "checkout", "-q", "--", ".")
    (repo / "people.yaml").write_text("[]\n", encoding="utf-8")
    assert library_state(repo / "snippets") == LibraryState(head, False)
    monkeypatch.setenv("PATH", str(tmp_path / "no-such-bin"))
    assert library_state(repo / "snippets") == LibraryState(None, None)


def test_pattern_source():
    source, weight = pattern_source("走访{{ n }}户{% if n > 10 %}，居前列{% endif %}。")
    import re

    assert re.fullmatch(source, "走访12户，居前列。") and re.fullmatch(source, "走访3户。")
    assert not re.fullmatch(source, "走访户。") and weight == len("走访户，居前列。")
    source, _ = pattern_source("{% if a %}甲{% elif b %}乙{% else %}丙{% endif %}。")
    assert re.fullmatch(source, "乙。") and not re.fullmatch(source, "甲乙。")
    source, _ = pattern_source("{% for x in xs %}{{ x }}、{% endfor %}完。")
    assert re.fullmatch(source, "东、西、完。")


@pytest.fixture()
def stamped_report(tmp_path):
    repo = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", repo)
    if HAS_GIT:
        git(repo, "init", "-q")
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", "库")
    project = pipeline.load_project(repo / "rules.yaml", repo / "checklist.md")
    people = pipeline.load_people(project, repo / "people.yaml")
    plan = next(p for p in pipeline.plan_people(project, people, {}) if p.name == "甲一")
    data = pipeline.render_person(project, plan)
    state = library_state(project.rules.library)
    props = BatchProvenance.for_library(project.library, plan.included,
                                        rules=project.rules.path).properties(plan.included)
    report = tmp_path / "甲一.docx"
    report.write_bytes(with_custom_properties(data, props))
    return repo, report, plan, state


def test_explain_maps_each_paragraph_to_its_snippet(stamped_report):
    repo, report, plan, state = stamped_report
    props = read_custom_properties(report.read_bytes())
    assert [item["id"] for item in json.loads(props[PROP_SNIPPETS])] == plan.included
    assert props[PROP_COMMIT] == (state.commit or "") and props[PROP_DIRTY] == ("false" if HAS_GIT else "")
    explanation = explain_report(report.read_bytes(), rules_path=repo / "rules.yaml")
    found = {p.text: (p.kind, p.snippet_id) for p in explanation.paragraphs}
    assert found["2022年度述职述廉报告"] == ("title", None)
    assert found["青山镇副镇长  甲一"] == ("subtitle", None)
    assert found["我于2021年3月1日任青山镇副镇长，现将履职情况报告如下："] == ("body", "opening.hello")
    assert found["一、强化理论武装"] == ("section", "theory")
    assert found["（一）坚持集中学习"] == ("heading", "theory.study")
    assert found["全年参加理论中心组集中学习12次，做到学有所得。"] == ("body", "theory.study")
    assert found["在东村、西村划分网格40个。"] == ("body", "duties.grid")
    assert found["网格数量居全镇前列。"] == ("body", "duties.grid")
    assert found["经手项目资金12.5万元，未发生违纪问题。"] == ("body", "integrity.pledge")
    assert found["2022年12月5日"] == ("signature", None)
    assert explanation.changed == {} and explanation.missing == []


def test_explain_command_without_rules_uses_the_recorded_library(stamped_report, monkeypatch):
    repo, report, _, state = stamped_report
    monkeypatch.chdir(repo)  # the report names its rules relative to the library's root (issue 13)
    edited = docx.Document(str(report))
    edited.add_paragraph("这是手工加的一段。")
    edited.save(str(report))
    party = repo / "snippets" / "duties" / "party.md"
    party.write_text(party.read_text(encoding="utf-8") + "\n补充一句。\n", encoding="utf-8")
    result = run("explain", report)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{report}：用了 9 个片段")
    body = next(line for line in lines if "全年发展党员5名。" in line)
    assert "← 正文 duties.party" in body and "片段此后已修改" in body
    if state.commit:
        assert f"提交 {state.commit[:12]}" in body
    assert any("这是手工加的一段。" in line and "未找到来源" in line for line in lines)
    assert lines[-1] == "警告：这些片段在生成后修改过：duties.party"


def test_explain_needs_a_library(tmp_path):
    report = tmp_path / "x.docx"
    report.write_bytes(plain_docx())
    result = run("explain", report)
    assert result.exit_code == 2 and "--rules" in result.output


# ------------------------------------------------------------------ provenance written by build

from assembler.library.provenance import PROP_LIBRARY, PROP_RULES  # noqa: E402
from assembler.ooxml.text import docx_paragraphs  # noqa: E402

EXAMPLES = Path(__file__).parent / "fixtures" / "sample-v1" / "examples"


@pytest.fixture()
def mini_repo(tmp_path) -> Path:
    repo = tmp_path / "mini"
    shutil.copytree(FIXTURES / "mini", repo)
    (repo / ".gitignore").write_text("out/\n", encoding="utf-8")
    if HAS_GIT:
        git(repo, "init", "-q")
        git(repo, "add", ".")
        git(repo, "commit", "-q", "-m", "库")
    return repo


def build_mini(repo: Path, *extra: str):
    return run("build", repo / "rules.yaml", "--people", repo / "people.yaml", "--checklist", repo / "checklist.md",
               "-o", repo / "out", *extra)


def test_build_records_provenance_in_manifest_and_in_each_docx(mini_repo):
    result = build_mini(mini_repo)
    assert result.exit_code == 0, result.output
    manifest = json.loads((mini_repo / "out" / "manifest.json").read_text(encoding="utf-8"))
    head = git(mini_repo, "rev-parse", "HEAD") if HAS_GIT else None
    library = pipeline.load_project(mini_repo / "rules.yaml").library
    for entry in manifest["reports"]:
        provenance = entry["provenance"]
        assert provenance["library_commit"] == head
        assert provenance["library_dirty"] is (False if HAS_GIT else None)
        assert [item["id"] for item in provenance["snippets"]] == entry["snippets"]
        for item in provenance["snippets"]:
            assert item["hash"] == snippet_hash(library[item["id"]])
        # the document carries the same
        props = read_custom_properties((mini_repo / "out" / entry["file"]).read_bytes())
        assert json.loads(props[PROP_SNIPPETS]) == provenance["snippets"]
        assert props[PROP_COMMIT] == (head or "")
        assert props[PROP_DIRTY] == ("false" if HAS_GIT else "")
        assert props[PROP_LIBRARY] == "snippets"  # relative to the library's root: no local path (issue 13)
        assert props[PROP_RULES] == "rules.yaml"
    assert {e["name"] for e in manifest["reports"]} == {"甲一", "乙二", "丙三"}


@pytest.mark.skipif(not HAS_GIT, reason="needs git")
def test_uncommitted_changes_and_new_hashes_are_recorded(mini_repo):
    party = mini_repo / "snippets" / "duties" / "party.md"
    party.write_text(party.read_text(encoding="utf-8") + "\n组织生活更加规范。\n", encoding="utf-8")
    result = build_mini(mini_repo)
    assert result.exit_code == 0, result.output
    manifest = json.loads((mini_repo / "out" / "manifest.json").read_text(encoding="utf-8"))
    entry = next(e for e in manifest["reports"] if e["name"] == "甲一")
    assert entry["provenance"]["library_dirty"] is True
    hashes = {item["id"]: item["hash"] for item in entry["provenance"]["snippets"]}
    import hashlib

    assert hashes["duties.party"] == hashlib.sha256(party.read_bytes()).hexdigest()[:12]
    props = read_custom_properties((mini_repo / "out" / entry["file"]).read_bytes())
    assert props[PROP_DIRTY] == "true"
    # committing makes the next build clean again, with the new commit
    git(mini_repo, "commit", "-q", "-am", "补充")
    assert build_mini(mini_repo, "--force").exit_code == 0
    manifest = json.loads((mini_repo / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert {e["provenance"]["library_dirty"] for e in manifest["reports"]} == {False}
    assert {e["provenance"]["library_commit"] for e in manifest["reports"]} == {git(mini_repo, "rev-parse", "HEAD")}


def test_unchanged_reports_keep_the_provenance_of_their_build_and_failed_claim_none(mini_repo):
    assert build_mini(mini_repo).exit_code == 0
    first = git(mini_repo, "rev-parse", "HEAD")
    (mini_repo / "notes.txt").write_text("另一处修改", encoding="utf-8")
    git(mini_repo, "add", "notes.txt")
    git(mini_repo, "commit", "-q", "-m", "与片段无关的提交")
    people = mini_repo / "people.yaml"
    people.write_text(people.read_text(encoding="utf-8").replace("心得篇数: 1, ", ""), encoding="utf-8")
    (mini_repo / "out" / "2022年度述职述廉报告-甲一.docx").unlink()
    result = build_mini(mini_repo)
    assert result.exit_code == 1
    reports = json.loads((mini_repo / "out" / "manifest.json").read_text(encoding="utf-8"))["reports"]
    by_name = {e["name"]: e for e in reports if e.get("change") != "kept"}
    assert by_name["甲一"]["status"] == "written" and by_name["甲一"]["provenance"]["snippets"]
    # 丙三's report of the first build is still in the folder: described as it was, not claimed by this run
    [kept] = [e for e in reports if e.get("change") == "kept"]
    assert kept["file"] == "2022年度述职述廉报告-丙三.docx" and kept["provenance"]["library_commit"] == first
    assert by_name["甲一"]["provenance"]["library_commit"] == git(mini_repo, "rev-parse", "HEAD") != first
    assert by_name["乙二"]["status"] == "skipped" and by_name["乙二"]["change"] == "unchanged"
    assert by_name["乙二"]["provenance"]["library_commit"] == first  # what its file says
    assert by_name["丙三"]["status"] == "failed" and "provenance" not in by_name["丙三"]


def test_explain_traces_every_paragraph_of_the_sample_reports(tmp_path, monkeypatch):
    """The sample batch (its snippets have variants): every paragraph of every report has a source,
    and every body paragraph comes from a snippet that report records."""
    out = tmp_path / "out"
    result = run("build", EXAMPLES / "rules.yaml", "--people", EXAMPLES / "people.xlsx", "--checklist",
                 EXAMPLES / "checklist.md", "--vars", EXAMPLES / "vars.yaml", "-o", out)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["reports"]) == 7
    variants_seen: set[int] = set()
    for entry in manifest["reports"]:
        data = (out / entry["file"]).read_bytes()
        explanation = explain_report(data)  # the library and rules recorded in the report
        paragraphs = [p for p in docx_paragraphs(data) if p.text.strip()]
        assert len(explanation.paragraphs) == len(paragraphs) > 30
        untraced = [p.text for p in explanation.paragraphs if p.kind is None]
        assert untraced == [], entry["name"]
        used = {p.snippet_id for p in explanation.paragraphs if p.kind in ("heading", "body")}
        assert used == set(entry["snippets"])
        variants_seen |= set(entry["variants"].values())
        lines = format_explanation(explanation)
        assert lines[0].startswith(f"{explanation.report}：用了 {len(entry['snippets'])} 个片段")
    assert variants_seen == {1, 2, 3}  # the batch really mixes the alternative bodies


def test_explain_points_at_the_line_of_a_variant(tmp_path, monkeypatch):
    library = tmp_path / "snippets"
    (library / "s").mkdir(parents=True)
    (tmp_path / "rules.yaml").write_text(
        "title: 报告\nsections:\n  - id: s\n    heading: 栏目\n    snippets: [s.a]\n", encoding="utf-8")
    (library / "s" / "a.md").write_text(
        "---\nid: s.a\nvariables:\n  n: {type: int, label: 次数}\nvariants:\n  - |\n    第二种写法{{ n }}次。\n\n"
        "    第二种的第二段。\n  - 第三种写法{{ n }}次。\n---\n第一种写法{{ n }}次。\n", encoding="utf-8")
    document = docx.Document()
    for text in ("报告", "一、栏目", "第一种写法3次。", "第二种的第二段。", "第三种写法4次。"):
        document.add_paragraph(text)
    report = tmp_path / "r.docx"
    document.save(str(report))
    monkeypatch.chdir(tmp_path)
    explanation = explain_report(report.read_bytes(), rules_path=Path("rules.yaml"))
    where = {p.text: p.where for p in explanation.paragraphs}
    assert where["第一种写法3次。"] == "snippets/s/a.md:12"
    assert where["第二种的第二段。"] == "snippets/s/a.md:9"
    assert where["第三种写法4次。"] == "snippets/s/a.md:10"


@pytest.mark.office
def test_libreoffice_reads_the_stamped_properties(mini_repo, tmp_path):
    """Writer shows the custom properties (File → Properties → Custom Properties): convert to .odt
    with the real soffice and read them from its meta.xml."""
    soffice = shutil.which("soffice") or "/usr/bin/soffice"
    if not Path(soffice).exists():
        pytest.fail("LibreOffice (soffice) is not installed: run scripts/setup.sh --full")
    assert build_mini(mini_repo).exit_code == 0
    report = mini_repo / "out" / "2022年度述职述廉报告-甲一.docx"
    expected = read_custom_properties(report.read_bytes())
    profile = tmp_path / "profile"
    done = subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
                           "--convert-to", "odt", "--outdir", str(tmp_path), str(report)],
                          capture_output=True, text=True, timeout=180, check=False)
    odt = tmp_path / (report.stem + ".odt")
    assert odt.exists(), done.stderr
    with zipfile.ZipFile(odt) as archive:
        meta = etree.fromstring(archive.read("meta.xml"))
    ns = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
    found = {node.get(f"{{{ns}}}name"): node.text or "" for node in meta.iter(f"{{{ns}}}user-defined")}
    joined = {name: value for name, value in found.items() if "#" not in name}
    for name in [n for n in found if "#" in n]:
        joined[name.split("#")[0]] += found[name]
    assert joined[PROP_COMMIT] == expected[PROP_COMMIT]
    assert json.loads(joined[PROP_SNIPPETS]) == json.loads(expected[PROP_SNIPPETS])
