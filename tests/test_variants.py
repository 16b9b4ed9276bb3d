"""variants.py: dealing snippet bodies over a batch, one person at a time, in hashed order."""

from __future__ import annotations

import hashlib
import random

from assembler.build.variants import VariantDealer, Variants


def _reference(counts, people, pin=None):
    """The rule as first written (whole lists in memory): holders sorted by sha256 hex, then row."""
    chosen = [{} for _ in people]
    for snippet_id, count in counts:
        if count < 2:
            continue
        holders = [i for i, (_, _, included) in enumerate(people) if snippet_id in included]
        holders.sort(key=lambda i: (hashlib.sha256(f"{snippet_id}\0{people[i][0]}".encode()).hexdigest(), people[i][1]))
        for turn, i in enumerate(holders):
            chosen[i][snippet_id] = min(max(pin, 1), count) if pin else turn % count + 1
    return chosen


def _deal(counts, people, pin=None):
    dealer = VariantDealer(counts, pin)
    indexes = [dealer.add(name, row, included) for name, row, included in people]
    dealer.deal()
    return [dict(dealer.chosen(index)) for index in indexes]


def _people(seed, size):
    rng = random.Random(seed)
    names = [f"{rng.choice('张王李赵刘陈杨')}{rng.choice('明华伟芳静丽强')}{n % 37}" for n in range(size)]
    snippets = ["study/a", "party/b", "village/c", "clean/d"]
    return [(name, row + 2, {s for s in snippets if rng.random() < 0.7}) for row, name in enumerate(names)]


def test_dealer_equals_the_whole_list_rule_on_varied_batches():
    counts = [("study/a", 3), ("party/b", 2), ("village/c", 1), ("clean/d", 4)]
    for seed in range(5):
        people = _people(seed, 300)  # names repeat (n % 37): ties fall back to the row
        assert _deal(counts, people) == _reference(counts, people)


def test_holders_of_a_snippet_get_its_bodies_in_turn():
    counts = [("study/a", 3)]
    people = [(f"人员{n}", n + 2, {"study/a"}) for n in range(90)]
    dealt = _deal(counts, people)
    assert sorted(d["study/a"] for d in dealt) == [1] * 30 + [2] * 30 + [3] * 30


def test_a_person_without_the_snippet_gets_no_body_and_single_bodies_are_not_dealt():
    counts = [("study/a", 2), ("party/b", 1)]
    people = [("张三", 2, {"party/b"}), ("李四", 3, {"study/a", "party/b"})]
    assert _deal(counts, people) == [{}, {"study/a": 1}]


def test_pin_gives_everyone_the_same_body_within_range():
    counts = [("study/a", 3), ("party/b", 2)]
    people = _people(7, 50)
    for pin, expected in [(2, {"study/a": 2, "party/b": 2}), (9, {"study/a": 3, "party/b": 2})]:
        for dealt, (_, _, included) in zip(_deal(counts, people, pin), people, strict=True):
            assert dealt == {k: v for k, v in expected.items() if k in included}


def test_choice_is_stable_whoever_else_is_in_the_batch_order():
    counts = [("study/a", 2)]
    people = _people(3, 40)
    shuffled = people[:]
    random.Random(1).shuffle(shuffled)
    by_row = {row: d for (_, row, _), d in zip(people, _deal(counts, people), strict=True)}
    again = {row: d for (_, row, _), d in zip(shuffled, _deal(counts, shuffled), strict=True)}
    assert by_row == again


def test_variants_mapping_reads_the_shared_pairs():
    variants = Variants((("study/a", 2), ("clean/d", 1)))
    assert dict(variants) == {"study/a": 2, "clean/d": 1}
    assert variants["clean/d"] == 1 and len(variants) == 2 and "party/b" not in variants
