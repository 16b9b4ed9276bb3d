"""values.py: declared variables and the typing of what people fill in."""

from __future__ import annotations

import copy
import datetime as dt
import pickle
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import Environment
from lxml import etree

from assembler.errors import InputError
from assembler.load.values import (
    VAR_TYPES,
    CnDate,
    Num,
    TextList,
    VarSpec,
    clean_text,
    convert,
    is_blank,
)

TEXT = VarSpec("t")
INT = VarSpec("grid_cells", "int", label="网格数")
NUMBER = VarSpec("investment", "number", label="项目投资（万元）")
DATE = VarSpec("report_date", "date", label="报告日期")
LIST = VarSpec("duties", "list", label="分管工作")
BOOL = VarSpec("has_grid", "bool")


def err(value, spec) -> str:
    with pytest.raises(ValueError) as info:
        convert(value, spec)
    return str(info.value)


# ---------------------------------------------------------------- VarSpec


def test_var_types():
    assert VAR_TYPES == ("text", "int", "number", "date", "list", "bool")


@pytest.mark.parametrize("raw", [None, {}])
def test_from_yaml_empty_is_text(raw):
    spec = VarSpec.from_yaml("name", raw, file="rules.yaml", line=3)
    assert spec == VarSpec(name="name", type="text", label=None, default=None, example=None)
    assert spec.display == "name"


def test_from_yaml_full():
    spec = VarSpec.from_yaml("grid_cells", {"type": "int", "label": " 网格数 ", "default": 0, "example": 20},
                             file="a.md", line=6)
    assert (spec.name, spec.type, spec.label) == ("grid_cells", "int", "网格数")
    assert (spec.default, spec.example) == (0, 20)
    assert spec.display == "网格数（grid_cells）"


def test_from_yaml_chinese_name():
    assert VarSpec.from_yaml("网格数", {"type": "int"}, file="a.md", line=1).name == "网格数"


def test_from_yaml_unknown_key_lists_allowed_keys():
    with pytest.raises(InputError) as info:
        VarSpec.from_yaml("x", {"type": "int", "lable": "网格"}, file="snip.md", line=7)
    exc = info.value
    assert exc.file == "snip.md" and exc.line == 7
    assert "lable" in exc.message
    for key in ("type", "label", "default", "example"):
        assert key in exc.message
    assert str(exc).startswith("错误：snip.md:7:")


def test_from_yaml_unknown_type_names_allowed_types():
    with pytest.raises(InputError) as info:
        VarSpec.from_yaml("x", {"type": "integer"}, file="rules.yaml", line=9)
    assert "integer" in info.value.message
    for name in VAR_TYPES:
        assert name in info.value.message
    assert info.value.line == 9


@pytest.mark.parametrize("name", ["1abc", "a-b", "网格 数", "", "for", "true"])
def test_from_yaml_bad_name(name):
    with pytest.raises(InputError) as info:
        VarSpec.from_yaml(name, {}, file="rules.yaml", line=2)
    assert "变量名" in info.value.message and "grid_cells" in info.value.message


@pytest.mark.parametrize("label", [12, "", "  ", ["a"]])
def test_from_yaml_bad_label(label):
    with pytest.raises(InputError) as info:
        VarSpec.from_yaml("x", {"label": label}, file="rules.yaml", line=2)
    assert "label" in info.value.message


def test_from_yaml_not_a_mapping():
    with pytest.raises(InputError) as info:
        VarSpec.from_yaml("year", "int", file="rules.yaml", line=4)
    assert "year: {type: int" in info.value.message


def test_from_yaml_bad_default_is_caught_early():
    with pytest.raises(InputError) as info:
        VarSpec.from_yaml("grid_cells", {"type": "int", "default": "很多"}, file="g.md", line=6)
    message = info.value.message
    assert "默认值" in message and "很多" in message and "不是整数" in message


def test_from_yaml_yaml_date_example_is_fine():
    spec = VarSpec.from_yaml("d", {"type": "date", "example": dt.date(2021, 3, 1)}, file="x", line=1)
    assert spec.example == dt.date(2021, 3, 1)


def test_display_without_label():
    assert VarSpec("year", "int").display == "year"


