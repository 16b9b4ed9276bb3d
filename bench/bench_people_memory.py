"""Benchmark: peak memory of ``assembler render`` and ``build`` reading a YAML or JSON people file,
1,000 people against 10,000 (goal: at most 1.2×; issue 14).

Run:  .venv/bin/python bench/bench_people_memory.py [--small 1000] [--large 10000] [--formats json,yaml]

Each run is a fresh ``assembler`` process (``-j 1``: no workers, so the process's own peak RSS,
``ru_maxrss`` of the child, is the whole of it) on generated people (the mini fixture's first
person under numbered names and figures). ``render`` fills a one-paragraph docxtpl template;
``build`` the mini library's reports (``--no-similar``: the comparison is measured elsewhere).
Not a test: the figures depend on the machine (bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "fixtures" / "mini"
ASSEMBLER = Path(sys.executable).with_name("assembler")


def people(path: Path, count: int) -> Path:
    first = yaml.safe_load((MINI / "people.yaml").read_text(encoding="utf-8"))[0]
    rows = (dict(first, 姓名=f"人员{n:05d}", 集中学习次数=10 + n % 50, 走访农户数=100 + n) for n in range(count))
    with path.open("w", encoding="utf-8") as handle:
        if path.suffix == ".json":
            handle.write("[\n")
            for n, row in enumerate(rows):
                handle.write(("" if n == 0 else ",\n") + json.dumps(row, ensure_ascii=False, default=str))
            handle.write("\n]\n")
        else:
            for row in rows:  # one flow mapping per item: "- {姓名: 人员00001, …}"
                handle.write("- " + yaml.safe_dump(row, allow_unicode=True, default_flow_style=True,
                                                   width=10_000).strip() + "\n")
    return path


def template(path: Path) -> Path:
    from docx import Document

    document = Document()
    document.add_paragraph("{{ 姓名 }}：{{ 单位 }}{{ 职务 }}，集中学习{{ 集中学习次数 }}次。")
    document.save(path)
    return path


_WRAPPER = ("import resource, subprocess, sys; done = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
            "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); "
            "sys.stderr.write(done.stderr[-2000:])")


def peak(command: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one fresh process (measured by a wrapper that has no other child)."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _WRAPPER, *command], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    code, kilobytes = done.stdout.split()
    if code != "0":
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return seconds, int(kilobytes) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10_000)
    parser.add_argument("--formats", default="json,yaml")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-people-") as tmp:
        work = Path(tmp)
        plain = template(work / "plain.docx")
        print(f"{'command':<8} {'format':<6} {args.small:>8} people {args.large:>8} people   ratio   seconds")
        for suffix in args.formats.split(","):
            for command in ("render", "build"):
                sizes = []
                for count in (args.small, args.large):
                    source = people(work / f"people-{count}.{suffix}", count)
                    out = work / f"out-{command}-{suffix}-{count}"
                    if command == "render":
                        line = [str(ASSEMBLER), "render", str(plain), "--people", str(source), "-o", str(out),
                                "--name", "{{ 姓名 }}", "-j", "1"]
                    else:
                        line = [str(ASSEMBLER), "build", str(MINI / "rules.yaml"), "--people", str(source),
                                "--checklist", str(MINI / "checklist.md"), "-o", str(out), "-j", "1", "--no-similar"]
                    sizes.append(peak(line))
                (s_small, m_small), (s_large, m_large) = sizes
                print(f"{command:<8} {suffix:<6} {m_small:11.1f} MB {m_large:11.1f} MB {m_large / m_small:7.3f}"
                      f"   {s_small:.1f} / {s_large:.1f}")


if __name__ == "__main__":
    main()
