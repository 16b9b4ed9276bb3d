"""fingerprint.py: one hash of everything that shapes a report, stable and canonical."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from assembler import pipeline
from assembler.build.fingerprint import BatchFingerprint, canonical, file_digest, person_values, text_digest
from assembler.load.values import CnDate, Num, TextList

MINI = Path(__file__).parent / "fixtures" / "mini"


def prints(**changes) -> BatchFingerprint:
    inputs = {"base_template": b"base", "rules": b"title: x\n", "snippets": {"a": b"A\n", "b": b"B\n"}}
    inputs.update(changes)
    return BatchFingerprint(**inputs)


def test_same_inputs_same_fingerprint_whatever_the_column_order():
    one = prints().person(["a", "b"], {}, {"姓名": "张三", "次数": 3}, "张三.docx")
    two = prints().person(["a", "b"], {}, {"次数": 3, "姓名": "张三"}, "张三.docx")
    assert one == two and len(one) == 64


def test_each_input_counts():
    base = prints().person(["a", "b"], {"a": 1}, {"姓名": "张三", "次数": 3}, "张三.docx")
    others = [
        prints(base_template=b"other").person(["a", "b"], {"a": 1}, {"姓名": "张三", "次数": 3}, "张三.docx"),
        prints(rules=b"title: y\n").person(["a", "b"], {"a": 1}, {"姓名": "张三", "次数": 3}, "张三.docx"),
        prints(snippets={"a": b"A2\n", "b": b"B\n"}).person(["a", "b"], {"a": 1}, {"姓名": "张三", "次数": 3}, "张三.docx"),
        prints().person(["b", "a"], {"a": 1}, {"姓名": "张三", "次数": 3}, "张三.docx"),  # order is content
        prints().person(["a"], {"a": 1}, {"姓名": "张三", "次数": 3}, "张三.docx"),
        prints().person(["a", "b"], {"a": 2}, {"姓名": "张三", "次数": 3}, "张三.docx"),
        prints().person(["a", "b"], {"a": 1}, {"姓名": "张三", "次数": 4}, "张三.docx"),
        prints().person(["a", "b"], {"a": 1}, {"姓名": "张三", "次数": "3"}, "张三.docx"),  # a type is content
        prints().person(["a", "b"], {"a": 1}, {"姓名": "张三", "次数": 3}, "张三-2.docx"),
        BatchFingerprint(base_template=b"base", rules=b"title: x\n", snippets={"a": b"A\n", "b": b"B\n"},
                         version="9.9").person(["a", "b"], {"a": 1}, {"姓名": "张三", "次数": 3}, "张三.docx"),
    ]
    assert len({base, *others}) == len(others) + 1
    # what does not shape this report: another snippet's text, line endings, the context's own "variants"
    assert prints(snippets={"a": b"A\r\n", "b": b"B2\n"}).person(["a"], {"a": 1}, {"姓名": "张三", "次数": 3},
                                                                  "张三.docx") == \
        prints().person(["a"], {"a": 1}, {"姓名": "张三", "次数": 3, "variants": {"a": 1}}, "张三.docx")


def test_values_encoded_once_give_the_fingerprint_the_scheme_defines():
    """A plan keeps its values' digest (``person_values``, in the plan cache); the fingerprint made
    from it is byte for byte the one the scheme defines (computed here from its definition), whether
    the values are encoded now or were before."""
    import hashlib
    import json

    from assembler import __version__

    context = {"姓名": "张三", "次数": 3, "日期": CnDate(2022, 3, 1), "分工": TextList(["甲", "乙"]), "x": "\ud800",
               "金额": Num("12.50"), "variants": {"a": 1}}
    shared = hashlib.sha256()
    for part in ("assembler-fingerprint/2", __version__, hashlib.sha256(b"base").hexdigest(), text_digest(b"title: x\n")):
        shared.update(part.encode("utf-8", "surrogatepass") + b"\0")
    values = sorted([str(name), canonical(value)] for name, value in context.items() if name != "variants")
    values_digest = hashlib.sha256(json.dumps(values, ensure_ascii=False, separators=(",", ":"))
                                   .encode("utf-8", "surrogatepass")).hexdigest()
    shared.update(json.dumps(["张三.docx", [["a", text_digest(b"A\n"), 1], ["b", text_digest(b"B\n"), None]],
                              values_digest], ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass"))
    expected = shared.hexdigest()
    assert prints().person(["a", "b"], {"a": 1}, context, "张三.docx") == expected
    assert prints().person(["a", "b"], {"a": 1}, context, "张三.docx", values=person_values(context)) == expected
    assert prints().person(["a", "b"], {"a": 1}, {}, "张三.docx", values=person_values(context)) == expected


def test_canonical_keeps_types_apart():
    values = [3, 3.0, Num("3.0"), "3", True, None, CnDate(2022, 3, 1), dt.date(2022, 3, 1), TextList(["甲", "乙"]),
              ["甲", "乙"], "甲、乙", {"a": 1}]
    assert len({repr(canonical(value)) for value in values}) == len(values)


def test_a_lone_surrogate_in_a_value_is_hashed_not_refused():
    """Found by the fuzzer (common values, test_hardening_data): '\\ud800' reached the fingerprint."""
    assert len(prints().person(["a"], {}, {"x": "\ud800"}, "x.docx")) == 64


def test_for_project_reads_the_files_the_report_depends_on():
    project = pipeline.load_project(MINI / "rules.yaml", MINI / "checklist.md")
    batch = BatchFingerprint.for_project(project)
    party = MINI / "snippets" / "duties" / "party.md"
    assert batch.snippets["duties.party"] == text_digest(party.read_bytes())
    assert set(batch.snippets) == set(project.rules.entry_ids())
    assert file_digest(b"abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
