"""The bounded near-copy index: same pairs as ``similarity.compare``, small sketches, capped work."""

from __future__ import annotations

import math
import pickle
import random
import statistics
import tracemalloc
from array import array

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import assembler.library.nearcopies as nearcopies
from assembler.library.nearcopies import K, NearCopies, NearCopyResult, Sketch, estimate_cutoffs, rows_per_band, sketch
from assembler.library.similarity import compare, make_doc, read_reports

#: Common characters for generated sentences: random strings of them share next to no shingles.
CHARS = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定"
         "行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其"
         "些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建")
UNITS = "次户名个项篇"
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超"]


def sentence(rng: random.Random) -> str:
    words = "".join(rng.choice(CHARS) for _ in range(rng.randint(10, 28)))
    return f"{words[:7]}，全年完成{{n}}{rng.choice(UNITS)}，{words[7:]}。"


def fill(text: str, rng: random.Random) -> str:
    while "{n}" in text:
        text = text.replace("{n}", str(rng.randint(1, 999)), 1)
    return text


def name(index: int) -> str:
    return SURNAMES[index % len(SURNAMES)] + GIVEN[index // len(SURNAMES) % len(GIVEN)] + str(index)


def find_all(texts: dict[str, str], threshold: float, limit: int = 100_000) -> tuple[NearCopyResult, int]:
    """``find`` over ``texts`` (added in their order) and how often it called ``text_of``."""
    index = NearCopies(threshold)
    for key, text in texts.items():
        index.add(key, sketch(text))
    calls = []

    def text_of(key: str) -> str | None:
        calls.append(key)
        return texts.get(key)

    found = index.find(text_of, limit=limit)
    assert len(calls) == len(set(calls)), "a text was read twice"
    return found, len(calls)


# ------------------------------------------------------------------ sketches


TEXT = st.text(alphabet="走访农户党员网格青山镇全年共计完成，。\n 0123456789", min_size=0, max_size=120)


@settings(max_examples=150, deadline=None)
@given(TEXT)
def test_sketch_size_is_the_number_of_shingles_compare_counts(text):
    made = sketch(text)
    assert made.size == make_doc("x", text).size
    values = array("I", made.values)
    assert len(values) == K
    filled = [v for v in values if v != nearcopies.EMPTY]
    assert len(filled) <= made.size and (made.size == 0) == (not filled)
    assert all(v < 1 << (32 - nearcopies._BIN_BITS) for v in filled)


def test_sketch_is_small_deterministic_and_picklable():
    rng = random.Random(1)
    body = "\n".join(fill("".join(sentence(rng) for _ in range(8)), rng) for _ in range(20))
    made = sketch(body)
    assert len(made.values) == 4 * K and made.size > 3000
    assert sketch(body) == made
    assert len(pickle.dumps(made)) < 700
    assert pickle.loads(pickle.dumps(made)) == made
    # figures, years and spaces do not change what is compared, as in similarity.normalise
    assert sketch(body.replace("1", "7").replace("。", "。 ")) == made
    assert sketch("") == sketch(" \n\t") == Sketch(0, array("I", [nearcopies.EMPTY] * K).tobytes())


def test_estimates_follow_the_jaccard_index():
    """The hash mixes well: MinHash estimates are unbiased, with the binomial spread."""
    rng = random.Random(3)
    errors = []
    for _ in range(150):
        common = "".join(rng.choice(CHARS) for _ in range(rng.randint(300, 2500)))
        x = common + "。" + "".join(rng.choice(CHARS) for _ in range(rng.randint(0, 900)))
        y = "，" + common + "".join(rng.choice(CHARS) for _ in range(rng.randint(0, 900)))
        [pair] = compare({"x": x, "y": y}, threshold=0.0)
        a, b = array("I", sketch(x).values), array("I", sketch(y).values)
        estimate = sum(u == v for u, v in zip(a, b, strict=True)) / K
        jaccard = pair.score
        errors.append((estimate - jaccard) / math.sqrt(jaccard * (1 - jaccard) / K))
    assert abs(statistics.mean(errors)) < 0.3
    assert 0.6 < statistics.pstdev(errors) < 1.2
    assert max(map(abs, errors)) < 4.5


# ------------------------------------------------------------------ parameters


@pytest.mark.parametrize("threshold", [0.15, 0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99])
def test_rows_per_band_miss_a_pair_at_the_threshold_with_probability_below_a_millionth(threshold):
    rows = rows_per_band(threshold)
    assert rows >= 1
    assert (1 - threshold ** rows) ** (K // rows) < nearcopies.LSH_MISS
    if rows < K:  # and no more rows would do (fewer candidates)
        assert all((1 - threshold ** more) ** (K // more) >= nearcopies.LSH_MISS for more in range(rows + 1, K + 1))


def test_rows_per_band_values():
    assert [rows_per_band(t) for t in (0.3, 0.5, 0.8, 0.9, 1.0)] == [1, 2, 4, 6, K]
    assert rows_per_band(0.05) == rows_per_band(0.0) == 0  # no banding will do: every pair is a candidate


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 0.8, 0.9, 1.0])
def test_estimate_cutoffs_are_binomial_quantiles(threshold):
    cuts = estimate_cutoffs(threshold)
    assert len(cuts) == K + 1 and cuts[0] == 0
    for bins, cut in enumerate(cuts):
        below = sum(math.comb(bins, c) * threshold ** c * (1 - threshold) ** (bins - c) for c in range(cut))
        assert below <= nearcopies.ESTIMATE_MISS
        if cut < bins:
            assert below + math.comb(bins, cut) * threshold ** cut * (1 - threshold) ** (bins - cut) > nearcopies.ESTIMATE_MISS
    # one more bin raises the cut-off by at most one: the fingerprint pass may use cuts[K]
    assert all(0 <= cuts[m + 1] - cuts[m] <= 1 for m in range(K))
    if threshold == 0.8:
        assert 0.55 < cuts[K] / K < 0.65  # about five standard deviations below


# ------------------------------------------------------------------ same pairs as compare


def pooled_texts(seed: int, count: int = 300) -> dict[str, str]:
    """Texts from shared sentence pools: families (a pool each, plus one shared by all) whose
    members take random subsets of various sizes, own sentences, figures; some near copies."""
    rng = random.Random(seed)
    shared = [sentence(rng) for _ in range(30)]
    families = [[sentence(rng) for _ in range(40)] for _ in range(6)]
    texts: dict[str, str] = {}
    for index in range(count - 40):
        pool = families[index % len(families)]
        chosen = rng.sample(pool, rng.choice([rng.randint(6, 25), rng.randint(30, 40)])) + rng.sample(shared, rng.randint(0, 4))
        chosen += [sentence(rng) for _ in range(rng.choice([0, 0, 1, 3, 8]))]
        paragraphs = [chosen[start:start + 4] for start in range(0, len(chosen), 4)]
        body = f"我是{name(index)}，现将履职情况报告如下：\n" + "\n".join("".join(p) for p in paragraphs)
        texts[f"{name(index)}.docx"] = fill(body, rng)
    keys = list(texts)
    for copy in range(40):
        source = keys[rng.randrange(len(keys))]
        text = texts[source].replace(source.removesuffix(".docx"), name(1000 + copy))
        sentences = text.split("。")
        for _ in range(copy % 5):  # from the same report with another name to a reworded one
            sentences[rng.randrange(len(sentences))] = fill(sentence(rng), rng).rstrip("。")
        text = "。".join(sentences)
        if copy % 3 == 1:
            text += "\n" + fill(sentence(rng), rng)
        if copy % 3 == 2:
            text = text[: len(text) * 5 // 6]
        texts[f"{name(1000 + copy)}.docx"] = fill(text.replace("全年", "今年", copy % 2), rng)
    items = list(texts.items())
    rng.shuffle(items)  # copies anywhere in the order of adding
    return dict(items)


@pytest.fixture(scope="module")
def pooled() -> dict[str, str]:
    return pooled_texts(5)


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.8, 0.9])
def test_same_pairs_as_compare_on_300_pooled_texts(pooled, threshold):
    want = compare(pooled, threshold=threshold)
    found, reads = find_all(pooled, threshold)
    assert len(want) >= 8  # the batch has pairs at every threshold, 0.7 to 1.0 among the copies
    assert found.pairs == want
    assert (found.total, found.approximate) == (len(want), False)
    assert reads <= len({key for pair in want for key in (pair.a, pair.b)}) + 200


def test_limit_keeps_the_first_pairs_and_the_total(pooled):
    want = compare(pooled, threshold=0.5)
    found, _ = find_all(pooled, 0.5, limit=10)
    assert found.pairs == want[:10]
    assert (found.total, found.approximate) == (len(want), False)


def small_batch_check(seed: int, count: int, threshold: float) -> None:
    """Texts from a small sentence pool, with copies, short and empty ones: find gives compare's pairs."""
    rng = random.Random(seed)
    pool = [sentence(rng) for _ in range(12)]
    texts: dict[str, str] = {}
    for index in range(count):
        kind = rng.random()
        if kind < 0.1:
            body = rng.choice(["", " \n", "12", "走访", "走访农户300户"])
        elif kind < 0.3 and texts:
            body = rng.choice(list(texts.values())) + rng.choice(["", "。", "另有一句话。"])
        else:
            body = "\n".join("".join(rng.sample(pool, rng.randint(1, 4))) for _ in range(rng.randint(1, 4)))
        texts[f"{index:02d}-{name(index)}"] = fill(body, rng)
    found, _ = find_all(texts, threshold)
    want = compare(texts, threshold=threshold)
    assert found.pairs == want
    assert (found.total, found.approximate) == (len(want), False)


SMALL_BATCHES = (st.integers(0, 10_000), st.integers(2, 14), st.sampled_from([0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95]))


@settings(max_examples=60, deadline=None)
@given(*SMALL_BATCHES)
def test_same_pairs_as_compare_on_small_random_batches(seed, count, threshold):
    small_batch_check(seed, count, threshold)


@settings(max_examples=60, deadline=None)
@given(*SMALL_BATCHES)
def test_same_pairs_through_the_bands_on_small_random_batches(seed, count, threshold):
    """Small batches are cheaper as all pairs; here the bands must do (each pair taken once, in its first band)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(nearcopies, "ALL_PAIRS_RATIO", math.inf)
        small_batch_check(seed, count, threshold)


@pytest.mark.parametrize(("threshold", "rows"), [(0.3, 0), (0.5, 0), (0.8, 4), (0.9, 6)])
def test_bands_are_used_where_they_save_work(pooled, threshold, rows):
    index = NearCopies(threshold)
    for key, text in pooled.items():
        index.add(key, sketch(text))
    search = nearcopies._Search(index)
    search.candidates(10_000)
    assert search.rows == rows  # 0: the bands would have enumerated more pairs than there are


def test_empty_bodies_are_like_nothing():
    texts = {"a": "", "b": "  \n", "c": "", "d": "走访农户，全年完成300户。"}
    found, reads = find_all(texts, 0.5)
    assert (found.pairs, found.total, found.approximate, reads) == ([], 0, False, 0)
    found, _ = find_all({**texts, "e": "走访农户，全年完成120户。"}, 0.5)
    assert [(p.a, p.b, p.score) for p in found.pairs] == [("d", "e", 1.0)]


# the sample library's seven cadres (tests/test_similarity.py builds them)


@pytest.fixture(scope="module")
def sample_batches(tmp_path_factory) -> dict[str, dict[str, str]]:
    from test_similarity import build_sample, same_duties_people

    tmp = tmp_path_factory.mktemp("sample")
    people = same_duties_people(tmp / "people.yaml")
    batches = {}
    for label, extra in (("one body", ("--variant", "1")), ("variants", ())):
        out = tmp / label
        result = build_sample(people, out, *extra, "--no-similar")
        assert result.exit_code == 0, result.output
        batches[label] = read_reports(out)
    return batches


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.8, 0.9])
@pytest.mark.parametrize("label", ["one body", "variants"])
def test_same_pairs_as_compare_on_the_sample_library(sample_batches, label, threshold):
    texts = sample_batches[label]
    assert len(texts) == 7
    want = compare(texts, threshold=threshold)
    found, reads = find_all(texts, threshold)
    assert found.pairs == want
    assert (found.total, found.approximate) == (len(want), False)
    assert reads <= 7
    if label == "one body" and threshold == 0.8:
        assert len(want) == 21  # every pair: the same body with other names and figures


def test_an_unreadable_report_drops_its_pairs():
    rng = random.Random(8)
    body = fill("".join(sentence(rng) for _ in range(30)), rng)
    texts = {"a.docx": body, "b.docx": body + "补充。", "c.docx": body.replace("全年", "今年", 1)}
    index = NearCopies(0.8)
    for key, text in texts.items():
        index.add(key, sketch(text))
    found = index.find(lambda key: None if key == "b.docx" else texts[key])
    assert [(p.a, p.b) for p in found.pairs] == [("a.docx", "c.docx")]
    assert found.pairs == compare({"a.docx": texts["a.docx"], "c.docx": texts["c.docx"]}, threshold=0.8)


# ------------------------------------------------------------------ a large batch


def library_texts(count: int, seed: int, planted: int) -> tuple[dict[str, str], set[tuple[str, str]]]:
    """Reports of one library (3 variants per subsection, a sentence of one's own in each: colleagues
    score 0.1-0.5), the last ``planted`` of them copies of earlier ones with name and figures changed."""
    rng = random.Random(seed)
    library = [["".join(sentence(rng) for _ in range(4)) for _ in range(3)] for _ in range(16)]
    texts: dict[str, str] = {}
    for index in range(count - planted):
        parts = [rng.choices(variants, [3, 2, 1])[0] + sentence(rng) for variants in library]
        texts[f"{name(index)}.docx"] = fill(f"我是{name(index)}，现将履职情况报告如下：\n" + "\n".join(parts), rng)
    keys = list(texts)
    copies = set()
    for copy in range(planted):
        source = keys[rng.randrange(len(keys))]
        key = f"{name(5000 + copy)}.docx"
        texts[key] = fill(texts[source].replace(name(keys.index(source)), name(5000 + copy)).replace("1", "{n}"), rng)
        copies.add((source, key))
    return texts, copies


def test_planted_copies_are_found_among_2000_reports():
    texts, copies = library_texts(2000, seed=9, planted=12)
    found, reads = find_all(texts, 0.8)
    assert {(p.a, p.b) for p in found.pairs} == copies
    assert (found.total, found.approximate) == (12, False)
    for pair in found.pairs:
        assert [pair] == compare({pair.a: texts[pair.a], pair.b: texts[pair.b]}, threshold=0.8)
    assert reads < 200


def test_memory_per_report():
    texts, _ = library_texts(2000, seed=10, planted=0)
    sketches = [sketch(text) for text in texts.values()]
    tracemalloc.start()
    try:
        index = NearCopies(0.8)
        for number, made in enumerate(sketches):
            index.add(f"2022年度述职述廉报告-{name(number)}.docx", made)  # keys made here: counted
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert len(index) == 2000
    assert held < 2.5e6 and held / 2000 < 1024


def degenerate_texts(count: int, seed: int = 11) -> dict[str, str]:
    """Everyone hands in the same text with their own name and figures: every pair ~0.95 alike."""
    rng = random.Random(seed)
    body = "\n".join("".join(sentence(rng) for _ in range(4)) for _ in range(12))
    return {f"{name(index)}.docx": fill(f"我是{name(index)}。\n" + body + sentence(rng), rng) for index in range(count)}


def test_a_batch_of_near_copies_stops_at_the_caps(monkeypatch):
    monkeypatch.setattr(nearcopies, "PAIR_BUDGET", 200_000)
    monkeypatch.setattr(nearcopies, "ESTIMATE_BUDGET", 60_000)
    monkeypatch.setattr(nearcopies, "READ_BUDGET", 150)
    monkeypatch.setattr(nearcopies, "DOC_BUDGET", 120)
    texts = degenerate_texts(1200)
    found, reads = find_all(texts, 0.8, limit=100)
    assert found.approximate
    assert found.total >= 50_000  # counted by estimate: a lower bound of the 719,400 pairs
    assert len(found.pairs) == 100 and reads <= 150
    assert all(p.score >= 0.8 for p in found.pairs)
    assert found.pairs == sorted(found.pairs, key=lambda p: (-p.score, p.a, p.b))
    some = found.pairs[0]
    assert [some] == compare({some.a: texts[some.a], some.b: texts[some.b]}, threshold=0.8)


@pytest.mark.slow
def test_ten_thousand_near_copies_stop_at_the_real_caps():
    """The caps as shipped, at full size: the work done is bounded (its time is bench_nearcopies' business)."""
    texts = degenerate_texts(10_000)
    index = NearCopies(0.8)
    for key, text in texts.items():
        index.add(key, sketch(text))
    found = index.find(texts.get)
    assert found.approximate and found.total >= 1_000_000 and len(found.pairs) == 1000
    assert index.reads <= nearcopies.READ_BUDGET


def test_bad_input():
    with pytest.raises(ValueError):
        NearCopies(1.5)
    with pytest.raises(ValueError):
        NearCopies(0.8).add("x", Sketch(3, b"\0" * 12))
    assert len(NearCopies(0.8)) == 0
    assert NearCopies(0.8).find(lambda key: None) == NearCopyResult([], 0, False)


def find_involving(texts: dict[str, str], threshold: float, involving: list[str], limit: int = 100_000,
                   ) -> NearCopyResult:
    index = NearCopies(threshold)
    for key, text in texts.items():
        index.add(key, sketch(text))
    return index.find(texts.get, limit=limit, involving=involving)


@pytest.mark.parametrize("threshold", [0.5, 0.8, 0.9])
def test_a_focused_search_finds_the_pairs_of_the_reports_involved(pooled, threshold):
    """``find(involving=)`` (a rerun that rendered a few reports) gives exactly the full search's
    pairs that have one of them, whether a run compares its involved members one by one
    (``_run_focused``) or every member in bulk (``_run``)."""
    everything, _ = find_all(pooled, threshold)
    keys = list(pooled)
    pairs = [(p.a, p.b) for p in everything.pairs]
    involved = [key for pair in pairs[::7] for key in pair][:6] + keys[::97]
    wanted = [p for p in everything.pairs if p.a in involved or p.b in involved]
    assert wanted  # the test means something
    for share in (nearcopies.FOCUSED_SHARE, 0, 10**9):  # as shipped, always one by one, always in bulk
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(nearcopies, "FOCUSED_SHARE", share)
            found = find_involving(pooled, threshold, involved)
        assert found.pairs == wanted and found.total == len(wanted) and not found.approximate


def test_a_focused_search_among_near_copies_at_the_caps_is_the_same_either_way(monkeypatch):
    """Among near copies the caps are reached; the involved members' pairs are met in the same order
    one by one as in bulk, so even the capped result (pairs, total, lower bound) is the same."""
    monkeypatch.setattr(nearcopies, "PAIR_BUDGET", 200_000)
    monkeypatch.setattr(nearcopies, "ESTIMATE_BUDGET", 3_000)
    monkeypatch.setattr(nearcopies, "READ_BUDGET", 150)
    monkeypatch.setattr(nearcopies, "DOC_BUDGET", 120)
    texts = degenerate_texts(1200)
    involved = list(texts)[5:1200:40]
    results = []
    for share in (0, 10**9):
        monkeypatch.setattr(nearcopies, "FOCUSED_SHARE", share)
        results.append(find_involving(texts, 0.8, involved, limit=100))
    assert results[0] == results[1]
    assert results[0].approximate and len(results[0].pairs) == 100
    assert all(p.a in involved or p.b in involved for p in results[0].pairs)


def test_budget_share_is_the_share_of_pairs_that_have_an_involved_report():
    from assembler.library.nearcopies import budget_share

    assert budget_share(0, 10) == 0.0 and budget_share(10, 10) == 1.0 and budget_share(1, 0) == 1.0
    assert budget_share(3, 10) == pytest.approx(0.51)  # 1 - 0.7²
    everything = {(a, b) for a in range(10) for b in range(a + 1, 10)}
    assert budget_share(3, 10) == pytest.approx(sum(1 for a, b in everything if a < 3 or b < 3) / len(everything),
                                                abs=0.05)  # up to the pairs of a report with itself


def test_a_focused_search_with_a_share_of_the_budget_reads_that_share(monkeypatch):
    """A rerun after a capped full search gives its focused search the share of the caps the full one
    spent on those pairs: it reads at most that share of the reports, and still says it is a bound."""
    monkeypatch.setattr(nearcopies, "PAIR_BUDGET", 200_000)
    monkeypatch.setattr(nearcopies, "ESTIMATE_BUDGET", 60_000)
    monkeypatch.setattr(nearcopies, "READ_BUDGET", 150)
    monkeypatch.setattr(nearcopies, "DOC_BUDGET", 120)
    texts = degenerate_texts(1200)
    involved = list(texts)[::4]
    index = NearCopies(0.8)
    for key, text in texts.items():
        index.add(key, sketch(text))
    whole = index.find(texts.get, limit=100, involving=involved)
    assert index.reads > 100  # the whole caps: up to 150 reports read
    share = nearcopies.budget_share(len(involved), len(texts))
    assert 0.4 < share < 0.5
    part = index.find(texts.get, limit=100, involving=involved, budget=share)
    assert index.reads <= int(150 * share)
    assert part.approximate and whole.approximate and len(part.pairs) == 100
    assert all(p.a in involved or p.b in involved for p in part.pairs)
    assert all(p.score >= 0.8 for p in part.pairs)
    assert index.find(texts.get, limit=100, involving=involved, budget=1.0) == whole
