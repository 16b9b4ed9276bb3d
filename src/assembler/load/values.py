"""Declared variables and the typing of the values people fill in.

A value is typed once, here, when it is read from the people file (or from
``--set`` / ``--vars``); everything after that works with the typed value:

* ``int``    → ``int``
* ``number`` → :class:`Num`, a ``float`` that prints the way it was written (12.50, 5)
* ``date``   → :class:`CnDate`, a ``date`` that prints as 2022年3月1日 (GB/T 9704 §7.3.5)
* ``list``   → :class:`TextList`, a ``list[str]`` that prints joined with 、
* ``bool``   → ``bool``
* ``text``   → ``str``

:func:`convert` raises ``ValueError`` with a Chinese message that starts with the
value itself (“十二”不是整数，…); the caller adds who and where.

Size: just over 500 lines because each type's parsing, printing and messages stay together.
"""

from __future__ import annotations

import datetime as _dt
import keyword
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..errors import InputError

VAR_TYPES = ("text", "int", "number", "date", "list", "bool")
SPEC_KEYS = ("type", "label", "default", "example")

TYPE_NAMES = {
    "text": "文本",
    "int": "整数",
    "number": "数字",
    "date": "日期",
    "list": "列表",
    "bool": "是/否",
}

# Names a template cannot use as a variable: Python keywords and Jinja's own literals.
_NOT_NAMES = frozenset({"true", "false", "none"})


# ---------------------------------------------------------------- declared variables


@dataclass(frozen=True)
class VarSpec:
    """One declared variable: its type, the column label people see, a default and an example."""

    name: str
    type: str = "text"
    label: str | None = None
    default: Any = None
    example: Any = None

    @property
    def display(self) -> str:
        """``网格数（grid_cells）`` when there is a label, else the name."""
        return f"{self.label}（{self.name}）" if self.label else self.name

    @classmethod
    def from_yaml(cls, name: str, raw: Mapping[str, Any] | None, *, file: str | Path | None,
                  line: int | None) -> VarSpec:
        """A declaration as written in the rules file or a snippet's front matter.

        ``raw`` is the mapping after the name (``{type: int, label: 网格数}``) or None.
        """
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name) \
                or name in _NOT_NAMES:
            raise InputError(
                f"变量名“{name}”不合法：只能由字母、汉字、数字和下划线组成，不能以数字开头，"
                "也不能是 if、for、true 等保留字；请改成如 grid_cells 或 网格数 的名字",
                file=file, line=line,
            )
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            raise InputError(
                f"变量 {name} 的声明应写成映射，如 {name}: {{type: int, label: 网格数}}；"
                f"只有文本变量可以留空（{name}: {{}}）",
                file=file, line=line,
            )
        unknown = [str(key) for key in raw if key not in SPEC_KEYS]
        if unknown:
            raise InputError(
                f"变量 {name} 的声明中有未知的键“{'、'.join(unknown)}”；可用的键只有 "
                f"{'、'.join(SPEC_KEYS)}（类型、列名、默认值、示例）",
                file=file, line=line,
            )
        var_type = raw.get("type", "text")
        if var_type is None:
            var_type = "text"
        if not isinstance(var_type, str) or var_type.strip() not in VAR_TYPES:
            allowed = "、".join(f"{key}（{TYPE_NAMES[key]}）" for key in VAR_TYPES)
            raise InputError(
                f"变量 {name} 的类型“{var_type}”不支持；type 只能是 {allowed}",
                file=file, line=line,
            )
        var_type = var_type.strip()
        label = raw.get("label")
        if label is not None:
            if not isinstance(label, str) or not label.strip():
                raise InputError(
                    f"变量 {name} 的 label（人员表中的列名）必须是非空文字，如 label: 网格数",
                    file=file, line=line,
                )
            label = label.strip()
        spec = cls(name=name, type=var_type, label=label, default=raw.get("default"),
                   example=raw.get("example"))
        for key, what in (("default", "默认值"), ("example", "示例")):
            value = raw.get(key)
            if is_blank(value):
                continue
            try:
                convert(value, spec)
            except ValueError as exc:
                raise InputError(f"变量 {name} 的{what}（{key}）有误：{exc}", file=file, line=line) from None
        return spec


