"""The one Jinja environment every render goes through.

Snippets are written by many hands and people files come from spreadsheets, so
library text is treated as untrusted template code and people's values as
untrusted data:

* a sandbox (no attribute walks to ``__class__`` and friends), ``StrictUndefined``
  (a missing value is an error, never a silent blank) and autoescaping (a value
  such as ``张三&李四<测试>`` is escaped once, here, and lands literally in the XML);
* checks when a template is parsed (so a snippet or rule is refused at load time,
  with its file and line): no ``include``/``import``/``extends``, no ``autoescape``
  blocks, no recursive loops,
  no unknown filters, and bounded nesting (deeper nesting would crash Python's
  compiler);
* a *render budget* for each render (one person's document, file name or
  ``when``): loop iterations, calls and output are counted and there is a time
  limit, so ``{% for %}`` nesting bombs and runaway macros stop within seconds;
* bounds on everything that can build a large value from a small template:
  ``*``, ``**``, ``+``, ``~``, ``%``, ``str.format``, the widening filters
  (``center``, ``indent``, ``join``, ``replace``, ``wordwrap``, ``batch``,
  ``slice``, ``tojson``) and builtin methods (``'x'.ljust(10**9)``); every value
  printed or passed on is measured first, so a list that refers to itself many
  times over cannot be blown up by printing it;
* every printed value is cleaned of characters XML cannot hold (control
  characters, lone surrogates), so any text from a spreadsheet gives a valid
  document;
* ``lipsum`` is removed and ``|safe`` does not unescape: people's values can
  never become raw XML.

Every refusal is a ``SecurityError`` (a ``TemplateError``) with a Chinese
message; at parse time it is a ``TemplateSyntaxError`` with the line.

Size: one file because the sandbox is one security boundary — its guards, budgets, filters and the
environment that wires them are reviewed together (docs/hardening.md).
"""

from __future__ import annotations

import functools
import operator
import re
import string
import threading
import time
import types
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any, cast

from jinja2 import StrictUndefined, nodes, pass_eval_context
from jinja2.environment import Template
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace, _PassArg
from jinja2.visitor import NodeTransformer
from markupsafe import Markup, escape

#: The largest string or list a single ``*`` may build inside a template.
MAX_REPEAT_LENGTH = 100_000
#: Exponents above this are refused (``9**9**9`` would hang the process).
MAX_POWER_EXPONENT = 100
#: The largest value (characters of text, items of lists, counted through nesting) one
#: operation may build or print.
MAX_VALUE_SIZE = 1_000_000
#: Integers may not grow beyond this many bits (Python refuses to print far smaller ones).
MAX_INT_BITS = 10_000
#: Field widths and precisions in ``%`` and ``str.format`` strings.
MAX_FORMAT_WIDTH = 1_000
#: Containers nested deeper than this are refused (printing them would recurse).
MAX_DATA_DEPTH = 50

#: Per render: loop iterations + calls + printed pieces (+ one per WORK_PER_STEP of data a call handles).
MAX_STEPS = 500_000
WORK_PER_STEP = 256
#: Per render: characters of output (the template's own text included).
MAX_OUTPUT_CHARS = 20_000_000
#: Per render: wall-clock seconds.
MAX_RENDER_SECONDS = 10.0
#: Nested calls (macros calling macros).
MAX_CALL_DEPTH = 60

#: Parse-time limits (Python cannot compile deeper templates).
MAX_LOOP_NESTING = 10
MAX_BLOCK_NESTING = 40
MAX_TREE_DEPTH = 150

_XML_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d*))?[hlL]?[a-zA-Z%]")
_NUMBER = re.compile(r"\d+")
_BLOCKS = (nodes.For, nodes.If, nodes.Macro, nodes.CallBlock, nodes.FilterBlock, nodes.With,
           nodes.AssignBlock, nodes.Scope, nodes.OverlayScope, nodes.Block)


def _refuse(message: str) -> SecurityError:
    return SecurityError(message)


# ---------------------------------------------------------------- measuring values


_CONTAINERS = (list, tuple, dict, set, frozenset, Namespace)


