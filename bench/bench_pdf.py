"""Benchmark: .docx → PDF through the office pool, against plain ``soffice --convert-to pdf``.

Run (needs LibreOffice and a Python that can ``import uno``):
    .venv/bin/python bench/bench_pdf.py [FOLDER] [--count 50] [--jobs N] [--rounds 3] [--b-rounds 1]

FOLDER holds .docx files; without it the first sample batch is built first (``assembler build
tests/fixtures/sample-v1/examples/rules.yaml …``, seven reports of about six pages).  The files are
repeated (as copies) up to ``--count``.  On the same files, in one run, side by side, it times:
  (a)  the pool (``OfficePool.convert`` then closing it: start-up and shutdown included), jobs = cores;
  (a0) the same pool with the profile template turned off (``ASSEMBLER_OFFICE_CACHE=off``): every office
       starts on an empty profile (still marked so that the graphics self-tests are skipped);
  (a00) the pool as it was before this benchmark's findings: empty profiles, graphics self-tests run;
  (b)  one ``soffice --headless --convert-to pdf`` process per file;
  (c)  one ``soffice --headless --convert-to pdf`` process for all files.
Each round runs (a), (c), (a0), (a00) back to back and prints the ratio c/a of that round, which a shared
machine's changing load disturbs less than the ratio of medians; (b), ten times slower, runs in the
first ``--b-rounds`` rounds only. (b) and (c) get a profile that is already set up (one untimed
conversion first), marked like the pool's so that LibreOffice skips its start-up graphics tests, and
the same font environment as the pool, so the comparison does not lean the pool's way. The pool's
own figures (office start, first and later documents, shutdown) are printed too, to show where its
time goes.
Goal on 2 cores: (a) ≥ 3× faster than (b), ≥ 1.5× faster than (c).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from assembler.office import OfficePool, process, require_office  # noqa: E402
from assembler.office.process import (  # noqa: E402
    PROFILE_CACHE_ENV,
    default_jobs,
    office_environment,
    product_version,
    seed_profile,
)

WAYS = {
    "a": "(a) pool, profile template",
    "a0": "(a0) pool, empty profiles",
    "a00": "(a00) pool, empty profiles, self-tests",
    "b": "(b) soffice --convert-to, one call per file",
    "c": "(c) soffice --convert-to, one call for all",
}


def sample_batch(folder: Path) -> list[Path]:
    """The README's sample: examples/ built by the assembler command itself."""
    examples = REPO / "tests" / "fixtures" / "sample-v1" / "examples"  # the batch the published figures used
    done = subprocess.run(
        [sys.executable, "-c", "from assembler.cli import run; run()", "build", str(examples / "rules.yaml"),
         "--people", str(examples / "people.xlsx"), "--checklist", str(examples / "checklist.md"),
         "--vars", str(examples / "vars.yaml"), "-o", str(folder)],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO / "src")}, check=False)
    files = sorted(folder.glob("*.docx"))
    if done.returncode != 0 or not files:
        sys.exit(f"无法生成示例报告：{done.stderr.strip()}")
    return files


def source_files(folder: Path | None, count: int, scratch: Path) -> tuple[list[Path], str]:
    if folder is not None:
        found = [path for path in sorted(folder.glob("*.docx")) if not path.name.startswith(("~$", "."))]
        origin = str(folder)
        if not found:
            sys.exit(f"没有 .docx 文件：{folder}")
    else:
        found = sample_batch(scratch / "sample")
        origin = f"examples/ sample batch, {len(found)} reports"
    files = [found[n % len(found)] for n in range(max(count, len(found)))]
    return files, origin


def copy_set(files: list[Path], folder: Path) -> list[Path]:
    """A private copy per way, so no way reads another's PDFs or competes for the same names."""
    folder.mkdir(parents=True)
    copies = []
    for n, path in enumerate(files):
        target = folder / f"{n:03d}-{path.name}"
        shutil.copyfile(path, target)
        copies.append(target)
    return copies


def soffice_convert(soffice: str, profile: Path, files: list[Path], outdir: Path) -> None:
    (profile.parent / "tmp").mkdir(parents=True, exist_ok=True)
    env = office_environment(profile.parent / "tmp")
    args = [soffice, "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
            f"-env:UserInstallation={profile.as_uri()}", "--convert-to", "pdf", "--outdir", str(outdir)]
    subprocess.run([*args, *map(str, files)], check=True, capture_output=True, env=env, start_new_session=True)


def count_pdfs(files: list[Path]) -> int:
    return sum(1 for path in files if path.with_suffix(".pdf").is_file())


def run_pool(docs: list[Path], jobs: int, way: str = "a") -> tuple[float, dict[str, float]]:
    """Seconds for the pool to convert ``docs`` and stop, and where the time went."""
    saved = os.environ.get(PROFILE_CACHE_ENV)
    if way != "a":
        os.environ[PROFILE_CACHE_ENV] = "off"
    if way == "a00":
        process.seed_profile = lambda profile, version: None
    try:
        start = time.perf_counter()
        with OfficePool(jobs=jobs, timeout=120) as pool:
            results = pool.convert(docs)
            converted = time.perf_counter()
        total = time.perf_counter() - start
    finally:
        process.seed_profile = seed_profile
        if saved is None:
            os.environ.pop(PROFILE_CACHE_ENV, None)
        else:
            os.environ[PROFILE_CACHE_ENV] = saved
    failed = [r for r in results if r.pdf is None]
    if failed or count_pdfs(docs) != len(docs):
        sys.exit(f"pool failed: {failed[:3]}")
    starts = [seconds for office in pool._offices for seconds in office.start_seconds]
    per_doc = sorted(pool.document_seconds)
    detail = {
        "office start (mean)": statistics.mean(starts),
        "document (median)": statistics.median(per_doc),
        "slowest documents (mean of the 'jobs' slowest, i.e. each office's first)": statistics.mean(per_doc[-jobs:]),
        "busy office-seconds": sum(per_doc),
        "shutdown": total - (converted - start),
    }
    return total, detail