# ---------------------------------------------------------------- typed values


class Num(float):
    """A number that prints the way it was written: ``12.50`` stays 12.50, Excel's 5.0 is 5.

    Arithmetic and comparison are those of ``float`` (results are plain floats).
    """

    __slots__ = ("_text",)

    _text: str

    def __new__(cls, value: float | int | str | Decimal, text: str | None = None) -> Num:
        if isinstance(value, str):
            parsed, written = _parse_number_text(value)
            self = super().__new__(cls, parsed)
            self._text = text if text is not None else written
            return self
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"“{value}”不是有限的数字")
        self = super().__new__(cls, number)
        if text is None:
            text = str(int(value)) if isinstance(value, int) else _float_text(number)
        self._text = text
        return self

    @property
    def text(self) -> str:
        return self._text

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"Num({self._text!r})"

    def __format__(self, spec: str) -> str:
        return self._text if not spec else float(self).__format__(spec)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Num, (float(self), self._text))


class CnDate(_dt.date):
    """A date printed the Chinese official way: 2022年3月1日 (full year, no leading zeros)."""

    __slots__ = ()

    @classmethod
    def from_date(cls, value: _dt.date) -> CnDate:
        return cls(value.year, value.month, value.day)

    def __str__(self) -> str:
        return f"{self.year}年{self.month}月{self.day}日"


class TextList(list[str]):
    """A list of texts that prints joined with 、 (党建、驻村帮扶)."""

    SEPARATORS = "、,，;；\n\r"
    _SPLIT = re.compile(r"[、,，;；\r\n]+")

    @classmethod
    def split(cls, text: str) -> TextList:
        """``党建、驻村帮扶, 廉政`` → [党建, 驻村帮扶, 廉政]: items stripped, empty ones dropped."""
        return cls(item.strip() for item in cls._SPLIT.split(text) if item.strip())

    def __str__(self) -> str:
        return "、".join(str(item) for item in self)

    def __repr__(self) -> str:
        return f"TextList({list.__repr__(self)})"


# ---------------------------------------------------------------- helpers


