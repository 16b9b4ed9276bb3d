"""Benchmark: ``assembler similar`` on 500 generated reports.

Run:  python3 bench/bench_similar.py [--reports 500] [--docx]
Two batches are timed with ``similarity.compare`` (threshold 0.8):

* "varied": reports drawn from a library with three variants per subsection, plus
  20 copies of colleagues' reports with only the name and year changed (few pairs
  above the threshold, as in a library with variants);
* "uniform": one text for everybody, only names and figures differ (every pair is
  above the threshold: the worst case, 124,750 pairs).

``--docx`` also writes the varied batch as .docx files (python-docx) and times the
whole ``assembler similar DIR`` path (reading every report, then comparing).
Target: under 10 s for 500 reports on 2 cores.

``--build`` times what the library upkeep adds to ``assembler build`` (the sample
library ``tests/fixtures/sample-v1/``, ``--reports`` generated people, every core), side by side in
one run, best of ``--repeat``: the build with the worker's post-render hook
(``pipeline.stamp_and_read``) switched off (render and write only), with provenance
stamping, with length (every report's text taken), and the whole build (also comparing the batch for near copies). It prints the
times and their ratios to the first.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

UNITS = ["次", "户", "名", "个", "项", "篇", "万元"]
NAMES = [a + b for a in "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨"
         for b in ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛",
                   "明", "超", "霞", "平", "刚", "桂英"]]
#: Common characters: paragraphs are random strings of them, so different variants share little.
COMMON = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动"
    "同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自"
    "二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日"
    "那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变"
    "条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总"
    "次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指"
    "几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器"
    "压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安"
    "场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集"
    "温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连"
    "断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精"
    "值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属"
    "圆包火住调满县局照参红细引听该铁价严龙飞"
)


def paragraph(rng: random.Random, sentences: int = 4) -> str:
    out = []
    for _ in range(sentences):
        words = "".join(rng.choice(COMMON) for _ in range(rng.randint(12, 30)))
        out.append(f"{words[:8]}，全年完成{{n}}{rng.choice(UNITS)}，{words[8:]}。")
    return "".join(out)


def library(seed: int = 1, sections: int = 4, subsections: int = 4,
            variants: int = 3) -> list[list[list[str]]]:
    rng = random.Random(seed)
    return [[[paragraph(rng) + "\n" + paragraph(rng) for _ in range(variants)] for _ in range(subsections)]
            for _ in range(sections)]


def report(lib: list[list[list[str]]], rng: random.Random, name: str, year: int) -> str:
    lines = [f"我是{name}，{year}年以来在党委领导下开展工作，现将履职情况报告如下："]
    for s, section in enumerate(lib, start=1):
        lines.append(f"{s}、第{s}方面工作")
        for sub in section:
            text = rng.choice(sub)
            while "{n}" in text:
                text = text.replace("{n}", str(rng.randint(1, 500)), 1)
            lines.append(text)
    lines.append(f"以上是{name}{year}年度的述职述廉报告，不妥之处请批评指正。")
    return "\n".join(lines)


def batches(count: int) -> dict[str, dict[str, str]]:
    rng = random.Random(7)
    lib = library()
    varied: dict[str, str] = {}
    names = [f"{NAMES[i % len(NAMES)]}{i // len(NAMES) or ''}" for i in range(count)]
    for name in names[: count - 20]:
        varied[f"2022年度述职述廉报告-{name}"] = report(lib, rng, name, 2022)
    for index, name in enumerate(names[count - 20:]):
        source_name = names[index]
        source = varied[f"2022年度述职述廉报告-{source_name}"]
        varied[f"2022年度述职述廉报告-{name}"] = source.replace(source_name, name).replace("2022", "2021")
    uniform_lib = library(variants=1)
    uniform = {f"2022年度述职述廉报告-{name}": report(uniform_lib, rng, name, 2022) for name in names}
    return {"varied": varied, "uniform": uniform}


STEPS = ("render and write only", "+ provenance stamped", "+ length (every report read)",
         "+ similarity (the whole build)")


def build_overhead(count: int, repeat: int) -> None:
    import shutil

    import bench_render  # beside this file: its people generator

    from assembler import pipeline

    rules, checklist = bench_render.library()
    project = pipeline.load_project(rules, checklist)
    hook, reader = pipeline.stamp_and_read, pipeline.report_text
    from assembler.library.similarity import ReportText

    def nothing(data: bytes, _props: object) -> tuple[bytes, tuple[None, None]]:
        return data, (None, None)

    def no_reading(*_: object, **__: object) -> ReportText:
        return ReportText("", 0)

    with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
        work = Path(tmp)
        people = bench_render.write_people(work / "people.csv", project.specs, count)
        best: dict[str, float] = {}
        pairs = 0
        for round_ in range(repeat):
            for step, label in enumerate(STEPS):
                pipeline.stamp_and_read = hook if step >= 1 else nothing  # type: ignore[assignment]
                pipeline.report_text = reader if step >= 2 else no_reading  # type: ignore[assignment]
                out = work / f"out-{round_}-{step}"
                start = time.perf_counter()
                try:
                    batch = pipeline.build(project, people, out, check_similarity=step >= 3)
                finally:
                    pipeline.stamp_and_read, pipeline.report_text = hook, reader
                elapsed = time.perf_counter() - start
                assert len(batch.written) == count
                pairs = len(batch.similar or []) or pairs
                best[label] = min(best.get(label, elapsed), elapsed)
                shutil.rmtree(out)
        base = best[STEPS[0]]
        for label, elapsed in best.items():
            print(f"build {count} reports, {label}: {elapsed:.2f} s (x{elapsed / base:.2f})")
        print(f"(pairs at or above 0.8 in the generated batch: {pairs})")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=500)
    parser.add_argument("--docx", action="store_true")
    parser.add_argument("--build", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from assembler.library.similarity import compare

    if args.build:
        build_overhead(args.reports, args.repeat)
        return 0

    for label, texts in batches(args.reports).items():
        chars = sum(len(t) for t in texts.values()) // len(texts)
        start = time.perf_counter()
        pairs = compare(texts, threshold=0.8)
        elapsed = time.perf_counter() - start
        print(f"{label}: {len(texts)} reports (~{chars} chars each): {len(pairs)} pairs >= 0.8 "
              f"in {elapsed:.2f} s")
    if args.docx:
        import docx

        from assembler.library.similarity import read_reports

        texts = batches(args.reports)["varied"]
        with tempfile.TemporaryDirectory(prefix="bench-similar-") as tmp:
            for key, text in texts.items():
                document = docx.Document()
                document.add_paragraph(key, style="Title")
                for line in text.split("\n"):
                    document.add_paragraph(line)
                document.save(str(Path(tmp) / f"{key}.docx"))
            start = time.perf_counter()
            read = read_reports(Path(tmp))
            middle = time.perf_counter()
            pairs = compare(read, threshold=0.8)
            end = time.perf_counter()
            print(f"docx: read {len(read)} reports in {middle - start:.2f} s, "
                  f"compared in {end - middle:.2f} s ({len(pairs)} pairs), total {end - start:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
