"""dataitems.py: YAML and JSON people files read one item at a time (and people.py on top of it)."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from assembler.errors import InputError
from assembler.load.dataitems import json_items, yaml_items
from assembler.load.people import _Source, open_people, read_people


def test_json_items_come_one_by_one_with_their_index(tmp_path):
    path = tmp_path / "p.json"
    rows = [{"姓名": "张三", "分管": ["党建", "廉政"], "金额": 12.5, "次数": 3, "无": None, "是": True},
            {"姓名": "李四", "嵌套": {"a": [1, {"b": "c"}]}}]
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    items = json_items(path, "utf-8")
    assert next(items) == (1, None, rows[0])
    assert list(items) == [(2, None, rows[1])]
    assert type(rows[0]["金额"]) is float and type(rows[0]["次数"]) is int


def test_json_in_gbk_with_bom_less_utf8_and_bom(tmp_path):
    rows = [{"姓名": "张三", "单位": "青山镇"}]
    for encoding, data in (("gb18030", json.dumps(rows, ensure_ascii=False).encode("gbk")),
                           ("utf-8-sig", b"\xef\xbb\xbf" + json.dumps(rows, ensure_ascii=False).encode())):
        path = tmp_path / f"{encoding}.json"
        path.write_bytes(data)
        assert [item for _, _, item in json_items(path, encoding)] == rows
        assert read_people(path).rows[0].values == rows[0]


@pytest.mark.parametrize("raw", [
    '[{"姓名": "甲一", "选稿": "\\udc00"}]',  # a lone surrogate escape: yajl refuses, json reads it (fuzzer)
    '[{"姓名": "甲一", "分管工作": 9223372036854775808}]',  # beyond 64 bits (fuzzer)
    '[{"姓名": "甲一", "职务": "00\\ud8000"}]',  # a lone high surrogate: yajl would give "?" (fuzzer)
    '[{"姓名": "甲一", "职务": "a\\ud83d\\ude00b"}]',  # a pair: fine either way, read whole too
])
def test_json_the_streaming_parser_refuses_is_read_whole_as_before(tmp_path, raw):
    path = tmp_path / "p.json"
    path.write_text(raw, encoding="utf-8")
    assert [row.values for row in read_people(path).rows] == json.loads(raw)


def test_json_duplicate_key_in_an_item_is_refused_with_its_row(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('[{"姓名": "甲"}, {"姓名": "乙", "单位": "x", "单位": "y"}]', encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_people(path)
    assert "“单位”在同一项中重复出现" in info.value.message and info.value.row == 2


def test_json_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('[\n{"姓名": "甲"},\n{"姓名": "乙",}\n]', encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_people(path)
    assert "JSON 格式错误" in info.value.message and info.value.line == 3


@pytest.mark.parametrize(("text", "expected"), [('{"姓名": "甲"}', "一个映射"), ("null", "空的"), ("3", "“3”")])
def test_json_not_a_list(tmp_path, text, expected):
    path = tmp_path / "p.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_people(path)
    assert expected in info.value.message


def test_yaml_items_keep_their_lines(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("# 人员\n- 姓名: 张三\n  分管: [党建, 廉政]\n\n- {姓名: 李四, 次数: 3}\n"
                    "- 姓名: 王五\n  说明: |\n    两行\n    文字\n", encoding="utf-8")
    items = list(yaml_items(path, "utf-8"))
    assert [(index, line) for index, line, _ in items] == [(1, 2), (2, 5), (3, 6)]
    assert items[0][2] == {"姓名": "张三", "分管": ["党建", "廉政"]}
    assert items[2][2] == {"姓名": "王五", "说明": "两行\n文字\n"}
    assert type(items[0][2]) is dict  # plain containers, not the line-remembering ones


@pytest.mark.parametrize(("text", "message", "line"), [
    ("- {姓名: 甲}\n- &a {姓名: 乙}\n- *a\n", "锚点", 2),
    ("- 姓名: 甲\n  姓名: 乙\n", "重复", 2),
    ("- {姓名: 甲}\n---\n- {姓名: 乙}\n", "多个 YAML 文档", 2),
    ("- {姓名: 甲\n", "YAML 格式错误", 2),
    ("姓名: 甲\n", "一个映射", 1),
    ("- 甲\n", "不是“列名: 值”的映射", 1),
])
def test_yaml_problems_name_the_line(tmp_path, text, message, line):
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_people(path)
    assert message in info.value.message and info.value.line == line, info.value.format()


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_people_files_stream_in_flat_memory(tmp_path, suffix, monkeypatch):
    """Reading 10x the people must not take 10x the memory (the rows wait on disk). The encoding
    check reads pieces of the file (1 MB); smaller here, so that both files are several pieces."""
    monkeypatch.setattr(_Source, "PIECE", 8192)
    peaks = []
    for count in (300, 3000):
        path = tmp_path / f"people{count}{suffix}"
        rows = [{"姓名": f"人员{n}", "单位": "青山镇" * 5, "分管工作": ["党建", "廉政", "驻村帮扶"], "次数": n}
                for n in range(count)]
        text = json.dumps(rows, ensure_ascii=False)
        path.write_text(text if suffix == ".json" else "\n".join(f"- {json.dumps(r, ensure_ascii=False)}"
                                                                 for r in rows), encoding="utf-8")
        tracemalloc.start()
        stream = open_people(Path(path))
        seen = sum(1 for _ in stream.rows)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert seen == count and stream.headers == ["姓名", "单位", "分管工作", "次数"]
    assert peaks[1] < 1.5 * peaks[0], peaks
