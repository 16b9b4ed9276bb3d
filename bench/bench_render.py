"""Benchmark: rendering a batch of reports — naive docxtpl loop vs assembler.

Run:  .venv/bin/python bench/bench_render.py [--people 1000] [--jobs N] [--memory] [--profile]

On one assembled template (the first sample library ``tests/fixtures/sample-v1/``
and its checklist) and one generated people file (``--people`` rows of varied
values, the same for every phase), times, each phase in a fresh interpreter so
that its peak memory is its own:

* ``naive docxtpl``: per person a new ``DocxTemplate`` read from the file,
  ``render(context, make_env(), autoescape=True)``, ``save`` — a plain docxtpl loop;
* ``render -j 1`` / ``render -j N``: the prepared template through
  ``batch.render_jobs`` (render and write each report; what ``assembler render``
  does per person) on the same contexts, with one process and with N workers;
* ``build -j 1`` / ``build -j N``: the whole ``assembler build`` (``pipeline.build``:
  people read and planned, reports rendered, stamped with provenance, measured,
  compared for near copies, manifest written).

It prints reports per second, the ratios to the naive loop and peak memory: the
peak of the summed RSS of the phase's process and all its workers (sampled every
20 ms), and the largest single process. ``--memory`` renders a *generated stream*
of 1,000 and then 10,000 people through ``render_jobs`` with every core and prints
the ratio of the peaks (goal: at most 1.2); with ``--memory-build`` it also gives
the peaks of the whole build for 1,000 vs 10,000 people, without and with the
near-copy check (summed RSS, and summed PSS, which counts pages shared by the
workers once). ``--profile`` times one person's path step by step.
Not a test: the figures depend on the machine (see bench/README.md).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The first sample library (seven cadres, 29 snippets): the figures in bench/README*.md were measured on it.
SAMPLE = ROOT / "tests" / "fixtures" / "sample-v1" / "examples" / "rules.yaml"
MINI = ROOT / "tests" / "fixtures" / "mini" / "rules.yaml"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
UNITS = ["青山镇", "绿水乡", "城关街道", "东湖开发区", "县纪委监委", "县财政局"]
POSTS = ["党委书记", "镇长", "副镇长", "纪委书记", "组织委员", "宣传委员", "武装部长", "挂职副镇长"]
#: Duties named in the ``when`` conditions of both libraries, so people get different snippets.
WORDS = ["基层党建", "干部队伍", "驻村帮扶", "乡村振兴", "农业农村", "重点项目", "宣传思想", "精神文明",
         "安全生产", "信访维稳", "生态环保", "社会事业", "疫情防控", "党建", "廉政", "宣传"]
TRICKY = ["A&B", "<重点>", "“双报到”", "O'Brien", "甲\n乙"]


# ---------------------------------------------------------------- data


def library() -> tuple[Path, Path | None]:
    rules = SAMPLE if SAMPLE.exists() else MINI
    checklist = rules.with_name("checklist.md")
    return rules, checklist if checklist.exists() else None


def raw_value(spec: Any, rng: random.Random, index: int) -> Any:
    """A plausible, varied cell for a variable of this type (as typed in a spreadsheet)."""
    name = spec.name
    if name in ("name", "姓名"):
        return rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "") + str(index)
    if spec.type == "int":
        return 0 if rng.random() < 0.15 else rng.randint(1, 400)
    if spec.type == "number":
        return round(rng.uniform(0, 500), rng.choice([0, 1, 2]))
    if spec.type == "date":
        day = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randint(0, 700))
        return day.isoformat()
    if spec.type == "list":
        return "、".join(rng.sample(WORDS, rng.randint(1, 4)))
    if spec.type == "bool":
        return rng.choice(["是", "否"])
    if name in ("unit", "单位"):
        return rng.choice(UNITS)
    if name in ("post", "职务"):
        return rng.choice(POSTS)
    text = rng.choice(WORDS) + rng.choice(["工作", "任务", "项目"])
    return text + rng.choice(TRICKY) if rng.random() < 0.1 else text


def people_rows(specs: dict[str, Any], count: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for index in range(count):
        yield {(spec.label or name): raw_value(spec, rng, index) for name, spec in specs.items()}


def write_people(path: Path, specs: dict[str, Any], count: int) -> Path:
    """A people file as staff would fill it (one row per person, columns by label)."""
    import csv

    rows = people_rows(specs, count)
    first = next(rows)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(first))
        writer.writeheader()
        writer.writerow(first)
        writer.writerows(rows)  # one row at a time: the phase's peak memory stays its own
    return path


def typed_contexts(project: Any, count: int) -> Iterator[dict[str, Any]]:
    """People as the pipeline types them, generated one at a time (never a list)."""
    from assembler import pipeline
    from assembler.load.values import convert

    by_label = {spec.label: name for name, spec in project.specs.items() if spec.label}
    for index, row in enumerate(people_rows(project.specs, count)):
        values = {}
        for header, raw in row.items():
            name = by_label.get(header, header)
            values[name] = convert(raw, project.specs[name])
        plan = pipeline.plan_person(project, index + 2, values, [], {})
        pipeline.assign_variants(project, [plan], pin=index % 3 + 1)  # a batch deals variants in turn
        yield plan.context


# ---------------------------------------------------------------- phases (one per interpreter)


def _tree(pid: int) -> list[int]:
    """The process and all its descendants (Linux /proc; children of every thread)."""
    out = [pid]
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for task in tasks:
        try:
            children = Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except OSError:
            continue
        for child in children:
            out += _tree(int(child))
    return out


def _proc_kb(pid: int, name: str, field: str) -> int:
    """A ``field:`` line (kB) of ``/proc/<pid>/<name>``; 0 once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _rss_kb(pid: int) -> int:
    return _proc_kb(pid, "status", "VmRSS")


