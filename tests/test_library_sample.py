"""The bundled starter library (snippets/) and its sample batch (examples/): a township's whole team.

What an office adopting the library relies on: every cadre of the sample builds; each role gets the
sections written for it (and only those); every report is 1,800-3,500 字 of body and reads unlike its
colleagues'; every figure comes from the person's row; the text is written for this project (no run
of 20 characters shared with the real report kept for register) and lints clean.
"""

from __future__ import annotations

import json
import re
import runpy
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from assembler import pipeline
from assembler.cli import main
from assembler.library.lint import lint
from assembler.library.similarity import compare, read_reports, report_text
from assembler.load.snippets import load_library
from assembler.ooxml.text import docx_text

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SNIPPETS = ROOT / "snippets"
REFERENCE = ROOT.parent / "shared" / "reference" / "sample-report-2022.txt"
if not REFERENCE.is_file():  # CI clones main with shared/ beside it
    REFERENCE = ROOT.parent.parent / "shared" / "reference" / "sample-report-2022.txt"

CORE_THEMES = ("理论学习", "基层党建", "驻村帮扶", "网格化治理", "廉洁自律")
DUTY_AREAS = ("党政全面", "经济发展", "纪检监察", "组织人事", "宣传思想", "人大工作", "农业农村", "安全生产",
              "生态环保", "信访维稳")

# What each role's report holds, section by section, in the order the reader meets it. Written out
# here by hand from the brief (who does what in a township), not read from examples/rules.yaml.
THEORY = {
    "党委书记": ["theory.congress", "theory.lead-study", "theory.lectures"],
    "镇长": ["theory.congress", "theory.research", "theory.law"],
    "党委副书记": ["theory.congress", "theory.lectures", "theory.research"],
    "纪委书记": ["theory.congress", "theory.party-rules", "theory.seminar"],
    "组织委员": ["theory.congress", "theory.original-works", "theory.party-rules"],
    "宣传委员": ["theory.congress", "theory.lectures", "theory.original-works"],
    "副镇长": ["theory.congress", "theory.training", "theory.law"],
    "人大主席": ["theory.congress", "theory.law", "theory.seminar"],
    "驻村第一书记": ["theory.congress", "theory.training", "theory.research"],
}
DUTIES = {
    "党委书记": ["duties.overall", "duties.team", "duties.economy", "partybuild.responsibility", "partybuild.industry",
             "grid.party"],
    "镇长": ["duties.government", "duties.investment", "duties.projects", "grid.platform"],
    "党委副书记": ["partybuild.standard", "partybuild.meetings", "partybuild.position", "grid.division", "grid.workers",
              "grid.closed-loop", "village.teams"],
    "纪委书记": ["duties.supervision", "duties.cases", "duties.village-power", "duties.style", "partybuild.contact"],
    "组织委员": ["partybuild.members", "partybuild.weak", "partybuild.education", "duties.cadres", "duties.reserve",
             "duties.village-leaders"],
    "宣传委员": ["duties.ideology", "duties.publicity", "duties.civilization", "partybuild.contact"],
    "人大主席": ["duties.npc-session", "duties.npc-deputies", "duties.npc-oversight", "duties.npc-livelihood",
             "partybuild.contact"],
    "驻村第一书记": ["village.branch", "village.monitoring", "village.industry", "village.consumption",
                "village.infrastructure", "village.livelihood", "grid.services"],
}
# 副镇长 differ by 分管工作: their duty sections follow it.
VICE_MAYOR_DUTIES = {
    "潘国栋": ["duties.grain", "duties.rural-living", "duties.collective", "duties.river", "duties.pollution",
            "partybuild.contact"],
    "韩立新": ["duties.safety", "duties.special-rectification", "grid.emergency", "duties.petitions", "duties.stability",
            "grid.mediation", "partybuild.contact"],
    "魏红梅": ["duties.investment", "duties.projects", "village.employment", "village.monitoring", "partybuild.contact"],
}
INTEGRITY = {
    "党委书记": ["integrity.main-duty", "integrity.power", "integrity.eight-rules"],
    "镇长": ["integrity.power", "integrity.dual-duty", "integrity.eight-rules"],
    "党委副书记": ["integrity.dual-duty", "integrity.warning", "integrity.family"],
    "纪委书记": ["integrity.self-first", "integrity.personal-matters", "integrity.family"],
    "组织委员": ["integrity.dual-duty", "integrity.eight-rules", "integrity.personal-matters"],
    "宣传委员": ["integrity.dual-duty", "integrity.warning", "integrity.family"],
    "副镇长": ["integrity.dual-duty", "integrity.eight-rules", "integrity.warning"],
    "人大主席": ["integrity.eight-rules", "integrity.personal-matters", "integrity.family"],
    "驻村第一书记": ["integrity.eight-rules", "integrity.family", "integrity.station"],
}
ROLE_KEY = {"党委书记": "secretary", "镇长": "mayor", "党委副书记": "deputy", "纪委书记": "discipline",
            "组织委员": "organization", "宣传委员": "publicity", "副镇长": "vice-mayor", "人大主席": "npc",
            "驻村第一书记": "first-secretary"}