def is_blank(value: Any) -> bool:
    """None, the empty string, or only whitespace (full-width spaces included)."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip().strip("\u200b\ufeff").strip()
    return False


# Characters XML 1.0 does not allow (its Char production), and lone surrogates.
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean_text(s: str) -> tuple[str, list[str]]:
    """Remove characters a .docx cannot hold; returns the text and what was removed (``U+0007``)."""
    if not _XML_BAD.search(s):
        return s, []
    removed: list[str] = []

    def drop(match: re.Match[str]) -> str:
        code = f"U+{ord(match.group()):04X}"
        if code not in removed:
            removed.append(code)
        return ""

    return _XML_BAD.sub(drop, s), removed


def show_value(value: Any, limit: int = 40) -> str:
    """A value as the user would recognise it in a message (Excel's TRUE, 5 not 5.0, 2022年3月1日)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (Num, TextList)):
        text = str(value)
    elif isinstance(value, float):
        try:
            text = _float_text(value)
        except ValueError:
            text = str(value)
    elif isinstance(value, _dt.datetime):
        text = str(CnDate.from_date(value))
    elif isinstance(value, _dt.date):
        text = str(CnDate.from_date(value))
    elif isinstance(value, (list, tuple)):
        text = "、".join(show_value(item, limit) for item in value)
    else:
        text = str(value).strip()
    text = text.replace("\n", " ").replace("\r", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _float_text(number: float) -> str:
    """Excel's view of a float: 15 significant digits, no exponent, no trailing .0."""
    if not math.isfinite(number):
        raise ValueError(f"“{number}”不是有限的数字")
    rounded = float(f"{number:.15g}")
    text = format(Decimal(repr(rounded)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text


_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-"})


def _normal(text: str) -> str:
    """Full-width digits and punctuation to ASCII (NFKC), minus signs to -, stripped."""
    return unicodedata.normalize("NFKC", text).translate(_MINUS).strip()


_NUMBER = re.compile(r"^[+-]?(?:\d+|\d{1,3}(?:,\d{3})+)(?:\.\d+)?$|^[+-]?\.\d+$")
_CN_NUMERALS = set("零〇○一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟点")


def _parse_number_text(raw: str) -> tuple[float, str]:
    """``"1,200.50"`` → (1200.5, "1200.50"); raises ValueError for anything else."""
    text = _normal(raw).replace(" ", "")
    if not _NUMBER.match(text):
        raise ValueError(_number_message(raw, "数字", "12.5"))
    text = text.replace(",", "").lstrip("+")
    if text.startswith("."):
        text = "0" + text
    elif text.startswith("-."):
        text = "-0" + text[1:]
    number = float(text)
    if not math.isfinite(number):  # hundreds of digits: float() gives inf, which a batch cannot carry
        raise ValueError(f"“{show_value(raw)}”不是有限的数字，请检查是否多写了数字")
    return number, text


def _number_message(raw: Any, what: str, example: str) -> str:
    shown = show_value(raw)
    if isinstance(raw, str) and raw.strip() and all(ch in _CN_NUMERALS for ch in raw.strip()):
        return f"“{shown}”不是{what}，请填写阿拉伯数字，如 {example}"
    if isinstance(raw, str) and re.search(r"\d", raw):
        return f"“{shown}”不是{what}，请只填写阿拉伯数字（不要带单位或其他文字），如 {example}"
    return f"“{shown}”不是{what}，请填写阿拉伯数字，如 {example}"


# ---------------------------------------------------------------- conversion


def convert(value: Any, spec: VarSpec) -> Any:
    """The typed value of ``value`` for ``spec``; ``ValueError`` (Chinese message) when it is wrong."""
    converter = _CONVERTERS.get(spec.type)
    if converter is None:
        raise ValueError(f"未知的变量类型“{spec.type}”")
    return converter(value)


def to_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (Num, TextList, CnDate)):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, Decimal):
        return _float_text(float(value))
    if isinstance(value, _dt.datetime | _dt.date):
        return str(CnDate.from_date(value))
    if isinstance(value, _dt.time):
        return value.strftime("%H:%M" if not value.second else "%H:%M:%S")
    if isinstance(value, (list, tuple)):
        return "、".join(text for text in (to_text(item) for item in value) if text)
    if isinstance(value, Mapping):
        raise ValueError(f"“{show_value(value)}”是一组“键: 值”，不是文本；请直接填写文字")
    return str(value).strip()


def to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(f"“{show_value(value)}”不是整数，请填写阿拉伯数字，如 12")
    if isinstance(value, int):
        return int(value)
    if isinstance(value, (float, Decimal)):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"“{show_value(value)}”不是整数，请填写阿拉伯数字，如 12")
        rounded = float(f"{number:.15g}")
        if not rounded.is_integer():
            raise ValueError(f"“{show_value(value)}”不是整数，请填写整数（不带小数），如 12")
        return int(rounded)
    if isinstance(value, str):
        text = _normal(value).replace(" ", "")
        if _NUMBER.match(text):
            number_text = text.replace(",", "")
            if "." in number_text:
                whole, _, fraction = number_text.partition(".")
                if fraction.strip("0"):
                    raise ValueError(f"“{show_value(value)}”不是整数，请填写整数（不带小数），如 12")
                number_text = whole if whole not in ("", "+", "-") else "0"
            return int(number_text)
        raise ValueError(_number_message(value, "整数", "12"))
    raise ValueError(f"“{show_value(value)}”不是整数，请填写阿拉伯数字，如 12")


def to_number(value: Any) -> Num:
    if isinstance(value, Num):
        return value
    if isinstance(value, bool):
        raise ValueError(f"“{show_value(value)}”不是数字，请填写阿拉伯数字，如 12.5")
    if isinstance(value, (int, float, Decimal)):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"“{show_value(value)}”不是数字，请填写阿拉伯数字，如 12.5")
        if isinstance(value, int):
            return Num(number, str(value))
        return Num(float(f"{number:.15g}"), _float_text(number))
    if isinstance(value, str):
        return Num(value)
    raise ValueError(f"“{show_value(value)}”不是数字，请填写阿拉伯数字，如 12.5")