def _burn(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i
    return total


def cpu_scaling(workers: int) -> float:
    """How much faster ``workers`` CPU-bound processes get through the same work than one, right now.

    2.0 on an idle 2-core machine; less when other work holds a core (or when the virtual cores share
    a physical one).  The pool cannot beat one office by more than this.
    """
    import multiprocessing

    steps = 10_000_000
    with multiprocessing.Pool(workers) as pool:
        pool.map(_burn, [1000] * workers)  # processes up before timing
        start = time.perf_counter()
        pool.map(_burn, [steps])
        one = time.perf_counter() - start
        start = time.perf_counter()
        pool.map(_burn, [steps] * workers, chunksize=1)
        many = time.perf_counter() - start
    return workers * one / many


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", nargs="?", type=Path)
    parser.add_argument("--count", type=int, default=50, help="documents per way (files are repeated)")
    parser.add_argument("--jobs", type=int, default=None, help="offices in the pool (default: usable cores)")
    parser.add_argument("--rounds", type=int, default=3, help="repeat (a), (c), (a0), (a00); medians are reported")
    parser.add_argument("--b-rounds", type=int, default=1,
                        help="rounds that also time (b), the slow one (about a minute each); 0 leaves it out")
    args = parser.parse_args()
    soffice = require_office()
    jobs = args.jobs or default_jobs()

    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as tmp:
        scratch = Path(tmp)
        files, origin = source_files(args.folder, args.count, scratch)
        n = len(files)
        print(f"{n} documents ({origin}), {os.cpu_count()} cores, pool jobs={jobs}")

        # untimed: set up the profiles of (b) and (c) and the pool's template
        profiles = {way: scratch / f"profile-{way}" / "user" for way in "bc"}
        for way, profile in profiles.items():
            warm = copy_set(files[:1], scratch / f"warm-{way}")
            soffice_convert(soffice, profile, warm, warm[0].parent)
            seed_profile(profile, product_version(soffice))  # as the pool's: no graphics self-tests at start
        run_pool(copy_set(files[:1], scratch / "warm-a"), 1)

        ways = ["a", "c", "a0", "a00"] + (["b"] if args.b_rounds > 0 else [])
        times: dict[str, list[float]] = {way: [] for way in ways}
        paired: list[float] = []
        details: list[dict[str, float]] = []
        for round_ in range(max(args.rounds, args.b_rounds)):
            base = scratch / f"round{round_}"
            loads = []
            this_round = [way for way in ways if (round_ < args.rounds if way != "b" else round_ < args.b_rounds)]
            for way in this_round:
                docs = copy_set(files, base / way)
                loads.append(os.getloadavg()[0])
                if way.startswith("a"):
                    seconds, detail = run_pool(docs, jobs, way)
                    if way == "a":
                        details.append(detail)
                elif way == "b":
                    start = time.perf_counter()
                    for doc in docs:
                        soffice_convert(soffice, profiles["b"], [doc], doc.parent)
                    seconds = time.perf_counter() - start
                else:
                    start = time.perf_counter()
                    soffice_convert(soffice, profiles["c"], docs, docs[0].parent)
                    seconds = time.perf_counter() - start
                if count_pdfs(docs) != n:
                    sys.exit(f"{WAYS[way]}: only {count_pdfs(docs)} of {n} PDFs")
                times[way].append(seconds)
                shutil.rmtree(base / way)
            if "a" in this_round and "c" in this_round:  # (a) and (c) back to back: the fairest ratio
                paired.append(times["c"][-1] / times["a"][-1])
            shown = ", ".join(f"{way} {times[way][-1]:.2f} s" for way in this_round)
            print(f"round {round_ + 1}: {shown}; c/a {paired[-1] if paired else float('nan'):.2f} "
                  f"(1-minute load average before each: {' '.join(f'{load:.2f}' for load in loads)}; "
                  f"CPU scaling with {jobs} processes after: {cpu_scaling(jobs):.2f}×)", flush=True)

    median = {way: statistics.median(values) for way, values in times.items()}
    print(f"\n{'way':46} {'total s':>8} {'s/doc':>7}")
    for way in ways:
        print(f"{WAYS[way]:46} {median[way]:8.2f} {median[way] / n:7.3f}")
    print("\npool (a), median over rounds:")
    for key in details[0]:
        print(f"  {key}: {statistics.median(d[key] for d in details):.3f} s")
    if "b" in median:
        print(f"\n(a) vs (b): {median['b'] / median['a']:.2f}× faster   (goal ≥ 3)")
    print(f"(a) vs (c): {median['c'] / median['a']:.2f}× faster (medians); per round "
          f"{', '.join(f'{ratio:.2f}' for ratio in paired)}, median {statistics.median(paired):.2f}×   (goal ≥ 1.5)")
    print(f"(a0) vs (c): {median['c'] / median['a0']:.2f}×; the template saves {median['a0'] - median['a']:.2f} s")
    print(f"(a00) vs (c): {median['c'] / median['a00']:.2f}×; skipping the self-tests saves "
          f"{median['a00'] - median['a0']:.2f} s")


if __name__ == "__main__":
    main()
