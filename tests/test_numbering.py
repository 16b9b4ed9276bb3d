"""numbering.py: how a heading number is spelled and recognised."""

import pytest

from assembler.numbering import LEVEL1_TEXT, LEVEL2_NUMBER, NUMBER_PREFIX, chinese_number, section_label


@pytest.mark.parametrize(("n", "text"), [(1, "一"), (10, "十"), (11, "十一"), (20, "二十"), (21, "二十一"), (99, "九十九"),
                                          (100, "一百"), (101, "一百零一"), (110, "一百一十")])
def test_chinese_numbers(n, text):
    assert chinese_number(n) == text


def test_section_labels_and_prefixes_agree():
    """What the checklist writes in front of a section is what the readers of a report strip."""
    for n in (1, 9, 10, 21, 101):
        label = section_label(n)
        assert label == chinese_number(n) + "、"
        assert NUMBER_PREFIX.sub("", label + "党建工作") == "党建工作"
        assert LEVEL1_TEXT.match(label + " 党建工作").group("rest") == "党建工作"
    assert LEVEL2_NUMBER.match("（" + chinese_number(12) + "）") and LEVEL2_NUMBER.match("(三)")
    assert not LEVEL2_NUMBER.match("（12）")
    assert NUMBER_PREFIX.sub("", "3．学习") == "学习" and NUMBER_PREFIX.sub("", "三是学习") == "三是学习"
