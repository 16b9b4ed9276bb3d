"""build/results.py: a batch's results, as stored on disk and as manifest.json has them."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

from assembler.build.results import ReportResult, TextChecks
from assembler.build.variants import Variants


def test_a_result_comes_back_from_its_pickle_with_every_field():
    """Results are pickled as their fields (paths as text): every field must come back, a path as a path."""
    result = ReportResult(
        row=7, name="张三", status="skipped", file=Path("/out/张三.docx"), pdf=Path("/out/张三.pdf"),
        snippets=["a", "b"], warnings=["警告"], errors=["错误"], variants=Variants((("a", 2),)),
        library=("abc123", True), chars=1234, change="unchanged", fingerprint="f" * 64, sha256="s" * 64,
        edited=Path("/out/张三（旧）.docx"), sketch="c2tldGNo", stat=(12011, 1796426467544431084),
        text_checks=TextChecks(("占位符",), ("文风",), True))
    names = [field.name for field in dataclasses.fields(ReportResult)]
    assert all(getattr(result, name) not in (None, [], {}) for name in names)  # every field set: the test means something
    back = pickle.loads(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == result
    assert all(type(getattr(back, name)) is type(getattr(result, name)) for name in names)


def test_text_checks_from_a_manifest_entry_take_only_what_they_can():
    assert TextChecks.from_manifest({"warnings": ["a"], "style": ["b"], "style_errors": True}) == \
        TextChecks(("a",), ("b",), True)
    assert TextChecks.from_manifest({"warnings": ["a"], "style": []}) == TextChecks(("a",), (), False)
    for broken in (None, [], {"warnings": "a", "style": []}, {"warnings": [1], "style": []}, {"style": []}):
        assert TextChecks.from_manifest(broken) is None