def _pss_kb(pid: int) -> int:
    """Proportional set size: each shared page counted once, split among the processes sharing it."""
    return _proc_kb(pid, "smaps_rollup", "Pss")


class TreeMemory:
    """Peaks of the summed RSS and the summed PSS of this process and its workers, sampled in a thread.

    Forked workers share the parent's pages until they write them, so the RSS sum counts
    those pages once per process: an upper bound, the same way for every phase. The PSS
    sum counts each page once: the memory the machine actually gives the batch.
    """

    def __init__(self, interval: float = 0.02, pid: int | None = None) -> None:
        self.interval = interval
        #: the process whose tree is sampled: this one, or a child started to be measured from outside
        #: (``bench_incremental``: the sampler then takes no time from the measured process)
        self.pid = pid
        self.peak_kb = 0
        self.peak_pss_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            pids = _tree(self.pid or os.getpid())
            self.peak_kb = max(self.peak_kb, sum(_rss_kb(pid) for pid in pids))
            self.peak_pss_kb = max(self.peak_pss_kb, sum(_pss_kb(pid) for pid in pids))
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def peak(tree: TreeMemory) -> dict[str, float]:
    """Peak memory in MB: parent + workers summed (sampled), and the largest single process."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"tree_mb": max(tree.peak_kb, own) / 1024, "pss_mb": tree.peak_pss_kb / 1024, "rss_mb": own / 1024,
            "children_rss_mb": children / 1024}


def phase(name: str, work: Path, count: int, jobs: int) -> dict[str, Any]:
    from assembler import pipeline
    from assembler.build.batch import RenderJob, render_jobs

    rules, checklist = library()
    project = pipeline.load_project(rules, checklist)
    people = work / f"people-{count}.csv"
    if name != "stream" and not people.exists():  # the same rows for every phase: the generator is seeded
        write_people(people, project.specs, count)
    out = work / f"out-{name}-{jobs}-{count}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    if name in ("naive", "render"):
        plans = [p for p in pipeline.plan_people(project, pipeline.load_people(project, people), {}) if p.ok]
        assert len(plans) == count, "every generated person must be renderable"
    with TreeMemory() as tree:
        if name == "naive":
            from docxtpl import DocxTemplate

            from assembler.template.environment import make_env

            template = work / "template.docx"
            env = make_env()
            start = time.perf_counter()
            for index, plan in enumerate(plans):
                doc = DocxTemplate(str(template))
                doc.render(plan.context, env, autoescape=True)
                doc.save(str(out / f"{index}.docx"))
            seconds, reports = time.perf_counter() - start, len(plans)
        elif name in ("build", "build-nosim"):
            start = time.perf_counter()
            batch = pipeline.build(project, people, out, jobs=jobs, force=True, check_similarity=name == "build")
            seconds, counts = time.perf_counter() - start, batch.counts()  # reports stay on disk
            reports = counts["written"]
            assert not counts["failed"], next(r.errors for r in batch.reports if r.status == "failed")
        elif name == "render":
            queue = (RenderJob(p.selection, p.context, out / f"{i}.docx") for i, p in enumerate(plans))
            start = time.perf_counter()
            reports = sum(1 for o in render_jobs(project.prepared, queue, workers=jobs) if o.error is None)
            seconds = time.perf_counter() - start
        elif name == "stream":  # memory: people generated on the fly, nothing kept
            selection = project.selection
            queue = (RenderJob(selection, c, out / f"{i % 1000}.docx")
                     for i, c in enumerate(typed_contexts(project, count)))
            start = time.perf_counter()
            reports = sum(1 for o in render_jobs(project.prepared, queue, workers=jobs) if o.error is None)
            seconds = time.perf_counter() - start
        else:
            raise SystemExit(f"unknown phase {name}")
    assert reports == count, f"{name}: {reports} of {count} reports written"
    shutil.rmtree(out, ignore_errors=True)
    return {"phase": name, "jobs": jobs, "people": count, "reports": reports, "seconds": seconds,
            "per_second": reports / seconds, **peak(tree)}


def run_phase(name: str, work: Path, count: int, jobs: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--phase", name, "--work", str(work), "--people", str(count),
               "--jobs", str(jobs)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"phase {name} -j {jobs} ({count} people) failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- profile of one person


def profile(work: Path, rounds: int = 300) -> None:
    """Where one person's time goes, each step timed alone (mean of ``rounds``), then cProfile."""
    from docxtpl import DocxTemplate

    from assembler import pipeline
    from assembler.build import render
    from assembler.ooxml import zipentries
    from assembler.output import atomic_write
    from assembler.template.environment import make_env

    rules, checklist = library()
    project = pipeline.load_project(rules, checklist)
    context = next(typed_contexts(project, 1))
    prepared = project.prepared(project.selection)
    target = work / "one.docx"
    template_path = work / "template.docx"

    def timed(label: str, func: Any) -> float:
        func()
        start = time.perf_counter()
        for _ in range(rounds):
            func()
        ms = (time.perf_counter() - start) / rounds * 1000
        print(f"  {label:<58}{ms:8.3f} ms")
        return ms

    data = prepared.render(context)
    members = [prepared._members[name] for name in prepared._order]
    tagged = [part for part in (prepared._body_part, *prepared._parts) if part.template is not None]
    body = prepared._body_part
    body_xml = prepared._tpl.render_xml_part(body.source, body.docx_part, dict(context),
                                             render._Compiled(body.template))
    rendered = {part.name: part.finish(prepared._tpl.render_xml_part(part.source, part.docx_part, dict(context),
                                                                     render._Compiled(part.template)))
                for part in tagged}
    env = make_env()

    def naive_open() -> DocxTemplate:
        doc = DocxTemplate(str(template_path))
        doc.init_docx()  # python-docx reads the package: what render() starts with
        return doc

    def naive_render() -> None:
        doc = naive_open()
        doc.render(dict(context), env, autoescape=True)

    def naive_all() -> None:
        doc = naive_open()
        doc.render(dict(context), env, autoescape=True)
        doc.save(io.BytesIO())

    print(f"one person: {len(data) // 1024} KB .docx, {len(prepared._order)} entries, "
          f"{len(tagged)} part(s) with tags; mean of {rounds} rounds")
    print("assembler (PreparedTemplate):")
    timed("the whole job: render + atomic_write", lambda: atomic_write(target, prepared.render(context)))
    timed("render (bytes in memory)", lambda: prepared.render(context))
    timed("  Jinja alone: the compiled templates of the tagged parts",
          lambda: [part.template.render(dict(context)) for part in tagged])
    timed("  Jinja + docxtpl's text post-processing (render_xml_part)",
          lambda: [prepared._tpl.render_xml_part(part.source, part.docx_part, dict(context),
                                                 render._Compiled(part.template)) for part in tagged])
    timed("  body: parse, fix_tables, docPr ids, serialise", lambda: prepared._finish_body(body_xml))
    timed("  zlib level 1 of the rendered parts",
          lambda: [zipentries.deflate(name, xml, render.COMPRESS_LEVEL) for name, xml in rendered.items()])
    timed("  zip: write every entry (all compressed already)", lambda: zipentries.write_members(members))
    timed("atomic_write alone (temp file, fsync, rename)", lambda: atomic_write(target, data))
    timed("plain write_bytes alone (no fsync)", lambda: target.write_bytes(data))
    print("naive docxtpl, for comparison:")
    timed("the whole job: DocxTemplate(path) + render + save", lambda: naive_all())
    timed("  DocxTemplate(path): python-docx reads the package", naive_open)
    timed("  DocxTemplate(path) + render (patch, compile, render every part)", naive_render)
    timed("  of which: compile the patched body (make_env().from_string)", lambda: env.from_string(body.source))
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(rounds):
        prepared.render(context)
    profiler.disable()
    print("\ncProfile of render (no write), by cumulative time (cProfile inflates Python-level calls):")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(18)


