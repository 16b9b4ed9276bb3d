"""build/run.py (through the pipeline facade): two passes over the people file, results kept on disk in people order.

The end-to-end behaviour of ``assembler build`` is in test_cli; here the parts the streaming design
could get wrong: order, skipped reports joining the near-copy check, variants dealt over the whole
file whoever is built, nothing written for a file that turns bad far down.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from assembler import pipeline
from assembler.errors import InputError
from assembler.library.similarity import compare, read_reports
from assembler.spool import SpooledList

EXAMPLES = Path(__file__).parent / "fixtures" / "sample-v1" / "examples"
MINI = Path(__file__).parent / "fixtures" / "mini"


@pytest.fixture(scope="module")
def sample():
    return pipeline.load_project(EXAMPLES / "rules.yaml", EXAMPLES / "checklist.md")


@pytest.fixture(scope="module")
def mini():
    return pipeline.load_project(MINI / "rules.yaml", MINI / "checklist.md")


def mini_people(path: Path, count: int, changes: dict[int, dict] | None = None) -> Path:
    """``count`` people built from the fixture's first one, each with their own name and figures."""
    first = yaml.safe_load((MINI / "people.yaml").read_text(encoding="utf-8"))[0]
    rows = []
    for n in range(count):
        row = dict(first, 姓名=f"人员{n:03d}", 集中学习次数=10 + n, 走访农户数=100 + 7 * n)
        row.update((changes or {}).get(n, {}))
        rows.append(row)
    path.write_text(json.dumps(rows, ensure_ascii=False, default=str), encoding="utf-8")
    return path


def test_results_come_in_people_order_from_disk(mini, tmp_path):
    people = mini_people(tmp_path / "people.json", 30,
                         changes={5: {"姓名": "人员003"}, 11: {"年度": "明年"}, 20: {"年度": None}})
    batch = pipeline.build(mini, people, tmp_path / "out", jobs=2, check_similarity=False)
    assert isinstance(batch.reports, SpooledList)  # on disk: memory does not grow with the batch
    assert [r.row for r in batch.reports] == list(range(1, 31))
    statuses = [r.status for r in batch.reports]
    assert statuses.count("failed") == 2 and statuses[11] == statuses[20] == "failed"
    assert batch.counts() == {"written": 28, "skipped": 0, "failed": 2}
    assert batch.reports[5].file.name == "2022年度述职述廉报告-人员003-2.docx"
    assert batch.reports[3].file.name == "2022年度述职述廉报告-人员003.docx"
    manifest = json.loads(batch.manifest.read_text(encoding="utf-8"))
    assert [(r["row"], r["status"]) for r in manifest["reports"]] == [(r.row, r.status) for r in batch.reports]
    assert manifest["summary"] == batch.counts()
    written = sorted(p.name for p in (tmp_path / "out").glob("*.docx"))
    assert written == sorted(r.file.name for r in batch.reports if r.status == "written")