def value_size(value: Any, limit: int = MAX_VALUE_SIZE) -> int:
    """Roughly how many characters printing ``value`` gives, counting shared parts each time.

    Raises ``SecurityError`` as soon as the size passes ``limit`` or containers nest
    deeper than ``MAX_DATA_DEPTH``; never recurses, so it is safe on any structure.
    """
    if isinstance(value, (str, bytes)):
        size = len(value)
    elif isinstance(value, range):
        size = len(value) * 8
    elif isinstance(value, bool) or value is None:
        return 1
    elif isinstance(value, int):
        size = value.bit_length() // 3 + 1
    elif not isinstance(value, _CONTAINERS):
        return 8
    else:
        size = _container_size(value, limit)
    if size > limit:
        raise _refuse(f"数据过大（超过 {limit} 个字符），已拒绝")
    return size


def _children(value: Any) -> list[Any]:
    if isinstance(value, Namespace):
        value = value._Namespace__attrs  # type: ignore[attr-defined]
    if isinstance(value, dict):
        out: list[Any] = []
        for key, item in value.items():
            out.append(key)
            out.append(item)
        return out
    return list(value)


_FLAT_TEXT = frozenset({str})
_FLAT_NUMBERS = frozenset({int, bool})


def _flat_size(root: Any) -> int | None:
    """The size of a flat list of text or of whole numbers, at C speed; ``None`` for anything else."""
    if not isinstance(root, (list, tuple)):
        return None
    kinds = set(map(type, root))
    if kinds <= _FLAT_TEXT:
        return 2 + sum(map(len, root)) + 4 * len(root)
    if kinds <= _FLAT_NUMBERS:
        return 2 + sum(map(int.bit_length, root)) // 3 + 3 * len(root)
    return None


def _container_size(root: Any, limit: int) -> int:
    flat = _flat_size(root)
    if flat is not None:
        return flat
    sizes: dict[int, int] = {}
    keep: list[Any] = []  # keeps ids stable while we measure
    stack: list[tuple[Any, int, bool]] = [(root, 0, False)]
    while stack:
        value, depth, expanded = stack.pop()
        key = id(value)
        if key in sizes and not expanded:
            continue
        if not isinstance(value, _CONTAINERS):
            continue
        if depth > MAX_DATA_DEPTH:
            raise _refuse(f"数据嵌套超过 {MAX_DATA_DEPTH} 层，已拒绝")
        children = _children(value)
        if not expanded:
            sizes[key] = -1  # in progress: a cycle counts as one item
            keep.append(value)
            stack.append((value, depth, True))
            for child in children:
                if isinstance(child, _CONTAINERS) and id(child) not in sizes:
                    stack.append((child, depth + 1, False))
            continue
        total = 2
        for child in children:
            if isinstance(child, _CONTAINERS):
                total += max(sizes.get(id(child), 1), 1) + 2
            elif isinstance(child, (str, bytes)):
                total += len(child) + 4
            elif isinstance(child, int) and not isinstance(child, bool):
                total += child.bit_length() // 3 + 3
            else:
                total += 10
            if total > limit:
                raise _refuse(f"数据过大（超过 {limit} 个字符），已拒绝")
        sizes[key] = total
    return sizes.get(id(root), 1)


def _check_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int:
    return sum(value_size(value) for value in (*args, *kwargs.values()))


# ---------------------------------------------------------------- the render budget