# ---------------------------------------------------------------- text


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("  青山镇 ", "青山镇"),
        (5, "5"),
        (5.0, "5"),
        (12.5, "12.5"),
        (0.1 + 0.2, "0.3"),
        (dt.datetime(2022, 3, 1, 0, 0), "2022年3月1日"),
        (dt.date(2021, 12, 25), "2021年12月25日"),
        (True, "是"),
        (False, "否"),
        (["党建", "驻村帮扶"], "党建、驻村帮扶"),
        (Num("12.50"), "12.50"),
    ],
)
def test_text(raw, expected):
    value = convert(raw, TEXT)
    assert type(value) is str and value == expected


def test_text_refuses_mapping():
    assert "不是文本" in err({"a": 1}, TEXT)


# ---------------------------------------------------------------- int


@pytest.mark.parametrize(
    "raw, expected",
    [(5, 5), (5.0, 5), ("5", 5), (" 5 ", 5), ("1,200", 1200), ("1，200", 1200), ("５", 5), ("-3", -3),
     ("12.0", 12), (0, 0), (1_000_000, 1_000_000), (4.000000000000001, 4)],
)
def test_int(raw, expected):
    value = convert(raw, INT)
    assert type(value) is int and value == expected


def test_int_chinese_numerals_message():
    assert err("十二", INT) == "“十二”不是整数，请填写阿拉伯数字，如 12"


@pytest.mark.parametrize("raw", [5.5, "5.5", "1,200.5"])
def test_int_refuses_fraction(raw):
    message = err(raw, INT)
    assert "不是整数" in message and "不带小数" in message


@pytest.mark.parametrize("raw", ["abc", "12个", "1,2", "1,20,0", True, float("nan"), [1], "五"])
def test_int_refuses(raw):
    message = err(raw, INT)
    assert "不是整数" in message and "12" in message


def test_int_message_for_unit():
    assert "不要带单位" in err("12个", INT)


# ---------------------------------------------------------------- number


@pytest.mark.parametrize(
    "raw, text, number",
    [
        (5.0, "5", 5.0),
        (5, "5", 5.0),
        (12.5, "12.5", 12.5),
        ("12.50", "12.50", 12.5),
        ("1,200.5", "1200.5", 1200.5),
        ("1，200.5", "1200.5", 1200.5),
        (" 3 ", "3", 3.0),
        ("+3", "3", 3.0),
        ("-0.5", "-0.5", -0.5),
        ("\u22120.5", "-0.5", -0.5),
        (".5", "0.5", 0.5),
        ("１２.５", "12.5", 12.5),
        (0.1 + 0.2, "0.3", 0.3),
        (1e20, "100000000000000000000", 1e20),
        (Decimal("2.50"), "2.5", 2.5),
    ],
)
def test_number(raw, text, number):
    value = convert(raw, NUMBER)
    assert isinstance(value, Num) and isinstance(value, float)
    assert str(value) == text
    assert value == pytest.approx(number)


@pytest.mark.parametrize("raw", ["abc", "12.5万", "", "1.2.3", True, float("inf"), float("nan"), {"a": 1}])
def test_number_refuses(raw):
    message = err(raw, NUMBER)
    assert "不是" in message and "12.5" in message


def test_a_number_too_long_for_a_float_is_refused():
    """Found by test_hardening_data's fuzzing: 400 digits parsed to inf, which the batch's spool
    could not read back (a traceback in the middle of a build)."""
    message = err("1" * 400, NUMBER)
    assert "不是有限的数字" in message and "多写了数字" in message
    value = convert("1" * 300, NUMBER)
    assert pickle.loads(pickle.dumps(value)) == value and str(pickle.loads(pickle.dumps(value))) == "1" * 300


def test_num_behaves_as_float():
    n = Num("12.50")
    assert n + 1 == 13.5 and n * 2 == 25.0 and n > 12 and n < 13 and n == 12.5
    assert hash(n) == hash(12.5)
    assert f"{n}" == "12.50" and f"{n:.1f}" == "12.5"
    assert "%.2f" % n == "12.50"  # noqa: UP031 - Jinja's format filter uses %
    assert repr(n) == "Num('12.50')"
    assert Num(5.0).text == "5" and str(Num(7)) == "7"


