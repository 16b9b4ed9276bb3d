"""Benchmark: ``assembler lint`` on a generated library of 1,000 snippets.

Run:  python3 bench/bench_lint.py [--snippets 1000] [--repeat 3]
Prints the best wall time of ``lint()`` (the whole check: every file parsed, every
cross-check made). Target: under 2 s for 1,000 snippets.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

SECTIONS = 10


def generate(root: Path, count: int) -> Path:
    per_section = max(1, count // SECTIONS)
    lines = [
        'title: "{{ year }}年度述职述廉报告"',
        'subtitle: "{{ unit }}{{ post }}  {{ name }}"',
        'output_name: "{{ year }}年度述职述廉报告-{{ name }}"',
        'signature: ["{{ name }}", "{{ report_date }}"]',
        "variables:",
        "  year: {type: int, label: 年度, example: 2022}",
        "  name: {label: 姓名}",
        "  unit: {label: 单位}",
        "  post: {label: 职务}",
        "  report_date: {type: date, label: 报告日期}",
        "sections:",
    ]
    made = 0
    for s in range(SECTIONS):
        folder = root / "snippets" / f"s{s}"
        folder.mkdir(parents=True)
        lines += [f"  - id: s{s}", f"    heading: 第{s}部分工作", "    snippets:"]
        for n in range(per_section):
            if made >= count:
                break
            sid = f"s{s}.n{n}"
            when = f', when: "v_{s}_{n}_a > 0"' if n % 5 == 0 else ""
            lines.append(f"      - {{id: {sid}{when}}}" if when else f"      - {sid}")
            variants = ""
            if n % 7 == 0:
                variants = (f"variants:\n  - 另一种写法，全年完成{{{{ v_{s}_{n}_a }}}}项、"
                            f"涉及{{{{ v_{s}_{n}_b }}}}户。\n")
            (folder / f"n{n}.md").write_text(
                f"---\nid: {sid}\nsection: s{s}\nheading: 第{n}项工作的小标题\ntags: [测试]\n"
                f"variables:\n  v_{s}_{n}_a: {{type: int, label: 第{s}部分第{n}项次数, example: 3}}\n"
                f"  v_{s}_{n}_b: {{type: int, label: 第{s}部分第{n}项户数}}\n{variants}---\n"
                f"全年围绕中心工作，完成重点任务{{{{ v_{s}_{n}_a }}}}项，走访群众{{{{ v_{s}_{n}_b }}}}户，\n"
                f"推动各项工作落地见效。\n\n"
                f"{{% if v_{s}_{n}_a > 10 %}}\n\n工作成效居全镇前列。\n\n{{% endif %}}\n\n"
                f"坚持问题导向，{{{{ unit }}}}各项工作稳步推进，群众满意度持续提升。\n",
                encoding="utf-8")
            made += 1
    (root / "rules.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root / "rules.yaml"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--snippets", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from assembler.library.lint import lint

    with tempfile.TemporaryDirectory(prefix="bench-lint-") as tmp:
        rules = generate(Path(tmp), args.snippets)
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            result = lint(rules)
            times.append(time.perf_counter() - start)
        print(f"lint: {result.snippets} 个片段，{len(result.errors)} 个错误，{len(result.warnings)} 个警告")
        print(f"lint {args.snippets} snippets: best {min(times):.3f} s, mean {sum(times) / len(times):.3f} s "
              f"({args.repeat} runs)")
        if result.errors:
            for problem in result.errors[:5]:
                print(problem.format())
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
