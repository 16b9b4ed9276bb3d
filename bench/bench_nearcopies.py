"""Benchmark: the bounded near-copy index (``nearcopies``) against ``similarity.compare``.

Run:  .venv/bin/python bench/bench_nearcopies.py [--sizes 1000 10000] [--threshold 0.8] [--degenerate 10000]

Generated batches (seeded): a library of 16 subsections with 3 variants each (one is more
popular), every report taking one variant per subsection plus one sentence of its own per
subsection, with its own name, year and figures; colleagues' reports so score 0.1-0.5 (Jaccard
of their shingle sets), as in a batch built from one library. A few planted near copies: a
colleague's report with the name, year and figures changed. For each size it prints:

* sketch: time per report of ``nearcopies.sketch`` (done in the build's workers);
* index: memory of the ``NearCopies`` holding every sketch (tracemalloc; the key strings,
  which the build has anyway, apart);
* find: time of ``find`` (limit 1,000, texts fetched from memory), the peak memory it
  allocates (tracemalloc, in a second run: tracing slows it down), the calls of ``text_of``,
  pairs found, ``total`` and ``approximate``;
* for the smaller sizes (``--compare-up-to``, 1,000): ``similarity.compare`` on the same texts,
  its time and peak traced memory, and whether both gave the same pairs.

``--degenerate N``: N reports that are all near copies of one another (~0.9 alike: every pair
is above the threshold, millions of pairs): ``find`` must stop at its caps, quickly, and say
``approximate``. The whole run takes about two minutes on one core.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_similar import COMMON, NAMES, UNITS  # noqa: E402

from assembler.library.nearcopies import NearCopies, Sketch, sketch  # noqa: E402
from assembler.library.similarity import compare  # noqa: E402


def sentence(rng: random.Random) -> str:
    """A sentence of random common characters with a figure: shares nothing with other sentences."""
    words = "".join(rng.choice(COMMON) for _ in range(rng.randint(12, 30)))
    return f"{words[:8]}，全年完成{{n}}{rng.choice(UNITS)}，{words[8:]}。"


def library(seed: int, subsections: int = 16, variants: int = 3, sentences: int = 4) -> list[list[str]]:
    rng = random.Random(seed)
    return [["".join(sentence(rng) for _ in range(sentences)) for _ in range(variants)] for _ in range(subsections)]


def report(lib: list[list[str]], rng: random.Random, name: str, year: int, own: int = 1) -> str:
    """One variant per subsection (the first more popular), ``own`` sentences of the person's own in each."""
    lines = [f"我是{name}，{year}年以来在党委领导下开展工作，现将履职情况报告如下："]
    for number, variants in enumerate(lib):
        if number % 4 == 0:
            lines.append(f"{number // 4 + 1}、第{number // 4 + 1}方面工作")
        text = rng.choices(variants, [3, 2, 2, 1, 1, 1][:len(variants)])[0] + "".join(sentence(rng) for _ in range(own))
        while "{n}" in text:
            text = text.replace("{n}", str(rng.randint(1, 500)), 1)
        lines.append(text)
    lines.append(f"以上是{name}{year}年度的述职述廉报告，不妥之处请批评指正。")
    return "\n".join(lines)


def names(count: int) -> list[str]:
    return [f"{NAMES[i % len(NAMES)]}{i // len(NAMES) or ''}" for i in range(count)]


def batch(count: int, seed: int = 7, planted: int = 10) -> dict[str, str]:
    """``count`` reports of one library, the last ``planted`` of them near copies of earlier ones."""
    rng = random.Random(seed)
    lib = library(seed)
    people = names(count)
    texts: dict[str, str] = {}
    for name in people[:count - planted]:
        texts[f"2022年度述职述廉报告-{name}.docx"] = report(lib, rng, name, 2022)
    for index, name in enumerate(people[count - planted:]):
        source_name = people[index * 3]
        source = texts[f"2022年度述职述廉报告-{source_name}.docx"]
        copy = source.replace(source_name, name).replace("2022", "2021")
        texts[f"2022年度述职述廉报告-{name}.docx"] = "".join(str(rng.randint(1, 9)) if c.isdigit() else c for c in copy)
    return texts


def degenerate(count: int, seed: int = 11) -> dict[str, str]:
    """Everyone's report is the same library text, with their own name, figures and one own sentence."""
    rng = random.Random(seed)
    lib = library(seed, variants=1)
    return {f"2022年度述职述廉报告-{name}.docx": report(lib, rng, name, 2022, own=0) + sentence(rng).replace("{n}", "1")
            for name in names(count)}


def sketch_all(texts: dict[str, str]) -> tuple[list[Sketch], float]:
    start = time.perf_counter()
    sketches = [sketch(text) for text in texts.values()]
    return sketches, (time.perf_counter() - start) / len(texts)


def traced_peak(call: Callable[[], object]) -> int:
    """The peak memory ``call()`` allocates (tracemalloc; slows the call down, so timed apart)."""
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    call()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def run(label: str, texts: dict[str, str], threshold: float, with_compare: bool) -> None:
    count = len(texts)
    sketches, per_report = sketch_all(texts)
    chars = sum(map(len, texts.values())) // count
    print(f"{label}: {count} reports (~{chars} characters), threshold {threshold}")
    print(f"  sketch: {per_report * 1000:.2f} ms per report")

    index = NearCopies(threshold)
    tracemalloc.start()
    for key, value in zip(texts, sketches, strict=True):
        index.add(key, value)
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    keys = sum(sys.getsizeof(key) for key in texts)
    print(f"  index: {held / 1e6:.2f} MB, {held / count:.0f} bytes per report (+ {keys / count:.0f} for the key)")
    reads = 0

    def text_of(key: str) -> str | None:
        nonlocal reads
        reads += 1
        return texts.get(key)

    start = time.perf_counter()
    found = index.find(text_of, limit=1000)
    elapsed = time.perf_counter() - start
    peak = traced_peak(lambda: index.find(texts.get, limit=1000))
    print(f"  find: {elapsed:.2f} s, peak {peak / 1e6:.1f} MB, text_of called {reads} times; "
          f"{len(found.pairs)} pairs (scores {found.pairs[0].score if found.pairs else '-'} to "
          f"{found.pairs[-1].score if found.pairs else '-'}), total {found.total}, approximate {found.approximate}")
    if with_compare:
        start = time.perf_counter()
        want = compare(texts, threshold=threshold)
        elapsed = time.perf_counter() - start
        peak = traced_peak(lambda: compare(texts, threshold=threshold))
        print(f"  compare: {elapsed:.2f} s, peak {peak / 1e6:.1f} MB; {len(want)} pairs; "
              f"find gave the same pairs: {want == found.pairs}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--threshold", type=float, default=0.8)
    parser.add_argument("--compare-up-to", type=int, default=1000)
    parser.add_argument("--degenerate", type=int, default=10000)
    args = parser.parse_args()
    for count in args.sizes:
        run("typical", batch(count), args.threshold, count <= args.compare_up_to)
    if args.degenerate:
        run("degenerate", degenerate(args.degenerate), args.threshold, args.degenerate <= args.compare_up_to)
    return 0


if __name__ == "__main__":
    sys.exit(main())
