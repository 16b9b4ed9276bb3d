import datetime
import json
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assembler.output import NameAllocator, atomic_write, remove_stale_temps, safe_filename


@pytest.mark.parametrize(("raw", "expected"), [
    ("2022年度述职述廉报告-张三", "2022年度述职述廉报告-张三"),
    ("../../etc/passwd", "_.._etc_passwd"),
    ("/abs/path", "_abs_path"),
    ("CON", "_CON"),
    ("nul.txt", "_nul.txt"),
    ("名字. . ", "名字"),
    ("a:b*c?d", "a_b_c_d"),
    ("", "未命名"),
    ("...", "未命名"),
])
def test_safe_filename(raw, expected):
    assert safe_filename(raw) == expected


def test_long_names_are_bounded():
    name = safe_filename("长" * 300)
    assert len(name.encode("utf-8")) <= 180 and name


def test_same_name_gets_distinct_files():
    names = NameAllocator()
    assert [names.allocate("张三", ".docx") for _ in range(3)] == ["张三.docx", "张三-2.docx", "张三-3.docx"]


def test_atomic_write_leaves_no_temp(tmp_path):
    target = tmp_path / "a.docx"
    atomic_write(target, b"data")
    assert target.read_bytes() == b"data"
    assert os.listdir(tmp_path) == ["a.docx"]


def test_stale_temps_removed(tmp_path):
    (tmp_path / ".~assembler-x.tmp").write_bytes(b"half")
    (tmp_path / "keep.docx").write_bytes(b"x")
    removed = remove_stale_temps(tmp_path)
    assert [p.name for p in removed] == [".~assembler-x.tmp"]
    assert os.listdir(tmp_path) == ["keep.docx"]


def test_allocator_keeps_a_numbered_long_name_within_the_limit():
    from assembler.output import MAX_NAME_BYTES

    stem = safe_filename("2022年度述职述廉报告-" + "0" * 300)
    assert len(stem.encode("utf-8")) == MAX_NAME_BYTES
    names = NameAllocator()
    first, second, third = (names.allocate(stem, ".docx") for _ in range(3))
    assert first == stem + ".docx"
    assert second.endswith("0-2.docx") and third.endswith("0-3.docx")
    for name in (second, third):
        assert len(name.removesuffix(".docx").encode("utf-8")) == MAX_NAME_BYTES
        assert safe_filename(name.removesuffix(".docx")) + ".docx" == name


@pytest.mark.parametrize("count", [0, 1, 3])
def test_manifest_written_report_by_report_reads_as_json_dumps(tmp_path, count):
    from assembler.output import write_manifest

    reports = [{"row": n + 2, "name": f"人员{n}", "warnings": ["多行\n值", "\x00reports\x00"],
                "variants": {"a": 1}, "nested": {"list": [1, {"x": None}]}} for n in range(count)]
    data = {"tool": "assembler", "warnings": ["警告\ud800"], "summary": {"written": count},
            "reports": reports, "similar": [], "after": "reports"}
    path = write_manifest(tmp_path, {**data, "reports": (r for r in reports)})  # a generator, written one by one
    expected = json.dumps(data, ensure_ascii=False, indent=2).replace("\ud800", "\ufffd")
    assert path.read_text(encoding="utf-8") == expected
    assert json.loads(path.read_text(encoding="utf-8"))["reports"] == reports


# ------------------------------------------------------------------ file modes follow the umask