def entries_of(data: bytes) -> dict[str, bytes]:
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


# ---------------------------------------------------------------- main


def prepare(work: Path, count: int) -> str:
    from assembler import pipeline

    rules, checklist = library()
    project = pipeline.load_project(rules, checklist)
    (work / "template.docx").write_bytes(project.template_bytes())
    write_people(work / f"people-{count}.csv", project.specs, count)
    return str(rules.relative_to(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--memory", "--memory-check", dest="memory", action="store_true",
                        help="1,000 vs 10,000 people streamed: peak memory ratio")
    parser.add_argument("--memory-build", action="store_true",
                        help="with --memory: the whole build too, 1,000 vs 10,000, without and with the near-copy check")
    parser.add_argument("--profile", action="store_true", help="where the time of one person goes")
    parser.add_argument("--rounds", type=int, default=1, help="repeat every phase, interleaved; medians")
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(phase(args.phase, args.work, args.people, args.jobs)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        work = Path(tmp)
        source = prepare(work, args.people)
        print(f"library: {source}; {args.people} people; {os.cpu_count()} cores; "
              f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; Python {sys.version.split()[0]}")
        if args.profile:
            profile(work)
            return
        if args.memory:
            small = run_phase("stream", work, 1000, args.jobs)
            large = run_phase("stream", work, 10000, args.jobs)
            print(f"{'people (streamed)':<18}{'jobs':>5}{'reports/s':>10}{'peak MB, all':>14}{'main MB':>9}"
                  f"{'worker MB':>11}")
            for result in (small, large):
                print(f"{result['people']:<18}{result['jobs']:>5}{result['per_second']:>10.1f}{result['tree_mb']:>14.1f}"
                      f"{result['rss_mb']:>9.1f}{result['children_rss_mb']:>11.1f}")
            print(f"peak memory (main + workers) 10,000 / 1,000: {large['tree_mb'] / small['tree_mb']:.3f} "
                  f"(goal ≤ 1.2); largest process: main {large['rss_mb'] / small['rss_mb']:.3f}, "
                  f"worker {large['children_rss_mb'] / max(small['children_rss_mb'], 1e-9):.3f}")
            if args.memory_build:
                # The whole build: people file read, planned and spooled to disk, then rendered,
                # measured and (``build``) compared for near copies from small per-report sketches.
                print("whole `assembler build` (peak MB of main + workers: summed RSS / summed PSS):")
                for phase_name in ("build-nosim", "build"):
                    first, second = (run_phase(phase_name, work, size, args.jobs) for size in (1000, 10000))
                    print(f"  {phase_name:<12}  1,000 people: {first['tree_mb']:6.1f} / {first['pss_mb']:5.1f} "
                          f"(main {first['rss_mb']:.1f}); 10,000: {second['tree_mb']:6.1f} / {second['pss_mb']:5.1f} "
                          f"(main {second['rss_mb']:.1f}); ratio {second['tree_mb'] / first['tree_mb']:.3f} RSS, "
                          f"{second['pss_mb'] / max(first['pss_mb'], 1e-9):.3f} PSS (goal ≤ 1.2); "
                          f"{second['per_second']:.0f} reports/s")
            return
        phases = [] if args.skip_naive else [("naive", 1)]
        phases += [(name, jobs) for name in ("render", "build") for jobs in sorted({1, args.jobs})]
        runs: dict[tuple[str, int], list[dict[str, Any]]] = {key: [] for key in phases}
        ratios: dict[tuple[str, int], list[float]] = {key: [] for key in phases}
        for round_ in range(1, args.rounds + 1):
            # Phases interleaved round by round, so that a change of load on a shared
            # machine falls on all of them alike; ratios are taken within a round.
            load = " ".join(f"{x:.2f}" for x in os.getloadavg())
            line = []
            for key in phases:
                row = run_phase(key[0], work, args.people, key[1])
                runs[key].append(row)
                line.append(f"{label(key)} {row['per_second']:.1f}/s")
            if not args.skip_naive:
                naive = runs[("naive", 1)][-1]["per_second"]
                for key in phases:
                    ratios[key].append(runs[key][-1]["per_second"] / naive)
            print(f"round {round_} (load average before: {load}): " + ", ".join(line), flush=True)
        print(f"\n{'phase':<16}{'reports/s':>10}{'× naive':>9}{'seconds':>9}{'peak MB, all':>14}{'main MB':>9}"
              f"{'worker MB':>11}   (median of {args.rounds} round(s))")
        for key in phases:
            rows = runs[key]
            ratio = f"{statistics.median(ratios[key]):8.1f}×" if ratios[key] else "       -"
            print(f"{label(key):<16}{statistics.median(r['per_second'] for r in rows):>10.1f}{ratio}"
                  f"{statistics.median(r['seconds'] for r in rows):>9.2f}{max(r['tree_mb'] for r in rows):>14.1f}"
                  f"{max(r['rss_mb'] for r in rows):>9.1f}{max(r['children_rss_mb'] for r in rows):>11.1f}")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def label(key: tuple[str, int]) -> str:
    return "naive docxtpl" if key[0] == "naive" else f"{key[0]} -j {key[1]}"


if __name__ == "__main__":
    main()