DATE_FORMS = "2022-03-01、2022/3/1、2022.3.1 或 2022年3月1日"

_DATE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*[日号]?"
    r"(?:(?:\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_CN_DIGIT = {"〇": 0, "零": 0, "○": 0, "O": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
             "六": 6, "七": 7, "八": 8, "九": 9}
_CN_DATE = re.compile(
    r"^([〇零○O一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日$"
)
# Excel serial numbers accepted as dates: 1920-01-01 … 2099-12-31 (1900 date system).
_SERIAL_MIN, _SERIAL_MAX = 7306, 73415
_EXCEL_EPOCH = _dt.date(1899, 12, 30)


def _cn_small(text: str) -> int:
    """一 … 三十一 → 1 … 31."""
    if "十" not in text:
        if len(text) != 1:
            raise ValueError
        return _CN_DIGIT[text]
    tens, _, ones = text.partition("十")
    if len(tens) > 1 or len(ones) > 1:
        raise ValueError
    return (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[ones] if ones else 0)


def _date_message(value: Any) -> str:
    return f"“{show_value(value)}”不是日期，请写成 {DATE_FORMS}"


def _make_date(value: Any, year: int, month: int, day: int) -> CnDate:
    try:
        return CnDate(year, month, day)
    except ValueError:
        raise ValueError(
            f"“{show_value(value)}”不是有效的日期（{year}年没有{month}月{day}日），请检查月份和日期"
        ) from None


def to_date(value: Any) -> CnDate:
    if isinstance(value, CnDate):
        return value
    if isinstance(value, _dt.datetime | _dt.date):
        return CnDate.from_date(value)
    if isinstance(value, bool):
        raise ValueError(_date_message(value))
    if isinstance(value, (int, float)):
        number = float(value)
        if math.isfinite(number) and _SERIAL_MIN <= number < _SERIAL_MAX + 1:
            return CnDate.from_date(_EXCEL_EPOCH + _dt.timedelta(days=int(number)))
        if isinstance(value, int) or number.is_integer():
            match = _COMPACT_DATE.match(str(int(number)))
            if match:
                return _make_date(value, *(int(part) for part in match.groups()))
        raise ValueError(_date_message(value))
    if isinstance(value, str):
        text = _normal(value)
        match = _DATE.match(text) or _COMPACT_DATE.match(text)
        if match:
            return _make_date(value, *(int(part) for part in match.groups()))
        match = _CN_DATE.match(text.replace(" ", ""))
        if match:
            try:
                year = int("".join(str(_CN_DIGIT[ch]) for ch in match.group(1)))
                month, day = _cn_small(match.group(2)), _cn_small(match.group(3))
            except (KeyError, ValueError):
                raise ValueError(_date_message(value)) from None
            return _make_date(value, year, month, day)
        raise ValueError(_date_message(value))
    raise ValueError(_date_message(value))


def to_list(value: Any) -> TextList:
    if isinstance(value, TextList):
        return value
    if isinstance(value, str):
        return TextList.split(value)
    if isinstance(value, Mapping):
        raise ValueError(
            f"“{show_value(value)}”是一组“键: 值”，不是列表；请用顿号分隔各项，如 党建、驻村帮扶"
        )
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return TextList(text for text in (to_text(item) for item in items) if text)
    text = to_text(value)
    return TextList([text] if text else [])


_TRUE = frozenset({"是", "有", "对", "真", "true", "yes", "y", "t", "1", "√", "✓", "✔", "☑"})
_FALSE = frozenset({"否", "无", "没有", "不是", "错", "假", "false", "no", "n", "f", "0", "×", "✗", "✘", "☐"})


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = _normal(value).casefold()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError(
        f"“{show_value(value)}”不是“是/否”，请填写 是 或 否（也可写 有/无、√/×、TRUE/FALSE）"
    )


_CONVERTERS = {
    "text": to_text,
    "int": to_int,
    "number": to_number,
    "date": to_date,
    "list": to_list,
    "bool": to_bool,
}