def role_of(post: str) -> str:
    """The role a 职务 as offices write it names (a test-side reading, independent of the rules)."""
    for marker, role in (("第一书记", "驻村第一书记"), ("纪委书记", "纪委书记"), ("组织委员", "组织委员"),
                         ("宣传委员", "宣传委员"), ("人大主席", "人大主席"), ("副镇长", "副镇长"),
                         ("镇长", "镇长"), ("党委副书记", "党委副书记"), ("党委书记", "党委书记")):
        if marker in post:
            return role
    raise AssertionError(f"no role in {post!r}")


def expected_snippets(name: str, post: str) -> list[str]:
    role = role_of(post)
    key = ROLE_KEY[role]
    duties = VICE_MAYOR_DUTIES[name] if role == "副镇长" else DUTIES[role]
    return ([f"opening.{key}"] + THEORY[role] + duties + INTEGRITY[role] + [f"problems.{key}", f"plans.{key}",
                                                                           f"closing.{key}"])


@pytest.fixture(scope="module")
def people() -> list[dict[str, object]]:
    sheet = load_workbook(EXAMPLES / "people.xlsx").active
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The README's first command, as scripts/sample.sh runs it."""
    out = tmp_path_factory.mktemp("sample") / "out"
    result = CliRunner().invoke(main, [
        "build", str(EXAMPLES / "rules.yaml"), "--checklist", str(EXAMPLES / "checklist.md"),
        "--people", str(EXAMPLES / "people.xlsx"), "--vars", str(EXAMPLES / "vars.yaml"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def manifest(batch: Path) -> dict:
    return json.loads((batch / "manifest.json").read_text(encoding="utf-8"))


def test_the_sample_is_a_whole_township_team(people):
    assert len(people) >= 12
    roles = {role_of(str(row["职务"])) for row in people}
    assert roles == set(ROLE_KEY)  # all nine roles, so at least six
    assert sum(role_of(str(row["职务"])) == "副镇长" for row in people) == 3
    assert sum(role_of(str(row["职务"])) == "驻村第一书记" for row in people) == 3


def test_every_cadre_builds(manifest, people):
    assert manifest["summary"] == {"written": len(people), "skipped": 0, "failed": 0}
    assert [r["name"] for r in manifest["reports"]] == [row["姓名"] for row in people]
    assert all(not r["errors"] and not r["warnings"] for r in manifest["reports"])
    assert manifest["warnings"] == []


def test_each_role_gets_the_sections_written_for_it(manifest, people):
    posts = {row["姓名"]: str(row["职务"]) for row in people}
    for report in manifest["reports"]:
        assert report["snippets"] == expected_snippets(report["name"], posts[report["name"]]), report["name"]


def test_a_report_reads_as_that_role(batch):
    text = docx_text((batch / "2022年度述职述廉报告-孙立平.docx").read_bytes())
    lines = text.splitlines()
    assert "枫溪镇党委委员、纪委书记  孙立平" in lines
    assert "二、坚持履职尽责，推动各项工作落地见效" in lines
    assert "（一）聚焦监督首责，做实日常监督" in lines  # numbered from （一） within the section
    assert "全年受理和处置问题线索19件，立案6件，给予党纪政务处分5人" in text
    assert "粮食" not in text and "第一书记" not in text
    first = docx_text((batch / "2022年度述职述廉报告-林静怡.docx").read_bytes())
    assert "市卫生健康委员会" in first and "柳湾村" in first and "稻虾共养" in first
    assert "纪委" not in first.split("三、")[0]


def test_body_lengths_are_within_the_window(batch, manifest):
    for report in manifest["reports"]:
        measured = report_text((batch / Path(report["file"]).name).read_bytes()).chars
        assert measured == report["chars"]
        assert 1800 <= measured <= 3500, (report["name"], measured)


def test_no_two_reports_are_near_copies(batch, manifest):
    assert manifest["similar_pairs"] == 0 and manifest["similar"] == []
    pairs = compare(read_reports(batch), threshold=0.0)
    assert len(pairs) == 13 * 12 // 2  # every pair scored
    assert max(pair.score for pair in pairs) < 0.5  # far from the 0.8 warning (0.16 when written)


def test_the_three_first_secretaries_get_different_wordings(manifest):
    secretaries = [r for r in manifest["reports"] if r["name"] in ("郑思远", "高晓峰", "林静怡")]
    for snippet_id in ("opening.first-secretary", "village.branch", "village.industry", "problems.first-secretary"):
        bodies = {r["variants"][snippet_id] for r in secretaries}
        assert bodies == {1, 2, 3}, snippet_id


def test_figures_come_from_each_persons_row(batch):
    text = docx_text((batch / "2022年度述职述廉报告-韩立新.docx").read_bytes())
    assert "173条" in text and "169条" in text and "4317栋" in text and "96.8%" in text
    other = docx_text((batch / "2022年度述职述廉报告-潘国栋.docx").read_bytes())
    assert "11893.5吨" in other and "枫溪河上游段、龙潭沟" in other


def test_the_library_lints_clean():
    result = lint(EXAMPLES / "rules.yaml")
    assert [p.format() for p in result.problems] == []
    assert result.summary() == f"检查了 {len(load_library(SNIPPETS).snippets)} 个片段和规则文件 " \
                               f"{EXAMPLES / 'rules.yaml'}，没有发现问题。"


def test_library_depth_themes_and_variants():
    library = load_library(SNIPPETS)
    snippets = list(library.snippets.values())
    assert len(snippets) >= 100
    known = set(CORE_THEMES) | set(DUTY_AREAS)
    for snippet in snippets:
        assert snippet.tags and set(snippet.tags) <= known, snippet.id
    with_variants = [s for s in snippets if s.variants]
    assert len(with_variants) / len(snippets) >= 0.6
    for theme in CORE_THEMES:
        assert sum(theme in s.tags for s in snippets) >= 8, theme
    for area in DUTY_AREAS:
        assert sum(area in s.tags for s in snippets) >= 2, area
    for key in ROLE_KEY.values():  # the fixed parts, per role
        assert {f"{part}.{key}" for part in ("opening", "problems", "plans", "closing")} <= set(library.snippets)


def test_the_sample_uses_every_snippet(manifest):
    used = {snippet_id for report in manifest["reports"] for snippet_id in report["snippets"]}
    assert used == set(load_library(SNIPPETS).snippets)


def test_figures_are_variables_not_literals():
    """A digit in running text would be wrong for the next person: every figure is a {{ variable }}."""
    library = load_library(SNIPPETS)
    for snippet in library.snippets.values():
        for body in (snippet.paragraphs, *snippet.variants):
            for paragraph in body:
                if paragraph.tag is not None:
                    continue
                prose = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", "", paragraph.text)
                assert not re.search(r"[0-9０-９]", prose), (snippet.id, prose)


def _runs(text: str, size: int = 20) -> set[str]:
    text = "".join(text.split())
    return {text[i:i + size] for i in range(len(text) - size + 1)}


def test_no_run_of_20_characters_shared_with_the_reference_report():
    """Written for this project: nothing of 20 characters or more taken from a real report."""
    reference = _runs(REFERENCE.read_text(encoding="utf-8"))
    assert len(reference) > 3000  # the real file (about 3,500 runs), not an empty stand-in
    library = load_library(SNIPPETS)
    checked = 0
    for snippet in library.snippets.values():
        texts = [snippet.heading or ""] + [p.text for body in (snippet.paragraphs, *snippet.variants) for p in body]
        for text in texts:
            shared = _runs(text) & reference
            assert not shared, (snippet.id, sorted(shared)[:3])
            checked += 1
    assert checked > 400


def test_the_check_would_catch_a_copied_sentence():
    reference = REFERENCE.read_text(encoding="utf-8")
    sentence = next(line for line in reference.splitlines() if len(line) > 60)[10:40]
    assert _runs("我们的新写法。" + sentence + "。") & _runs(reference)


def test_people_workbook_is_generated_reproducibly(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["make_examples.py", "--out", str(tmp_path)])
    runpy.run_path(str(ROOT / "scripts" / "make_examples.py"), run_name="__main__")
    assert (tmp_path / "people.xlsx").read_bytes() == (EXAMPLES / "people.xlsx").read_bytes()
    assert (tmp_path / "people.csv").read_bytes() == (EXAMPLES / "people.csv").read_bytes()


def test_people_workbook_columns_are_the_labels_the_library_declares(people):
    project = pipeline.load_project(EXAMPLES / "rules.yaml", EXAMPLES / "checklist.md")
    labels = {spec.label for spec in project.specs.values() if spec.label}
    headers = set(people[0])
    assert headers - {"选稿"} <= labels
    figures = [h for h in headers if h in labels and any(isinstance(row[h], int | float) for row in people)]
    assert len(figures) > 120  # every figure a column, with a Chinese label
