"""jsonfast.py: orjson where installed, the standard library in LibreOffice's Python: the same bytes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assembler import jsonfast

_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63 - 1) | st.text(max_size=8)
    | st.sampled_from(["\x00\x1f\x7f\u2028", "\\\"/\b\f\n\r\t", "中文"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=20)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(_VALUES)
def test_orjson_and_the_standard_library_write_and_read_the_same(value):
    assert jsonfast.orjson is not None  # the command line's environment has it (pyproject.toml)
    fast = jsonfast.dumps(value)
    assert fast == json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert jsonfast.loads(fast) == json.loads(fast) == value


def test_without_orjson_the_same_manifest_entries_and_index(monkeypatch, mini, tmp_path):
    """As in LibreOffice's Python (no orjson): each report's manifest entry and index row are the same
    bytes, a rerun reads the index either wrote, and a lone surrogate is refused alike."""
    from assembler import pipeline
    from assembler.build.incremental import ReportIndex
    from assembler.build.manifest_index import index_row
    from assembler.output import _entry_bytes

    project = pipeline.load_project(mini / "rules.yaml", mini / "checklist.md")
    out = tmp_path / "out"
    pipeline.build(project, mini / "people.yaml", out, jobs=1)
    entries = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["reports"]
    fast = [(_entry_bytes(entry), jsonfast.dumps(index_row(entry))) for entry in entries]
    with_orjson = ReportIndex.load(out)
    monkeypatch.setattr(jsonfast, "orjson", None)
    assert [(_entry_bytes(entry), jsonfast.dumps(index_row(entry))) for entry in entries] == fast
    read = ReportIndex.load(out)  # the index orjson wrote, read by json
    assert [read._records[name] for name in read.names()] == [with_orjson._records[name] for name in with_orjson.names()]
    again = pipeline.build(project, mini / "people.yaml", out, jobs=1)  # writes the index with json
    assert again.changes()["unchanged"] == 3 and (out / ".assembler-index").is_file()
    assert ReportIndex.load(out).head == with_orjson.head | {"changes": again.changes(), "summary": again.counts(),
                                                            "created": ReportIndex.load(out).head["created"]}
    with pytest.raises(jsonfast.Refused):
        jsonfast.dumps(["\ud800"])