def test_num_pickles_and_copies():
    n = Num("1200.50")
    for other in (pickle.loads(pickle.dumps(n)), copy.copy(n), copy.deepcopy(n)):
        assert type(other) is Num and str(other) == "1200.50" and other == 1200.5


def test_num_in_jinja_prints_as_written():
    env = Environment(autoescape=True)
    template = env.from_string("{{ x }}万元 {{ y }}")
    assert template.render(x=Num("12.50"), y=convert(5.0, NUMBER)) == "12.50万元 5"


@given(st.decimals(min_value=-10**9, max_value=10**9, places=3, allow_nan=False, allow_infinity=False))
def test_num_str_of_decimal_string_keeps_text(d):
    text = format(d, "f")
    value = convert(text, NUMBER)
    expected = text.lstrip("+")
    assert str(value) == expected
    assert float(value) == pytest.approx(float(d))


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_num_from_float_never_prints_exponent_or_dot_zero(x):
    text = str(convert(x, NUMBER))
    assert "e" not in text.lower() and not text.endswith(".0")
    assert float(text) == pytest.approx(x, rel=1e-14, abs=1e-300)


# ---------------------------------------------------------------- date


@pytest.mark.parametrize(
    "raw",
    [
        dt.datetime(2022, 3, 1, 8, 30),
        dt.date(2022, 3, 1),
        "2022-03-01",
        "2022-3-1",
        "2022/3/1",
        "2022/03/01",
        "2022.3.1",
        "2022年3月1日",
        "2022年03月01日",
        "2022年3月1号",
        "2022/3/1 0:00",
        "2022 年 3 月 1 日",
        "２０２２年３月１日",
        "2022-03-01 00:00:00",
        "2022-03-01T10:20",
        "20220301",
        "二〇二二年三月一日",
        44621,
        44621.0,
        44621.75,
    ],
)
def test_date(raw):
    value = convert(raw, DATE)
    assert type(value) is CnDate and value == dt.date(2022, 3, 1)
    assert str(value) == "2022年3月1日"


def test_excel_serials():
    assert convert(45291, DATE) == dt.date(2023, 12, 31)
    assert convert(36526, DATE) == dt.date(2000, 1, 1)


def test_chinese_numeral_dates():
    assert convert("二〇二一年十二月三十一日", DATE) == dt.date(2021, 12, 31)
    assert convert("二〇二一年十月二十日", DATE) == dt.date(2021, 10, 20)


def test_cn_date_printing():
    assert str(CnDate(2022, 3, 1)) == "2022年3月1日"
    assert str(CnDate(2022, 12, 25)) == "2022年12月25日"
    assert str(CnDate(998, 1, 9)) == "998年1月9日"
    assert f"{CnDate(2022, 3, 1)}" == "2022年3月1日"
    assert CnDate(2022, 3, 1).strftime("%Y/%m") == "2022/03"
    assert CnDate(2022, 3, 1).isoformat() == "2022-03-01"


def test_cn_date_is_a_date():
    d = convert("2022-03-01", DATE)
    assert d < dt.date(2022, 3, 2) and d.year == 2022 and (d - dt.date(2022, 1, 1)).days == 59
    assert type(d + dt.timedelta(days=1)) is CnDate
    copied = pickle.loads(pickle.dumps(d))
    assert type(copied) is CnDate and str(copied) == "2022年3月1日"


@pytest.mark.parametrize("raw", ["2022年3月", "明年", "3/1/2022", "2022", 2022, True, "2022-13-01x", [2022]])
def test_date_refuses_with_accepted_forms(raw):
    message = err(raw, DATE)
    assert "不是日期" in message
    for form in ("2022-03-01", "2022/3/1", "2022.3.1", "2022年3月1日"):
        assert form in message


@pytest.mark.parametrize("raw", ["2022-02-30", "2022年13月1日", "20221301"])
def test_date_refuses_impossible_day(raw):
    message = err(raw, DATE)
    assert "不是有效的日期" in message and raw in message


# ---------------------------------------------------------------- list


@pytest.mark.parametrize("sep", ["、", ",", "，", ";", "；", "\n", "\r\n", " 、 ", "、、"])
def test_list_splits_on_every_separator(sep):
    value = convert(f"党建{sep}驻村帮扶{sep}廉政", LIST)
    assert type(value) is TextList and value == ["党建", "驻村帮扶", "廉政"]
    assert str(value) == "党建、驻村帮扶、廉政"