def test_a_bad_row_far_down_leaves_nothing_written(mini, tmp_path):
    people = tmp_path / "people.csv"
    first = yaml.safe_load((MINI / "people.yaml").read_text(encoding="utf-8"))[0]
    header = ",".join(first)
    line = ",".join(str(value) for value in first.values())
    people.write_text("\n".join([header] + [line.replace("甲一", f"人员{n}") for n in range(500)]
                                + [line + ",多出的值"]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    with pytest.raises(InputError) as caught:
        pipeline.build(mini, people, out)
    assert caught.value.row == 502
    assert not out.exists()
    with pytest.raises(InputError):
        pipeline.render_plain(_plain_template(tmp_path), people, out)
    assert not out.exists()


def _plain_template(tmp_path: Path) -> Path:
    from docx import Document

    document = Document()
    document.add_paragraph("{{ 姓名 }}：{{ 单位 }}")
    path = tmp_path / "plain.docx"
    document.save(path)
    return path


def test_render_plain_streams_people_in_order_and_never_overwrites_a_file_it_did_not_write(mini, tmp_path):
    from docx import Document

    template = _plain_template(tmp_path)
    people = mini_people(tmp_path / "people.json", 25)
    out = tmp_path / "plain"
    out.mkdir()
    (out / "人员004.docx").write_bytes(b"kept")
    batch = pipeline.render_plain(template, people, out, name_pattern="{{ 姓名 }}", jobs=2)
    assert [r.name for r in batch.reports] == [f"人员{n:03d}" for n in range(25)]
    assert batch.changes() == {"created": 24, "updated": 0, "unchanged": 0, "protected": 1, "kept": 0}
    assert (out / "人员004.docx").read_bytes() == b"kept" and batch.reports[4].file.name == "人员004（新版）.docx"
    for report in batch.reports:
        assert report.status == "written"
        assert Document(str(report.file)).paragraphs[0].text == f"{report.name}：青山镇"


def test_render_plain_reruns_are_incremental_like_a_build(mini, tmp_path):
    """A docxtpl template's reports: an unchanged rerun touches none, a changed value updates that
    person's, a changed template all; a hand-edited one survives a rerun and --force (its new version
    beside it), and only --overwrite-edited replaces it."""
    from docx import Document

    template = _plain_template(tmp_path)
    people = mini_people(tmp_path / "people.json", 6)
    out = tmp_path / "plain"

    def render(**options):
        return pipeline.render_plain(template, people, out, name_pattern="{{ 姓名 }}", jobs=1, **options)

    assert render().changes()["created"] == 6
    before = {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in out.glob("*.docx")}
    again = render()
    assert again.changes()["unchanged"] == 6 and again.counts()["written"] == 0
    assert {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in out.glob("*.docx")} == before
    rows = json.loads(people.read_text(encoding="utf-8"))
    rows[2]["单位"] = "绿水镇"
    people.write_text(json.dumps(rows, ensure_ascii=False, default=str), encoding="utf-8")
    one = render()
    assert [r.name for r in one.reports if r.change == "updated"] == ["人员002"]
    assert Document(str(out / "人员002.docx")).paragraphs[0].text == "人员002：绿水镇"
    (out / "人员003.docx").write_bytes(b"edited by hand")
    for options in ({}, {"force": True}):
        batch = render(**options)
        assert (out / "人员003.docx").read_bytes() == b"edited by hand"
        assert batch.reports[3].change == "protected" and batch.reports[3].file.name == "人员003（新版）.docx"
        assert any("--overwrite-edited" in str(w) for w in batch.reports[3].warnings)
    assert render(force=True).counts()["written"] == 6  # --force: every report again, the edited one beside
    assert render(overwrite_edited=True).reports[3].file.name == "人员003.docx"
    assert Document(str(out / "人员003.docx")).paragraphs[0].text == "人员003：青山镇"
    changed = Document(str(template))
    changed.paragraphs[0].text = "{{ 姓名 }}（{{ 单位 }}）"
    changed.save(str(template))
    assert render().changes()["updated"] == 6
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["changes"]["updated"] == 6 and all(len(entry["fingerprint"]) == 64 for entry in manifest["reports"])


def same_report_people(path: Path, count: int) -> Path:
    """The sample's first cadre under ``count`` names: with one body per snippet, near copies all."""
    from openpyxl import load_workbook

    sheet = load_workbook(EXAMPLES / "people.xlsx").active
    rows = list(sheet.iter_rows(values_only=True))
    person = {h: v for h, v in zip(rows[0], rows[1], strict=True) if v is not None and h != "选稿"}
    topics = ["茶产业提质增效", "防返贫监测帮扶", "村集体经济壮大", "人居环境整治", "基层治理创新"]
    people = []
    for n in range(count):  # a few words of their own: the pairs score a little apart
        people.append(dict(person, 姓名=f"同事{n:02d}", 调研课题=f"{topics[n % 5]}{'和' + topics[n % 3] if n > 4 else ''}",
                           下一年度工作重点="、".join(topics[: 1 + n % 5])))
    path.write_text(json.dumps(people, ensure_ascii=False, default=str), encoding="utf-8")
    return path


def test_skipped_reports_join_the_near_copy_check(sample, tmp_path):
    """A second build without --force leaves the first's reports alone, yet compares the whole batch."""
    common = pipeline.common_values(vars_file=EXAMPLES / "vars.yaml")
    out = tmp_path / "out"
    pipeline.build(sample, same_report_people(tmp_path / "first.json", 4), out, common=common, variant=1)
    batch = pipeline.build(sample, same_report_people(tmp_path / "all.json", 9), out, common=common, variant=1)
    assert [r.status for r in batch.reports] == ["skipped"] * 4 + ["written"] * 5
    expected = compare(read_reports(out), threshold=batch.similarity_threshold)
    assert len(expected) == 36  # every pair of nine
    assert len({round(p.score, 6) for p in expected}) > 5
    assert batch.similar_total == 36 and not batch.similar_approximate
    assert [(p.a, p.b, round(p.score, 6)) for p in batch.similar] == \
           [(Path(p.a).name, Path(p.b).name, round(p.score, 6)) for p in expected]
    manifest = json.loads(batch.manifest.read_text(encoding="utf-8"))
    assert manifest["similar_pairs"] == 36 and "similar_pairs_at_least" not in manifest
    assert all(r["chars"] and r["chars"] > 500 for r in manifest["reports"])  # skipped ones measured too
    again = pipeline.build(sample, tmp_path / "all.json", out, common=common, variant=1)  # nothing to render
    assert again.counts() == {"written": 0, "skipped": 9, "failed": 0} and again.similar_total == 36


def test_variants_are_dealt_over_the_whole_file_whoever_is_built(sample, tmp_path):
    common = pipeline.common_values(vars_file=EXAMPLES / "vars.yaml")
    people = same_report_people(tmp_path / "people.json", 12)
    whole = pipeline.build(sample, people, tmp_path / "all", common=common, check_similarity=False)
    dealt = {r.row: dict(r.variants) for r in whole.reports}
    assert len({json.dumps(v, sort_keys=True) for v in dealt.values()}) > 1
    for row in (3, 8):
        one = pipeline.build(sample, people, tmp_path / f"one{row}", common=common, check_similarity=False,
                             only=lambda plan, row=row: plan.row == row)
        [report] = list(one.reports)
        assert report.row == row and dict(report.variants) == dealt[row]


def test_a_bad_int_is_one_error_not_two(mini, tmp_path):
    """Issue 13, item 8: "十四" in an int column also gave "缺少…的值"."""
    path = mini_people(tmp_path / "p.json", 1, {0: {"集中学习次数": "十四"}})
    [plan] = pipeline.plan_people(mini, pipeline.load_people(mini, path), {})
    assert len(plan.errors) == 1 and "十四" in plan.errors[0] and "阿拉伯数字" in plan.errors[0]


def test_missing_value_message_spacing(mini, tmp_path):
    path = mini_people(tmp_path / "p.json", 1, {0: {"集中学习次数": None}})
    [plan] = pipeline.plan_people(mini, pipeline.load_people(mini, path), {})
    assert "片段 theory.study 需要它" in plan.errors[0]


def test_a_name_on_two_rows_asks_which(mini, tmp_path):
    path = mini_people(tmp_path / "p.json", 3, {0: {"姓名": "王建国"}, 2: {"姓名": "王建国"}})
    people = pipeline.load_people(mini, path)
    with pytest.raises(InputError) as info:
        pipeline.find_person(mini, people, {}, "王建国")
    assert "第1行" in info.value.message and "第3行" in info.value.message and "--person" in info.value.message
    assert pipeline.find_person(mini, people, {}, "3").row == 3


def test_a_rerun_that_renders_one_report_compares_it_with_all(sample, tmp_path):
    """Only the pairs with the report rendered again are searched; the others come from the last
    manifest, and together they are exactly what a full comparison of the folder finds."""
    common = pipeline.common_values(vars_file=EXAMPLES / "vars.yaml")
    out = tmp_path / "out"
    people = same_report_people(tmp_path / "all.json", 9)
    pipeline.build(sample, people, out, common=common, variant=1)
    rows = json.loads(people.read_text(encoding="utf-8"))
    rows[3]["调研课题"] = "完全不同的课题：山区道路养护与应急通行保障机制建设"
    people.write_text(json.dumps(rows, ensure_ascii=False, default=str), encoding="utf-8")
    again = pipeline.build(sample, people, out, common=common, variant=1)
    assert [r.status for r in again.reports].count("written") == 1 and again.reports[3].status == "written"
    expected = compare(read_reports(out), threshold=again.similarity_threshold)
    assert again.similar_total == len(expected) and not again.similar_approximate
    assert [(p.a, p.b, round(p.score, 6)) for p in again.similar] == \
           [(Path(p.a).name, Path(p.b).name, round(p.score, 6)) for p in expected]
    changed = again.reports[3].file.name
    assert any(changed in (p.a, p.b) for p in again.similar)  # still a near copy of its colleagues


def test_a_rerun_after_a_capped_comparison_searches_with_the_share_of_the_caps(sample, tmp_path, monkeypatch):
    """When the last build's search stopped at its caps, a rerun that rendered one report of nine
    searches that report's pairs with the share of the caps the full search spent on them; when it
    did not stop (the test above), with the whole caps, and finds exactly what a full search finds."""
    from assembler.library import nearcopies

    monkeypatch.setattr(nearcopies, "READ_BUDGET", 4)  # nine near copies: more reports than it may read
    budgets: list[float] = []
    real_find = nearcopies.NearCopies.find

    def find(self, text_of, **options):
        budgets.append(options.get("budget", 1.0))
        return real_find(self, text_of, **options)

    monkeypatch.setattr(nearcopies.NearCopies, "find", find)
    common = pipeline.common_values(vars_file=EXAMPLES / "vars.yaml")
    out = tmp_path / "out"
    people = same_report_people(tmp_path / "all.json", 9)
    first = pipeline.build(sample, people, out, common=common, variant=1)
    assert first.similar_approximate and budgets == [1.0]
    rows = json.loads(people.read_text(encoding="utf-8"))
    rows[3]["调研课题"] = "完全不同的课题：山区道路养护与应急通行保障机制建设"
    people.write_text(json.dumps(rows, ensure_ascii=False, default=str), encoding="utf-8")
    again = pipeline.build(sample, people, out, common=common, variant=1)
    assert [r.status for r in again.reports].count("written") == 1
    assert budgets[1:] == [pytest.approx(1 - (8 / 9) ** 2)]
    assert again.similar_approximate and again.similar
    assert all(p.score >= again.similarity_threshold for p in again.similar)
