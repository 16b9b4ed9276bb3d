import os

import pytest

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
