"""Template + one person's context → the finished .docx bytes, prepared once per batch.

docxtpl, for every document, reopens the template with python-docx, re-patches the
XML of every part with its regular expressions, compiles it into a fresh Jinja
template and re-serialises and re-compresses every part of the package. For a batch
only the context changes, so ``PreparedTemplate`` does all of that once:

* the template is opened once; the body, every header and footer, the footnotes and
  the core properties (the parts docxtpl renders) are patched with docxtpl's own
  ``patch_xml`` and compiled once with our sandboxed environment;
* a part without any Jinja tag gives the same output for everybody: it is rendered
  once, here, and kept compressed;
* every other entry of the package is taken from python-docx's own save of the
  template (what docxtpl would write for it) and copied compressed, as is.

Per person, ``render`` runs the compiled templates and docxtpl's own post-processing
(``render_xml_part``, ``resolve_listing``, ``fix_tables``, ``fix_docpr_ids``, the
python-docx round trip of headers and footers, the core properties) and writes the
zip. The result is the document docxtpl gives for the same template and context
(``tests/test_render.py`` compares the two).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.oxml import serialize_part_xml
from docx.oxml.parser import parse_xml
from docxtpl import DocxTemplate
from jinja2 import Template, TemplateError, UndefinedError
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from lxml import etree

from ..errors import InputError
from ..ooxml.zipentries import Member, PackageTooLarge, deflate, read_members, write_members
from ..template.environment import make_env

#: zlib level for the parts rendered per person. Level 6 (zipfile's default) spends
#: about twice the time of level 1 on a report body for a file a few per cent smaller.
COMPRESS_LEVEL = 1
#: The core properties docxtpl renders (``DocxTemplate.render_properties``).
_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")
#: The only characters ``DocxTemplate.resolve_listing`` rewrites.
_LISTING_CHARS = re.compile("[\t\a\n\f]")


class RenderError(Exception):
    """A person's values could not be rendered (missing value, refused expression)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_UNDEFINED_NAME = re.compile(r"^'([^']*)' is undefined$")
_MISSING_ATTRIBUTE = re.compile(r"^'?(.*?)'? has no attribute '([^']*)'$")


def explain_template_error(exc: Exception) -> str:
    """A Chinese sentence for a render error, naming the variable when there is one."""
    if isinstance(exc, UndefinedError) and not isinstance(exc, SecurityError):
        text = str(exc.message or exc)
        match = _UNDEFINED_NAME.match(text)
        if match:
            return f"缺少变量 {match.group(1)} 的值"
        match = _MISSING_ATTRIBUTE.match(text)
        if match:
            return f"缺少变量 {match.group(2)} 的值（{match.group(1)} 中没有这一项）"
        return f"缺少变量的值：{text}"
    if isinstance(exc, SecurityError):
        return f"模板中的表达式不安全，已拒绝执行（{exc}）"
    return f"模板渲染出错：{exc}"


def _has_tags(source: str) -> bool:
    """Whether Jinja would see anything but text in ``source`` (default delimiters)."""
    return "{{" in source or "{%" in source or "{#" in source


class _Compiled:
    """Stands in for the environment in ``DocxTemplate.render_xml_part``: hands back
    the template compiled at preparation instead of compiling the source again."""

    __slots__ = ("template",)

    def __init__(self, template: Template) -> None:
        self.template = template

    def from_string(self, source: str) -> Template:
        return self.template


class _Docxtpl(DocxTemplate):
    """docxtpl's own patching and post-processing, with one exact shortcut."""

    def resolve_listing(self, xml: str) -> str:
        # resolve_listing only ever replaces \t \a \n \f inside w:t; without them its
        # three nested regex passes (a Python callback per paragraph, run and text)
        # return the input unchanged, so skip them.
        if _LISTING_CHARS.search(xml) is None:
            return xml
        return super().resolve_listing(xml)

    def render_xml_part(self, src_xml: str, part: Any, context: dict[str, Any], jinja_env: Any = None) -> str:
        if not isinstance(jinja_env, _Compiled):
            return super().render_xml_part(src_xml, part, context, jinja_env)
        # docxtpl's own steps, without the regex pass over the source (it only feeds
        # the compile, done at preparation) and with the regex that undoes the
        # "\n<w:p" split written as two plain replaces (same result, a fifth of the time).
        self.current_rendering_part = part
        xml = jinja_env.template.render(context)
        xml = xml.replace("\n<w:p ", "<w:p ").replace("\n<w:p>", "<w:p>")
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        return self.resolve_listing(xml)


# ---------------------------------------------------------------- the parts docxtpl renders


@dataclass
class _Part:
    """A part rendered per person: its patched source, compiled once (None: no tags)."""

    name: str
    source: str
    template: Template | None
    finish: Callable[[str], bytes]
    docx_part: Any
    static: Member | None = None


class PreparedTemplate:
    """A template read, patched and compiled once, rendered for many people."""

    def __init__(self, data: bytes, *, name: str = "template.docx") -> None:
        self.data = data
        self.name = name
        self.env = make_env()
        self.env.autoescape = True  # what DocxTemplate.render(..., autoescape=True) does
        self._tpl = _Docxtpl(io.BytesIO(data))
        try:
            self._tpl.render_init()
        except Exception as exc:  # python-docx: not a zip, no main part, broken XML …
            raise InputError(f"无法作为 Word 文档读取（{exc}）", file=name) from None
        docx = self._tpl.docx
        self._root = docx.element  # document element; its w:body is swapped per person
        self._body = self._root.body
        self._core = docx.core_properties  # created (as docxtpl does) when the template has none
        package = docx.part.package
        self._core_part = next(p for p in package.parts if p.content_type == CT.OPC_CORE_PROPERTIES)
        baseline = io.BytesIO()
        docx.save(baseline)  # what python-docx writes for every part docxtpl leaves alone
        members = read_members(baseline.getvalue())
        if members is None:  # python-docx writes a plain zip; anything else is not ours to copy
            raise InputError("无法作为 Word 文档读取（python-docx 写出的不是普通 zip）", file=name)
        self._members = members
        self._order = list(self._members)

        self._body_part = self._part(docx.part.partname.membername, self._tpl.get_xml(), docx.part,
                                     self._finish_body)
        self._parts: list[_Part] = []
        seen = {self._body_part.name}
        for uri in (DocxTemplate.HEADER_URI, DocxTemplate.FOOTER_URI):
            for _rel, part in self._tpl.get_headers_footers(uri):
                if part.partname.membername in seen:
                    continue
                seen.add(part.partname.membername)
                xml = self._tpl.get_part_xml(part)
                encoding = self._tpl.get_headers_footers_encoding(xml)
                self._parts.append(self._part(part.partname.membername, xml, part, _xml_part_finisher(encoding)))
        self._footnotes = [
            self._part(part.partname.membername, part.blob.decode("utf-8"), part, _encode_utf8)
            for part in package.parts if part.content_type == CT.WML_FOOTNOTES
        ]
        self._properties: dict[str, Template | str] = {}
        for prop in _PROPERTIES:
            initial = getattr(self._core, prop)
            self._properties[prop] = self._compile(initial) if _has_tags(initial) else initial
        self._static_core: Member | None = None
        if not any(isinstance(value, Template) for value in self._properties.values()):
            self._static_core = self._core_member({})
        for part in (self._body_part, *self._parts):
            self._freeze(part)

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its bytes (for worker processes that are not forked)."""
        return (_rebuild, (self.data, self.name))

    # -- preparation

    def _compile(self, source: str) -> Template:
        try:
            return self.env.from_string(source)
        except TemplateSyntaxError as exc:
            raise InputError(f"模板中的 Jinja 语法错误：{exc}", file=self.name) from None

    def _part(self, name: str, xml: str, docx_part: Any, finish: Callable[[str], bytes]) -> _Part:
        source = self._tpl.patch_xml(xml)
        template = None
        if _has_tags(source):
            # render_xml_part compiles what it is given after this substitution; compiling
            # the same text here keeps docxtpl's line numbers in error messages.
            template = self._compile(re.sub(r"<w:p([ >])", r"\n<w:p\1", source))
        return _Part(name=name, source=source, template=template, finish=finish, docx_part=docx_part)

    def _freeze(self, part: _Part) -> None:
        """A part without tags renders the same for everyone: do it once, keep it compressed."""
        if part.template is not None:
            return
        try:
            part.static = deflate(part.name, self._render_part(part, {}, self.env), COMPRESS_LEVEL)
        except Exception:  # noqa: BLE001 - then it fails per person, as in docxtpl
            part.static = None

    # -- per person

    def _render_part(self, part: _Part, context: dict[str, Any], env: Any) -> bytes:
        xml = self._tpl.render_xml_part(part.source, part.docx_part, context, env)
        return part.finish(xml)

    def _render_member(self, part: _Part, context: dict[str, Any]) -> Member:
        if part.static is not None:
            return part.static
        env = _Compiled(part.template) if part.template is not None else self.env
        return deflate(part.name, self._render_part(part, context, env), COMPRESS_LEVEL)

    def _finish_body(self, xml: str) -> bytes:
        """DocxTemplate.render after build_xml: fix tables and docPr ids, swap the body in."""
        tree = self._tpl.fix_tables(xml)
        self._tpl.docx_ids_index = 1000
        self._tpl.fix_docpr_ids(tree)
        self._root.replace(self._body, tree)
        self._body = tree
        return serialize_part_xml(self._root)

    def _core_member(self, context: dict[str, Any]) -> Member:
        for prop, value in self._properties.items():
            rendered = value.render(context) if isinstance(value, Template) else value
            try:
                setattr(self._core, prop, rendered)
            except ValueError:
                raise RenderError(f"文档属性 {prop} 的值超过 255 个字符：{rendered[:20]}…") from None
        return deflate(self._core_part.partname.membername, self._core_part.blob, COMPRESS_LEVEL)

    def _footnote_members(self, context: dict[str, Any]) -> list[Member]:
        """docxtpl renders the footnotes once per section of the rendered body (sic)."""
        sections = len(self._tpl.docx.sections) if self._footnotes else 0
        out: list[Member] = []
        for part in self._footnotes:
            if sections == 0:
                continue
            xml = part.source
            for index in range(sections):
                if index:
                    xml = self._tpl.patch_xml(xml)
                env = _Compiled(part.template) if index == 0 and part.template is not None else self.env
                xml = self._tpl.render_xml_part(xml, part.docx_part, context, env)
            out.append(deflate(part.name, xml.encode("utf-8"), COMPRESS_LEVEL))
        return out

    def render(self, context: Mapping[str, Any]) -> bytes:
        """The person's document: docxtpl's ``render(context, env, autoescape=True)`` + ``save``."""
        values = dict(context)
        rendered: dict[str, Member] = {}
        try:
            for part in (self._body_part, *self._parts):
                rendered[part.name] = self._render_member(part, values)
            core = self._static_core or self._core_member(values)
            rendered[core.name.decode("utf-8")] = core
            for member in self._footnote_members(values):
                rendered[member.name.decode("utf-8")] = member
        except (UndefinedError, SecurityError) as exc:
            raise RenderError(explain_template_error(exc)) from None
        except TemplateError as exc:
            raise RenderError(explain_template_error(exc)) from None
        except etree.LxmlError as exc:
            raise RenderError(f"渲染后的文档结构无效（{exc}），请检查模板中的 {{%p %}} 等标签是否成对") from None
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise RenderError(f"模板中的表达式无法计算（{exc}），请检查对应的值") from None
        try:
            return write_members([rendered.get(name) or self._members[name] for name in self._order])
        except PackageTooLarge:
            raise RenderError("生成的文档超过 4 GB，无法写出") from None


def _rebuild(data: bytes, name: str) -> PreparedTemplate:
    return PreparedTemplate(data, name=name)


def _encode_utf8(xml: str) -> bytes:
    return xml.encode("utf-8")


def _xml_part_finisher(encoding: str) -> Callable[[str], bytes]:
    """What docxtpl does with a rendered header or footer: python-docx loads it as a new
    XmlPart (``map_headers_footers_xml``) and serialises it when saving."""

    def finish(xml: str) -> bytes:
        return serialize_part_xml(parse_xml(xml.encode(encoding)))

    return finish