class RenderBudget:
    """What one render may still spend; kept on the render's evaluation context."""

    __slots__ = ("steps", "chars", "depth", "deadline")

    def __init__(self) -> None:
        self.steps = 0
        self.chars = 0
        self.depth = 0
        self.deadline = time.monotonic() + MAX_RENDER_SECONDS

    def step(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > MAX_STEPS:
            raise _refuse(f"模板运算次数超过 {MAX_STEPS}（循环或调用过多），已停止")
        if time.monotonic() > self.deadline:
            raise _refuse(f"模板渲染超过 {MAX_RENDER_SECONDS:g} 秒，已停止")

    def output(self, count: int) -> None:
        self.chars += count
        if self.chars > MAX_OUTPUT_CHARS:
            raise _refuse(f"模板输出超过 {MAX_OUTPUT_CHARS} 个字符，已停止")
        self.step()


_current = threading.local()


def _budget(context: Any) -> RenderBudget:
    eval_ctx = getattr(context, "eval_ctx", None)
    if eval_ctx is None:
        return RenderBudget()
    budget = getattr(eval_ctx, "assembler_budget", None)
    if budget is None:
        budget = RenderBudget()
        eval_ctx.assembler_budget = budget
    return budget


def _charge(size: int) -> None:
    """Charge data handled by a filter or call to the render in progress on this thread."""
    budget = getattr(_current, "budget", None)
    if budget is not None:
        budget.step(1 + size // WORK_PER_STEP)


class GuardedTemplate(Template):
    """A template whose every render starts with a fresh budget and whose crashes are refusals."""

    def new_context(self, vars: Any = None, shared: bool = False, locals: Any = None) -> Context:  # noqa: A002
        context = super().new_context(vars, shared, locals)
        # Renders on one thread run one at a time: the newest context is the one running.
        context.eval_ctx.assembler_budget = _current.budget = RenderBudget()  # type: ignore[attr-defined]
        return context

    def render(self, *args: Any, **kwargs: Any) -> str:
        try:
            return super().render(*args, **kwargs)
        except RecursionError:
            raise _refuse("模板或数据嵌套过深，已停止") from None
        except MemoryError:
            raise _refuse("模板渲染所需内存过多，已停止") from None


class _GuardedExpression:
    """``compile_expression``'s callable, with crashes turned into refusals."""

    def __init__(self, inner: Callable[..., Any]) -> None:
        self._inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self._inner(*args, **kwargs)
        except RecursionError:
            raise _refuse("表达式或数据嵌套过深，已停止") from None
        except MemoryError:
            raise _refuse("表达式所需内存过多，已停止") from None


# ---------------------------------------------------------------- parse-time checks


def _syntax(message: str, node: nodes.Node | None, name: str | None,
            filename: str | None) -> TemplateSyntaxError:
    return TemplateSyntaxError(message, getattr(node, "lineno", None) or 1, name, filename)


def _format_fields(text: str) -> list[tuple[str, str]]:
    """(field name, format spec) of every replacement field, nested specs included."""
    out: list[tuple[str, str]] = []
    try:
        for _, field, spec, _ in string.Formatter().parse(text):
            if field is not None:
                out.append((field, spec or ""))
                if spec and "{" in spec:
                    out += _format_fields(spec)
    except ValueError:
        pass
    return out


def _private_field(field: str) -> bool:
    return bool(re.search(r"(^|[.\[])_", field))


def check_tree(env: ReportEnvironment, tree: nodes.Node, name: str | None = None,
               filename: str | None = None) -> None:
    """Refuse, with the line, what no report needs and what would crash Python's compiler.

    Attribute walks (``__class__`` …) are left to the sandbox at render time, which
    refuses them for the person with “不安全” in the message.
    """
    stack: list[tuple[nodes.Node, int, int, int]] = [(tree, 0, 0, 0)]
    while stack:
        node, depth, blocks, loops = stack.pop()
        if depth > MAX_TREE_DEPTH:
            raise _syntax(f"表达式或标签嵌套超过 {MAX_TREE_DEPTH} 层，请简化", node, name, filename)
        if isinstance(node, _BLOCKS):
            blocks += 1
            if blocks > MAX_BLOCK_NESTING:
                raise _syntax(f"标签嵌套超过 {MAX_BLOCK_NESTING} 层，请简化", node, name, filename)
        if isinstance(node, nodes.For):
            loops += 1
            if node.recursive:
                raise _syntax("不支持递归循环（recursive），请改写", node, name, filename)
            if loops > MAX_LOOP_NESTING:
                raise _syntax(f"for 循环嵌套超过 {MAX_LOOP_NESTING} 层，请简化", node, name, filename)
        elif isinstance(node, (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
            raise _syntax("片段和规则中不能使用 include、import 或 extends 引用其他模板", node, name,
                          filename)
        elif isinstance(node, (nodes.EvalContextModifier, nodes.ScopedEvalContextModifier)):
            raise _syntax("不能使用 autoescape 标签（转义由工具统一处理）", node, name, filename)
        elif isinstance(node, nodes.Filter):
            if node.name not in env.filters:
                raise _syntax(f"未知的过滤器“{node.name}”", node, name, filename)
        elif isinstance(node, nodes.Test) and node.name not in env.tests:
            raise _syntax(f"未知的测试“{node.name}”", node, name, filename)
        for child in node.iter_child_nodes():
            stack.append((child, depth + 1, blocks, loops))


class _Instrument(NodeTransformer):
    """Routes loops, printed pieces and ``~`` through the budget (done on every compile)."""

    @staticmethod
    def _guard(method: str, *args: nodes.Expr, lineno: int) -> nodes.Call:
        call = nodes.Call(nodes.EnvironmentAttribute(method), [nodes.ContextReference(), *args], [],
                          None, None)
        call.set_lineno(lineno)
        return call

    def visit_For(self, node: nodes.For) -> nodes.For:
        node = cast(nodes.For, self.generic_visit(node))
        node.iter = self._guard("guard_loop", cast(nodes.Expr, node.iter), lineno=node.lineno)
        return node

    def visit_Output(self, node: nodes.Output) -> nodes.Output:
        node = cast(nodes.Output, self.generic_visit(node))
        children: list[nodes.Expr] = []
        literal = sum(len(child.data) for child in node.nodes if isinstance(child, nodes.TemplateData))
        if literal:
            children.append(self._guard("guard_literal", nodes.Const(literal), lineno=node.lineno))
        for child in node.nodes:
            if isinstance(child, nodes.TemplateData):
                children.append(child)
            else:
                children.append(self._guard("guard_print", child, lineno=child.lineno or node.lineno))
        node.nodes = children
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Concat:
        node = cast(nodes.Concat, self.generic_visit(node))
        node.nodes = [self._guard("guard_print", child, lineno=child.lineno or node.lineno)
                      for child in node.nodes]
        return node


# ---------------------------------------------------------------- filters


def _check_format_string(text: str) -> None:
    for field, spec in _format_fields(text):
        if _private_field(field):
            raise _refuse(f"格式字符串中不允许访问以下划线开头的属性“{field}”")
        if "{" in spec:
            raise _refuse("格式字符串中不允许嵌套的宽度或精度")
        if any(int(number) > MAX_FORMAT_WIDTH for number in _NUMBER.findall(spec)):
            raise _refuse(f"格式字符串中的宽度或精度超过 {MAX_FORMAT_WIDTH}，已拒绝")


def _check_percent_string(text: str) -> None:
    for match in _PERCENT_SPEC.finditer(text):
        for part in match.groups():
            if part == "*":
                raise _refuse("% 格式中不允许用 * 指定宽度或精度")
            if part and part.isdigit() and int(part) > MAX_FORMAT_WIDTH:
                raise _refuse(f"% 格式中的宽度或精度超过 {MAX_FORMAT_WIDTH}，已拒绝")


def _width(value: Any) -> int:
    return len(str(value)) if isinstance(value, str) else int(value) if isinstance(value, (int, float)) else 0


def _limit(size: int, what: str) -> None:
    if size > MAX_VALUE_SIZE:
        raise _refuse(f"{what}生成的文本过长（超过 {MAX_VALUE_SIZE} 个字符），已拒绝")


def _pre_center(value: Any, width: Any = 80) -> None:
    _limit(_width(width), "center ")


def _pre_indent(s: Any, width: Any = 4, *args: Any, **kwargs: Any) -> None:
    text = str(s)
    _limit(len(text) + (text.count("\n") + 1) * _width(width), "indent ")


def _pre_replace(s: Any, old: Any, new: Any, count: Any = None) -> None:
    text, old_text, new_text = str(s), str(old), str(new)
    hits = len(text) + 1 if old_text == "" else text.count(old_text)
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    _limit(len(text) + hits * max(len(new_text) - len(old_text), 0), "replace ")


def _pre_wordwrap(s: Any, width: Any = 79, break_long_words: Any = True, wrapstring: Any = None,
                  *args: Any, **kwargs: Any) -> None:
    text = str(s)
    lines = len(text) // max(_width(width), 1) + text.count("\n") + 1
    _limit(len(text) + lines * len(str(wrapstring or "\n")), "wordwrap ")


def _pre_count(value: Any, count: Any, *args: Any, **kwargs: Any) -> None:
    if isinstance(count, (int, float)) and count > MAX_REPEAT_LENGTH:
        raise _refuse(f"分组数超过 {MAX_REPEAT_LENGTH}，已拒绝")


def _pre_format(value: Any, *args: Any, **kwargs: Any) -> None:
    _check_percent_string(str(value))


def _pre_tojson(value: Any, indent: Any = None) -> None:
    if isinstance(indent, str):
        _limit(len(indent) * 1000, "tojson ")
    elif isinstance(indent, int) and indent > MAX_FORMAT_WIDTH:
        raise _refuse(f"tojson 的缩进超过 {MAX_FORMAT_WIDTH}，已拒绝")


_PRECHECKS: dict[str, Callable[..., None]] = {
    "center": _pre_center,
    "indent": _pre_indent,
    "replace": _pre_replace,
    "wordwrap": _pre_wordwrap,
    "batch": _pre_count,
    "slice": _pre_count,
    "format": _pre_format,
    "tojson": _pre_tojson,
}


def _guard_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """The filter with its arguments measured first and its result measured after."""
    passes = _PassArg.from_obj(func)
    skip = 0 if passes is None else 1
    precheck = _PRECHECKS.get(name)

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        user = args[skip:]
        if name == "join" and user:
            # Materialise (the value may be a one-shot iterator) and measure what join would build.
            items = list(user[0])
            separator = str(user[1]) if len(user) > 1 else str(kwargs.get("d", ""))
            attribute = user[2] if len(user) > 2 else kwargs.get("attribute")
            measured = items
            if attribute is not None:
                from jinja2.filters import make_attrgetter

                getter = make_attrgetter(args[0].environment, attribute)
                measured = [getter(item) for item in items]
            sizes = sum(value_size(item) for item in measured)
            _limit(sizes + len(separator) * max(len(items) - 1, 0), "join ")
            args = (*args[:skip], items, *user[1:])
        else:
            sizes = _check_args(user, kwargs)
        if precheck is not None:
            precheck(*user, **kwargs)
        try:
            result = func(*args, **kwargs)
        except RecursionError:
            raise _refuse(f"过滤器 {name} 处理的数据嵌套过深，已拒绝") from None
        if isinstance(result, (str, bytes, list, tuple, dict, set)):
            sizes += value_size(result)
        _charge(sizes)
        return result

    return guarded


def _safe_is_escaped(value: Any) -> Any:
    """``|safe`` is a no-op here: values are always escaped, so they can never become XML."""
    return value


#: docxtpl turns ``{_{`` ``}_}`` ``{_%`` ``%_}`` into ``{{`` ``}}`` ``{%`` ``%}`` in the rendered XML.
_DOCXTPL_ESCAPES = re.compile(r"(?<=\{)_(?=[{%])|(?<=[}%])_(?=\})")


@pass_eval_context
def _finalize(eval_ctx: Any, value: Any) -> Any:
    """Every printed value: no character XML cannot hold (control characters, lone surrogates),
    and, in documents, docxtpl's ``{_{`` kept as typed (its ``_`` written as ``&#95;``)."""
    if value is None or isinstance(value, (bool, int, float)) or hasattr(value, "__html__"):
        return value
    text = value if isinstance(value, str) else str(value)
    if "\r" in text or _XML_INVALID.search(text):
        text = value = _XML_INVALID.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    if eval_ctx.autoescape and "_" in text and _DOCXTPL_ESCAPES.search(text):
        return Markup(_DOCXTPL_ESCAPES.sub("&#95;", str(escape(text))))
    return value


def _safe_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_REPEAT_LENGTH:
        raise _refuse(f"range 的长度超过 {MAX_REPEAT_LENGTH}，已拒绝")
    return numbers


_SIZED_BUILTIN_OWNERS = (str, bytes, int, float, list, tuple, dict)


# ---------------------------------------------------------------- the environment


class ReportEnvironment(ImmutableSandboxedEnvironment):
    """Sandboxed, strict, autoescaping, budgeted; see the module docstring."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    template_class = GuardedTemplate

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("finalize", _finalize)
        super().__init__(*args, **kwargs)
        self.globals.pop("lipsum", None)
        self.globals["range"] = _safe_range
        self.filters = {name: _guard_filter(name, func) for name, func in self.filters.items()}
        self.filters["safe"] = _safe_is_escaped

    # -- parsing and compiling

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        try:
            tree = super()._parse(source, name, filename)
        except RecursionError:
            raise TemplateSyntaxError("表达式或标签嵌套过深，请简化", 1, name, filename) from None
        check_tree(self, tree, name, filename)
        return tree

    def _generate(self, source: nodes.Template, name: str | None, filename: str | None,
                  defer_init: bool = False) -> str:
        check_tree(self, source, name, filename)
        source = _Instrument().visit(source)
        source.set_environment(self)
        try:
            return super()._generate(source, name, filename, defer_init=defer_init)
        except RecursionError:
            raise TemplateSyntaxError("表达式或标签嵌套过深，无法编译，请简化", 1, name, filename) from None

    def _compile(self, source: str, filename: str) -> types.CodeType:
        try:
            return super()._compile(source, filename)
        except (SyntaxError, RecursionError, MemoryError):
            raise TemplateSyntaxError("模板嵌套过深或过于复杂，无法编译，请简化", 1, None, filename) from None

    def compile_expression(self, source: str, undefined_to_none: bool = True) -> Any:
        return _GuardedExpression(super().compile_expression(source, undefined_to_none))

    # -- budget hooks (called from instrumented templates only)

    def guard_loop(self, context: Any, iterable: Any) -> Any:
        budget = _budget(context)
        for item in iterable:
            budget.step()
            yield item

    def guard_literal(self, context: Any, length: int) -> str:
        _budget(context).output(length)
        return ""

    def guard_print(self, context: Any, value: Any) -> Any:
        budget = _budget(context)
        if isinstance(value, str):
            budget.output(len(value))
            return value
        value_size(value)
        try:
            text = str(value)
        except RecursionError:
            raise _refuse("数据嵌套过深，无法输出") from None
        budget.output(len(text))
        return value

    # -- sandbox hooks

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        return self.undefined(
            f"不允许访问 {type(obj).__name__} 对象的属性“{attribute}”（模板沙箱已拒绝）",
            name=attribute, obj=obj, exc=SecurityError,
        )

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        text = value.__self__

        @functools.wraps(wrapper)
        def checked(*args: Any, **kwargs: Any) -> str:
            _check_format_string(text)
            _check_args(args, kwargs)
            result = wrapper(*args, **kwargs)
            value_size(result)
            return result

        return checked

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        if getattr(__obj, "__self__", None) is __self and getattr(__obj, "__name__", "").startswith("guard_"):
            kwargs.pop("_loop_vars", None)
            kwargs.pop("_block_vars", None)
            return __obj(*args, **kwargs)
        if not __self.is_safe_callable(__obj):
            raise _refuse(f"不允许调用 {getattr(__obj, '__name__', type(__obj).__name__)}（模板沙箱已拒绝）")
        sizes = _check_args(args, kwargs)
        owner = getattr(__obj, "__self__", None)
        if isinstance(__obj, types.BuiltinMethodType) and isinstance(owner, _SIZED_BUILTIN_OWNERS):
            for value in (*args, *kwargs.values()):
                if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_VALUE_SIZE:
                    raise _refuse(f"{type(owner).__name__}.{__obj.__name__} 的参数过大，已拒绝")
            if isinstance(owner, (str, bytes)):
                method = __obj.__name__
                if method == "join" and args:
                    items = list(args[0])
                    _limit(sum(value_size(item) for item in items) + len(owner) * len(items), "join ")
                    args = (items, *args[1:])
                elif method == "replace" and len(args) >= 2:
                    _pre_replace(owner, *args[:3])
                elif method in ("center", "ljust", "rjust", "zfill") and args:
                    _limit(_width(args[0]), f"{method} ")
                elif method == "expandtabs":
                    size = args[0] if args else kwargs.get("tabsize", 8)
                    tabs = owner.count("\t") if isinstance(owner, str) else owner.count(b"\t")
                    _limit(len(owner) + tabs * _width(size),
                           "expandtabs ")
        budget = _budget(__context)
        budget.step(1 + sizes // WORK_PER_STEP)
        budget.depth += 1
        try:
            if budget.depth > MAX_CALL_DEPTH:
                raise _refuse(f"调用嵌套超过 {MAX_CALL_DEPTH} 层（宏递归？），已停止")
            result = __context.call(__obj, *args, **kwargs)
        finally:
            budget.depth -= 1
        if isinstance(result, (str, bytes, list, tuple, dict, set, range)):
            budget.step(value_size(result) // WORK_PER_STEP)
        return result

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "*":
            for seq, count in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(count, int):
                    if value_size(seq) * max(count, 0) > MAX_REPEAT_LENGTH:
                        raise _refuse("重复生成的文本过长，已拒绝")
            if isinstance(left, int) and isinstance(right, int):
                if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                    raise _refuse("乘积过大，已拒绝")
            return operator.mul(left, right)
        if operator_name == "**":
            if isinstance(right, (int, float)) and abs(right) > MAX_POWER_EXPONENT:
                raise _refuse("乘方的指数过大，已拒绝")
            if (isinstance(left, int) and isinstance(right, int)
                    and left.bit_length() * max(right, 0) > MAX_INT_BITS):
                raise _refuse("乘方的结果过大，已拒绝")
            return operator.pow(left, right)
        if operator_name == "+":
            if isinstance(left, (str, list, tuple)) and isinstance(right, (str, list, tuple)):
                _limit(value_size(left) + value_size(right), "+ ")
            return operator.add(left, right)
        if operator_name == "%":
            if isinstance(left, str):
                _check_percent_string(left)
                value_size(right)
                result = operator.mod(left, right)
                value_size(result)
                return result
            return operator.mod(left, right)
        return super().call_binop(context, operator_name, left, right)


def make_env(*, autoescape: bool = True) -> ReportEnvironment:
    """The one way an environment is made. A fresh one: docxtpl sets ``autoescape`` on the one it is
    given, so a rendering environment is not shared; ``autoescape=False`` for file names and other
    plain text."""
    return ReportEnvironment(undefined=StrictUndefined, autoescape=autoescape, keep_trailing_newline=False)


@lru_cache(maxsize=2)
def shared_env(*, autoescape: bool = True) -> ReportEnvironment:
    """One shared environment per escaping: escaped for expressions (``when``) and names, where
    autoescape does not matter; unescaped for file names (``output_name``, ``--name``)."""
    return make_env(autoescape=autoescape)


@lru_cache(maxsize=64)
def text_template(source: str) -> Template:
    """Compiled once per batch: the same ``output_name`` is rendered for every person."""
    return shared_env(autoescape=False).from_string(source)


def render_text(source: str, context: Mapping[str, Any]) -> str:
    """Render a plain-text template (a file name) in the budgeted sandbox."""
    return text_template(source).render(dict(context))


def expression_variables(expression: str) -> set[str]:
    """The variable names an expression reads (for checking what a ``when`` needs)."""
    return set(_variables("{{ (" + expression + ") }}"))


def template_variables(source: str) -> set[str]:
    """The variable names a template body reads, minus those it sets itself."""
    return set(_variables(source))


@lru_cache(maxsize=4096)
def _variables(source: str) -> frozenset[str]:
    """Parsed once per distinct source: planning asks again for every person."""
    from jinja2 import meta

    return frozenset(meta.find_undeclared_variables(shared_env().parse(source)))


_TRAILING_OPERATOR = re.compile(r"(==|!=|>=|<=|>|<|\*\*|//|\+|-|\*|/|%|~|\band\b|\bor\b|\bnot\b|\bin\b|\bis\b)$")
_UNEXPECTED = re.compile(r"^unexpected '(.+)'$")


def explain_expression_error(expression: str, message: str) -> str:
    """Jinja's reason for a broken condition, said so that a clerk can fix it (``money >`` is
    "“>”后面缺少…", not "unexpected ')'", which is about the parentheses the check adds)."""
    text = expression.strip()
    operator = _TRAILING_OPERATOR.search(text)
    if operator and operator.group(1).isalpha():
        return f"“{operator.group(1)}”后面缺少内容"
    if operator:
        return f"“{operator.group(1)}”后面缺少要比较或计算的值，如 {text} 0"
    for opening, closing in ("()", "[]", "{}"):
        if text.count(opening) != text.count(closing):
            return f"括号“{opening}{closing}”没有成对"
    unexpected = _UNEXPECTED.match(message or "")
    if unexpected:
        return f"“{unexpected.group(1)}”用得不对，请检查是否多写或少写了符号"
    if (message or "").startswith("unexpected end"):
        return "表达式不完整"
    return f"写法有误（{message or '语法错误'}）"


def check_expression(expression: str) -> str | None:
    """``None`` if the expression parses, else the reason in Chinese (``explain_expression_error``)."""
    from jinja2 import TemplateSyntaxError as _TemplateSyntaxError

    try:
        ast = shared_env().parse("{{ (" + expression + ") }}")
    except _TemplateSyntaxError as exc:
        return explain_expression_error(expression, exc.message or "")
    output = ast.body[0] if ast.body else None
    if not isinstance(output, nodes.Output) or len(output.nodes) != 1:
        return "不是单个表达式"
    return None