def _with_umask(mask: int):
    import contextlib
    import os

    @contextlib.contextmanager
    def scope():
        old = os.umask(mask)
        try:
            yield
        finally:
            os.umask(old)

    return scope()


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o027, 0o640)])
def test_everything_written_follows_the_umask(mini, tmp_path, mask, mode):
    """.docx, manifest.json, a checklist and the .oxt get 0666 less the umask, as an editor's files do."""
    from click.testing import CliRunner

    from assembler.cli import main

    with _with_umask(mask):
        out = tmp_path / "out"
        result = CliRunner().invoke(main, ["build", str(mini / "rules.yaml"), "--people", str(mini / "people.yaml"),
                                           "--checklist", str(mini / "checklist.md"), "-o", str(out)])
        assert result.exit_code == 0, result.output
        checklist = tmp_path / "checklist.md"
        assert CliRunner().invoke(main, ["checklist", str(mini / "rules.yaml"), "-o", str(checklist)]).exit_code == 0
        oxt = tmp_path / "assembler.oxt"
        assert CliRunner().invoke(main, ["oxt", "-o", str(oxt)]).exit_code == 0
    written = [*out.glob("*.docx"), out / "manifest.json", checklist, oxt]
    assert len(written) == 6
    assert {path.name: path.stat().st_mode & 0o777 for path in written} == {path.name: mode for path in written}


def test_replacing_a_file_keeps_its_mode(tmp_path):
    target = tmp_path / "checklist.md"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o664)
    with _with_umask(0o077):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o664


def _json_values(leaves: st.SearchStrategy) -> st.SearchStrategy:
    """Values built of ``leaves`` in lists, tuples and maps (keys: strings and what json turns into one)."""
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=4) | st.integers(-5, 5) | st.booleans() | st.none(), inner, max_size=4),
        max_leaves=20)


_JSON = _json_values(st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30) | st.floats()
                     | st.text(max_size=8))


@settings(derandomize=True, max_examples=400, deadline=None)
@given(_JSON)
def test_indented_json_is_json_dumps_indent_2_byte_for_byte(value):
    """The manifest's hand-made layout (``indented_json``, with its fast paths for strings and plain
    ints) against ``json.dumps(indent=2)``, on any JSON value: bools are not ints, big ints, NaN,
    keys that are not strings."""
    from assembler.output import indented_json

    assert indented_json(value) == json.dumps(value, ensure_ascii=False, indent=2, default=str)
    assert indented_json({"reports": [value, 1, True]}, "\n    ") == \
        json.dumps({"reports": [value, 1, True]}, ensure_ascii=False, indent=2, default=str).replace("\n", "\n    ")


_ENTRY = _json_values(st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30)
                      | st.text(max_size=8)
                      | st.sampled_from(["\x00\x1f\x7f\u2028\u2029\ud800", "\\\"/\b\f\n\r\t", "é中"]))


@settings(derandomize=True, max_examples=400, deadline=None)
@given(_ENTRY)
def test_a_report_entry_is_written_as_json_dumps_indent_2_would_write_it(value):
    """A report's entry in manifest.json (orjson, with the hand-indented encoder where orjson refuses:
    a lone surrogate, an int past 64 bits, a key that is not a string) against json.dumps(indent=2),
    indented under ``reports``, on any value an entry can hold (no floats: no entry has one)."""
    from assembler.output import _entry_bytes

    expected = json.dumps(value, ensure_ascii=False, indent=2, default=str).replace("\n", "\n    ")
    assert _entry_bytes(value) == expected.replace("\ud800", "\ufffd").encode("utf-8")


@pytest.mark.parametrize("value", [
    {"name": "张三", "warnings": ["多行\n值"], "n": 2**63, "big": -(2**64)},  # past orjson's ints
    {"name": "\ud800"},  # a lone surrogate, written as U+FFFD
    {2: "a", None: "b", True: "c"},  # keys json turns into strings
    {"file": Path("a.docx"), "when": datetime.date(2026, 1, 2)},  # default=str
])
def test_an_entry_orjson_refuses_or_would_spell_otherwise_is_written_as_json_dumps(value):
    from assembler.output import _entry_bytes

    expected = json.dumps(value, ensure_ascii=False, indent=2, default=str).replace("\n", "\n    ")
    assert _entry_bytes(value) == expected.replace("\ud800", "\ufffd").encode("utf-8")
