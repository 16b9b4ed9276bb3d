"""Benchmark: what the house style checks (``assembler.style``) cost, measured side by side.

Run:  .venv/bin/python bench/bench_style.py [--snippets 1000] [--reports 300] [--repeat 3] [--jobs 1]

* lint: ``lint()`` on the generated 1,000-snippet library of ``bench_lint.py``, with the
  style checks and without (``lint(style=False)``), best of ``--repeat`` each, alternating.
  Target: the whole lint under 2 s.
* build: ``pipeline.build`` of the sample library (``examples/``) for ``--reports``
  generated people (``bench_render.py``'s generator), with the checks and without
  (``check_style=False``), same inputs, alternating, best of ``--repeat``; prints the
  wall and CPU time per report and the ratios (with ``-j 1`` the CPU time is the build's own
  work, which other programs on the machine do not stretch). Target: the checks add under 10 %
  per report.
* the check alone: ``style.report.check_report`` on one sample report's paragraphs
  (what a build worker runs per report, after reading the text it reads anyway).
Not a test: the figures depend on the machine (see bench/README.md).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def bench_lint(count: int, repeat: int) -> None:
    import bench_lint

    from assembler.library.lint import lint

    with tempfile.TemporaryDirectory(prefix="bench-style-lint-") as tmp:
        rules = bench_lint.generate(Path(tmp), count)
        best = {True: float("inf"), False: float("inf")}
        for round_ in range(repeat):
            for style in ((False, True) if round_ % 2 == 0 else (True, False)):
                start = time.perf_counter()
                result = lint(rules, style=style, year=2024)
                best[style] = min(best[style], time.perf_counter() - start)
        styled = sum(1 for p in result.problems if p.col is not None)
        print(f"lint {count} snippets: without style {best[False]:.3f} s, with style {best[True]:.3f} s "
              f"(x{best[True] / best[False]:.3f}; {styled} style findings)")


def bench_build(count: int, repeat: int, jobs: int) -> None:
    import bench_render

    from assembler import pipeline

    rules, checklist = bench_render.library()
    project = pipeline.load_project(rules, checklist)
    with tempfile.TemporaryDirectory(prefix="bench-style-build-") as tmp:
        work = Path(tmp)
        people = bench_render.write_people(work / "people.csv", project.specs, count)
        best = {True: float("inf"), False: float("inf")}
        cpu = {True: float("inf"), False: float("inf")}
        ratios: dict[str, list[float]] = {"wall": [], "CPU": []}
        findings = 0
        for round_ in range(repeat):
            taken: dict[bool, tuple[float, float]] = {}
            for style in ((False, True) if round_ % 2 == 0 else (True, False)):  # neither always goes first
                out = work / f"out-{round_}-{style}"
                start, start_cpu = time.perf_counter(), _cpu()
                batch = pipeline.build(project, people, out, jobs=jobs, check_similarity=False, check_style=style)
                taken[style] = (time.perf_counter() - start, _cpu() - start_cpu)
                best[style] = min(best[style], taken[style][0])
                cpu[style] = min(cpu[style], taken[style][1])
                assert len(batch.written) == count
                if style:
                    findings = sum(1 for r in batch.reports for w in r.warnings if w.endswith("]"))
                shutil.rmtree(out)
            ratios["wall"].append(taken[True][0] / taken[False][0])
            ratios["CPU"].append(taken[True][1] / taken[False][1])
        for name, figures in (("wall", best), ("CPU", cpu)):
            per = {style: figures[style] / count * 1000 for style in figures}
            paired = statistics.median(ratios[name])
            print(f"build {count} reports -j {jobs} (no similarity), {name} time: without style {figures[False]:.2f} s "
                  f"({per[False]:.2f} ms/report), with style {figures[True]:.2f} s ({per[True]:.2f} ms/report): "
                  f"best x{figures[True] / figures[False]:.3f}; median of the {repeat} paired rounds x{paired:.3f} "
                  f"(+{(paired - 1) * 100:.1f} %)")
        print(f"({findings} style findings in the generated batch: its random years such as 78 are short years)")


def _cpu() -> float:
    """CPU seconds of this process and its finished children: on a shared machine a steadier measure
    of the work done than wall time, which others' load stretches."""
    import resource

    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bench_check(repeat: int) -> None:
    import bench_render

    from assembler import pipeline
    from assembler.library.similarity import report_text
    from assembler.style.report import check_report

    rules, checklist = bench_render.library()
    project = pipeline.load_project(rules, checklist)
    with tempfile.TemporaryDirectory(prefix="bench-style-one-") as tmp:
        people = bench_render.write_people(Path(tmp) / "people.csv", project.specs, 1)
        plans = pipeline.plan_people(project, pipeline.load_people(project, people), {})
        data = pipeline.render_person(project, plans[0])
    start = time.perf_counter()
    rounds = 200 * repeat
    for _ in range(rounds):
        report_text(data)
    read = (time.perf_counter() - start) / rounds
    paragraphs = report_text(data, paragraphs=True).paragraphs
    start = time.perf_counter()
    for _ in range(rounds):
        check_report(paragraphs, project.style)
    check = (time.perf_counter() - start) / rounds
    chars = sum(len(text) for _, _, text in paragraphs)
    print(f"one report ({len(paragraphs)} paragraphs, {chars} characters): reading its text {read * 1000:.3f} ms, "
          f"style check {check * 1000:.3f} ms")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--snippets", type=int, default=1000)
    parser.add_argument("--reports", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    bench_check(args.repeat)
    bench_lint(args.snippets, args.repeat)
    bench_build(args.reports, args.repeat, args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