def test_list_mixed_and_empty_items():
    assert convert(" 党建 ,，驻村帮扶；\n\n廉政、", LIST) == ["党建", "驻村帮扶", "廉政"]
    assert convert("党建", LIST) == ["党建"]


def test_list_from_yaml_list_stays_a_list():
    value = convert(["党建", 5, 12.5, dt.date(2022, 3, 1), "", None, "a、b"], LIST)
    assert type(value) is TextList
    assert value == ["党建", "5", "12.5", "2022年3月1日", "a、b"]


def test_list_from_scalar():
    assert convert(5, LIST) == ["5"]


def test_list_refuses_mapping():
    assert "不是列表" in err({"a": 1}, LIST)


def test_text_list_is_a_list_for_templates():
    value = convert("党建、驻村帮扶", LIST)
    env = Environment(autoescape=True)
    out = env.from_string("{{ d }}|{{ d|length }}|{% if '驻村帮扶' in d %}yes{% endif %}|{{ d|join('/') }}")
    assert out.render(d=value) == "党建、驻村帮扶|2|yes|党建/驻村帮扶"
    assert pickle.loads(pickle.dumps(value)) == value and type(pickle.loads(pickle.dumps(value))) is TextList


item_text = st.text(
    alphabet=st.characters(blacklist_characters="、,，;；\r\n", blacklist_categories=("Cs",)), min_size=1
).map(str.strip).filter(bool)


@given(st.lists(item_text, max_size=8))
def test_text_list_round_trip(items):
    assert convert(str(TextList(items)), LIST) == items


# ---------------------------------------------------------------- bool


@pytest.mark.parametrize(
    "raw", ["是", "有", "true", "TRUE", "True", "yes", "YES", "1", "√", "✓", "y", "Y", True, 1, 1.0, " 是 "]
)
def test_bool_true(raw):
    assert convert(raw, BOOL) is True


@pytest.mark.parametrize(
    "raw", ["否", "无", "false", "FALSE", "no", "No", "0", "×", "✗", "n", "N", False, 0, 0.0]
)
def test_bool_false(raw):
    assert convert(raw, BOOL) is False


@pytest.mark.parametrize("raw", ["也许", "2", 2, "yep"])
def test_bool_refuses(raw):
    message = err(raw, BOOL)
    assert "不是“是/否”" in message and "是 或 否" in message


# ---------------------------------------------------------------- blanks and clean_text


@pytest.mark.parametrize("raw", [None, "", "   ", "\t\n", "\u3000"])
def test_is_blank(raw):
    assert is_blank(raw)


@pytest.mark.parametrize("raw", ["a", 0, 0.0, False, [], "0"])
def test_is_not_blank(raw):
    assert not is_blank(raw)


def test_clean_text():
    assert clean_text("青山镇") == ("青山镇", [])
    assert clean_text("a\x07b") == ("ab", ["U+0007"])
    assert clean_text("\x00a\x07b\x07\ufffe\uffff\ud800") == (
        "ab", ["U+0000", "U+0007", "U+FFFE", "U+FFFF", "U+D800"]
    )
    assert clean_text("tab\tnl\ncr\r") == ("tab\tnl\ncr\r", [])
    assert clean_text("\x0b\x0c\x1f") == ("", ["U+000B", "U+000C", "U+001F"])
    assert clean_text("😀\U0010ffff") == ("😀\U0010ffff", [])


@given(st.text())
@settings(max_examples=300)
def test_clean_text_output_is_xml_safe(text):
    cleaned, removed = clean_text(text)
    element = etree.Element("t")
    element.text = cleaned  # raises ValueError for anything XML cannot hold
    assert etree.fromstring(etree.tostring(element)).text in (cleaned, None)
    assert (cleaned == text) == (not removed)


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=30))
def test_clean_text_keeps_ordinary_text(text):
    ordinary = "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 0x20 and ch not in "\ufffe\uffff")
    assert clean_text(ordinary) == (ordinary, [])


def test_unknown_type_in_convert():
    with pytest.raises(ValueError):
        convert("x", VarSpec("x", "money"))
