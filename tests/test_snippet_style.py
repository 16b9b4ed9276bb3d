"""House style in snippet files: every seeded case found at its exact line and column, no false alarms,
and ``lint --fix`` followed by ``lint`` leaves only what cannot be fixed without asking."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from assembler.cli import main
from assembler.library.lint import fix_style, lint
from assembler.library.snippet_style import style_findings
from assembler.style import RULES, StyleSettings

SEEDED = Path(__file__).parent / "fixtures" / "style"
SAMPLE_RULES = Path(__file__).resolve().parents[1] / "examples" / "rules.yaml"
SKELETON_RULES = Path(__file__).resolve().parents[1] / "src" / "assembler" / "skeleton" / "rules.yaml"

#: (file under snippets/, line, the text at the spot, which occurrence of it on the line, rule, fixable)
EXPECTED = [
    ("theory/punct.md", 4, ",", 0, "punct.halfwidth", True),           # in the heading (front matter)
    ("theory/punct.md", 8, ";", 0, "punct.halfwidth", True),           # in a variant
    ("theory/punct.md", 10, ";", 0, "punct.halfwidth", True),
    ("theory/punct.md", 10, ":", 0, "punct.halfwidth", True),
    ("theory/punct.md", 10, "!", 0, "punct.halfwidth", True),
    ("theory/punct.md", 11, "“", 0, "punct.unbalanced", False),       # the paragraph runs over three lines
    ("theory/punct.md", 12, "(", 0, "punct.halfwidth", True),
    ("theory/punct.md", 14, "...", 0, "punct.ellipsis", True),
    ("theory/punct.md", 14, "。。。", 0, "punct.ellipsis", True),
    ("theory/punct.md", 14, "…", 0, "punct.ellipsis", True),
    ("theory/punct.md", 16, "--", 0, "punct.dash", True),
    ("theory/punct.md", 16, "－－", 0, "punct.dash", True),
    ("theory/punct.md", 16, "—", 0, "punct.dash", True),
    ("theory/punct.md", 16, "—实践", 0, "punct.dash", False),         # 学习—实践: may be a 连接号
    ("theory/punct.md", 18, "，，", 0, "punct.doubled", True),
    ("theory/punct.md", 18, "。。", 0, "punct.doubled", True),
    ("theory/punct.md", 18, "、、", 0, "punct.doubled", True),
    ("theory/punct.md", 20, " ", 0, "punct.space", True),
    ("theory/punct.md", 20, " ", 1, "punct.space", True),
    ("theory/punct.md", 20, " ", 2, "punct.space", True),
    ("theory/punct.md", 20, "《", 0, "punct.unbalanced", False),
    ("theory/punct.md", 22, "“", 1, "punct.unbalanced", False),       # outside the tags, inside an if
    ("duties/numbers.md", 4, "二0二二", 0, "num.zero", False),
    ("duties/numbers.md", 6, "二0二二", 0, "num.zero", False),
    ("duties/numbers.md", 10, "一九九O", 0, "num.zero", False),
    ("duties/numbers.md", 8, "22", 0, "num.short-year", False),
    ("duties/numbers.md", 8, "22", 1, "num.short-year", False),
    ("duties/numbers.md", 8, "05", 0, "num.short-year", False),
    ("duties/numbers.md", 6, "百分之五", 0, "num.mixed", False),
    ("duties/numbers.md", 10, "十二月五日", 0, "num.mixed", False),
    ("duties/numbers.md", 10, "二〇二一年", 0, "num.mixed", False),
    ("duties/numbers.md", 12, "2022.12.31", 0, "date.format", True),
    ("duties/numbers.md", 12, "2022-12-05", 0, "date.format", True),
    ("duties/numbers.md", 12, "2022/12/5", 0, "date.format", True),
    ("duties/items.md", 8, "1、", 0, "heading.item", False),
    ("duties/items.md", 10, "(1)", 0, "heading.item", True),
    ("duties/items.md", 12, "(一)", 0, "heading.item", True),
    ("duties/items.md", 14, "一.", 0, "heading.item", False),
    ("duties/items.md", 22, "2、", 0, "heading.item", False),
    ("duties/items.md", 12, "(一)", 0, "heading.order", False),
    ("duties/items.md", 14, "一.", 0, "heading.order", False),
    ("duties/items.md", 20, "（一）", 0, "heading.order", False),
    ("duties/intro.md", 9, "（一）", 0, "heading.order", False),
    ("duties/intro.md", 11, "（二）", 0, "heading.order", False),
    ("closing/wording.md", 5, "旧提法", 0, "wording", False),
    ("closing/wording.md", 5, "旧提法", 1, "wording", False),
    ("closing/wording.md", 5, "第5届", 0, "wording", False),
    ("closing/wording.md", 5, "第12届", 0, "wording", False),
]


def _column(path: Path, line: int, needle: str, occurrence: int) -> int:
    text = path.read_text(encoding="utf-8").split("\n")[line - 1]
    at = -1
    for _ in range(occurrence + 1):
        at = text.index(needle, at + 1)
    return at + 1


def _style_problems(result) -> set[tuple[str, int, int, str]]:
    found = set()
    for problem in result.problems:
        if problem.col is None:
            continue
        rule = problem.message.rsplit("[", 1)[1].rstrip("]")
        found.add((Path(problem.file).relative_to(result.library).as_posix(), problem.line, problem.col, rule))
    return found


def _expected(root: Path, only_unfixable: bool = False) -> set[tuple[str, int, int, str]]:
    return {(name, line, _column(root / "snippets" / name, line, needle, n), rule)
            for name, line, needle, n, rule, fixable in EXPECTED if not (only_unfixable and fixable)}


def test_seeded_library_has_three_cases_of_every_rule():
    per_rule = {rule: sum(1 for item in EXPECTED if item[4] == rule) for rule in RULES}
    assert all(count >= 3 for count in per_rule.values()), per_rule


def test_every_seeded_case_found_at_its_line_and_column_and_nothing_else(tmp_path):
    root = tmp_path / "lib"
    shutil.copytree(SEEDED, root)
    result = lint(root / "rules.yaml", year=2024)
    assert _style_problems(result) == _expected(root)
    assert not result.errors, [p.format() for p in result.errors]
    assert result.exit_code == 0  # style findings are warnings by default


def test_fixable_flag_and_suggestion_in_message(tmp_path):
    root = tmp_path / "lib"
    shutil.copytree(SEEDED, root)
    result = lint(root / "rules.yaml", year=2024)
    by_spot = {(Path(p.file).name, p.line, p.col, p.message.rsplit("[", 1)[1].rstrip("]")): p for p in result.problems
               if p.col is not None}
    for name, line, needle, n, rule, fixable in EXPECTED:
        problem = by_spot[(Path(name).name, line, _column(root / "snippets" / name, line, needle, n), rule)]
        assert ("--fix" in problem.message) == fixable, problem.format()
    date = by_spot[("numbers.md", 12, 23, "date.format")]
    assert "“2022-12-05” → “2022年12月5日”" in date.message and "GB/T 9704-2012" in date.message
    assert "GB/T 15834-2011" in by_spot[("punct.md", 18, 7, "punct.doubled")].message
    assert "GB/T 15835-2011" in by_spot[("numbers.md", 8, 1, "num.short-year")].message


def test_wording_year_range_follows_the_year(tmp_path):
    root = tmp_path / "lib"
    shutil.copytree(SEEDED, root)

    def matched(year: int) -> list[str]:
        found = [p.message for p in lint(root / "rules.yaml", year=year).problems if "[wording]" in p.message]
        return [re.search(r"”：“([^”]+)”：", message).group(1) for message in found]

    assert matched(2024) == ["旧提法", "旧提法", "第5届", "第12届"]
    assert matched(2019) == ["旧提法", "旧提法", "老说法"]  # from_year 2023 not yet, to_year 2020 still


def test_fix_then_lint_leaves_only_the_unfixable(tmp_path):
    root = tmp_path / "lib"
    shutil.copytree(SEEDED, root)
    changes = fix_style(root / "rules.yaml", year=2024)
    assert changes
    result = lint(root / "rules.yaml", year=2024)
    remaining = _style_problems(result)
    fixed_root = root
    # every unfixable case is still there (lines unchanged: no fix joins lines here), and nothing else
    expected = set()
    for name, line, needle, n, rule, fixable in EXPECTED:
        if fixable:
            continue
        path = fixed_root / "snippets" / name
        needle = {"(一)": "（一）"}.get(needle, needle)  # its form fixed, its place still wrong
        expected.add((name, line, _column(path, line, needle, n), rule))
    assert remaining == expected
    punct = (root / "snippets" / "theory" / "punct.md").read_text(encoding="utf-8")
    assert "heading: 坚持学用结合，提高政治站位" in punct
    assert "全年参加集中学习12次；撰写心得体会3篇：内容涵盖党的创新理论！" in punct
    assert "采用（办公自动化）系统" in punct
    assert "党规……以及新修订的条例……还有其他……" in punct
    assert "工作——服务两手抓，目标——任务要明确，坚持——“两个维护”，学习—实践相结合。" in punct
    assert "全年走访群众，收集意见建议。整改到位、落实有力。" in punct
    assert "我们的工作，要落到实处。书目《党章【学习】（一）。" in punct
    assert "{{ '不忘初心, 牢记使命' }}" in punct  # inside Jinja: untouched
    numbers = (root / "snippets" / "duties" / "numbers.md").read_text(encoding="utf-8")
    assert "截至2022年12月31日，共召开会议15次；2022年12月5日组织检查；2022年12月5日通报结果，2022.13.1不是日期" in numbers
    assert "上午9:30召开会议，1-3月完成" in numbers and "Microsoft Office, LibreOffice 7.4 (Debian)." in numbers
    items = (root / "snippets" / "duties" / "items.md").read_text(encoding="utf-8")
    assert "\n（1）每周集中学习一次。" in items and "\n（一）完善考核办法。" in items and "\n1、建立学习制度。" in items
    assert "旧提法" in (root / "snippets" / "closing" / "wording.md").read_text(encoding="utf-8")
    assert fix_style(root / "rules.yaml", year=2024) == []  # nothing left to fix


def test_fix_cli_prints_each_change_and_keeps_mode_bom_and_line_ends(tmp_path):
    root = tmp_path / "lib"
    shutil.copytree(SEEDED, root)
    target = root / "snippets" / "closing" / "wording.md"
    target.write_bytes(b"\xef\xbb\xbf" + "---\r\nid: closing.wording\r\n---\r\n工作,推进。\r\n".encode())
    target.chmod(0o640)
    result = CliRunner().invoke(main, ["lint", str(root / "rules.yaml"), "--fix", "--year", "2024"])
    assert result.exit_code == 0, result.output
    assert f"{target}:4: 工作,推进。 → 工作，推进。" in result.output
    assert target.read_bytes() == b"\xef\xbb\xbf" + "---\r\nid: closing.wording\r\n---\r\n工作，推进。\r\n".encode()
    assert target.stat().st_mode & 0o777 == 0o640
    assert "已修正" in result.output


def test_cli_prints_file_line_col_and_strict_makes_errors(tmp_path):
    root = tmp_path / "lib"
    shutil.copytree(SEEDED, root)
    result = CliRunner().invoke(main, ["lint", str(root / "rules.yaml"), "--year", "2024"])
    assert result.exit_code == 0
    spot = root / "snippets" / "duties" / "numbers.md"
    assert f"警告：{spot}:12:3: “截至2022.12.31，" in result.output
    rules = root / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8") + "style: strict\n", encoding="utf-8")
    strict = CliRunner().invoke(main, ["lint", str(rules), "--year", "2024"])
    assert strict.exit_code == 1
    assert f"错误：{spot}:12:3: " in strict.output
    rules.write_text(rules.read_text(encoding="utf-8").replace("style: strict", "style: off"), encoding="utf-8")
    off = CliRunner().invoke(main, ["lint", str(rules), "--year", "2024"])
    assert off.exit_code == 0 and "[punct." not in off.output


def test_bad_wording_file_is_an_error_at_its_line(tmp_path):
    root = tmp_path / "lib"
    shutil.copytree(SEEDED, root)
    wording = root / "wording.yaml"
    wording.write_text("- find: 好\n  say: 测试\n- find: 第(\\d+届\n  say: 括号不成对\n- find: 甲\n  sayy: 拼错\n",
                       encoding="utf-8")
    result = CliRunner().invoke(main, ["lint", str(root / "rules.yaml")])
    assert result.exit_code == 1
    assert f"错误：{wording}:3: find 不是有效的正则表达式" in result.output
    assert f"错误：{wording}:6: 未知的键“sayy”" in result.output
    assert f"错误：{wording}:5: 缺少 say" in result.output


@pytest.mark.parametrize("rules", [SAMPLE_RULES, SKELETON_RULES], ids=["sample", "skeleton"])
def test_bundled_libraries_have_no_style_findings(rules):
    result = lint(rules, year=2024)
    style = [p.format() for p in result.problems if p.col is not None]
    assert style == []


def test_positions_when_yaml_text_is_not_verbatim(tmp_path):
    text = "---\nid: a.b\nheading: \"工作\\u002c推进\"\n---\n正文。\n"
    found = style_findings(text, body_line=5, heading="工作,推进", heading_line=3, settings=StyleSettings())
    assert [(f.line, f.col, f.finding.rule, f.span) for f in found] == [(3, 1, "punct.halfwidth", None)]


def test_rules_file_headings_title_and_signature_are_checked_in_place(tmp_path):
    root = tmp_path / "lib"
    shutil.copytree(SEEDED, root)
    rules = root / "rules.yaml"
    text = rules.read_text(encoding="utf-8").replace("heading: 加强理论学习", "heading: 加强理论学习,提高站位")
    text = text.replace('signature: ["{{ name }}", "{{ report_date }}"]', 'signature: ["{{ name }}", "2022.12.5"]')
    rules.write_text(text, encoding="utf-8")
    found = {(p.line, p.col, p.message.rsplit("[", 1)[1].rstrip("]")) for p in lint(rules, year=2024).problems
             if p.file == str(rules) and p.col is not None}
    lines = text.split("\n")
    heading = next(i for i, line in enumerate(lines, 1) if "加强理论学习," in line)
    signature = next(i for i, line in enumerate(lines, 1) if line.startswith("signature:"))
    assert found == {(heading, lines[heading - 1].index(",") + 1, "punct.halfwidth"),
                     (signature, lines[signature - 1].index("2022.12.5") + 1, "date.format")}
    before = rules.read_text(encoding="utf-8")
    fix_style(rules, year=2024)
    assert rules.read_text(encoding="utf-8") == before  # the rules file is only reported, never rewritten
