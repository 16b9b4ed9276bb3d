"""Template + one person's context → the finished .docx bytes.

``PreparedTemplate`` is the seam for batch speed: a batch builds it once and
calls ``render`` per person. Rendering goes through docxtpl so the output is
docxtpl's, with our sandboxed environment.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from docxtpl import DocxTemplate
from jinja2 import TemplateError, UndefinedError
from jinja2.exceptions import SecurityError

from .environment import make_env
from .errors import InputError


class RenderError(Exception):
    """A person's values could not be rendered (missing value, refused expression)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def explain_template_error(exc: Exception) -> str:
    if isinstance(exc, UndefinedError):
        name = str(exc.message or exc).replace("'", "").replace(" is undefined", "")
        return f"缺少变量 {name} 的值"
    if isinstance(exc, SecurityError):
        return f"模板中的表达式不安全，已拒绝执行（{exc}）"
    return f"模板渲染出错：{exc}"


class PreparedTemplate:
    """A template read once for a whole batch."""

    def __init__(self, data: bytes, *, name: str = "template.docx") -> None:
        self.data = data
        self.name = name
        self.env = make_env()

    def render(self, context: Mapping[str, Any]) -> bytes:
        template = DocxTemplate(io.BytesIO(self.data))
        try:
            template.render(dict(context), self.env, autoescape=True)
        except (UndefinedError, SecurityError) as exc:
            raise RenderError(explain_template_error(exc)) from None
        except TemplateError as exc:
            if exc.__class__.__name__ == "TemplateSyntaxError":
                raise InputError(f"模板中的 Jinja 语法错误：{exc}", file=self.name) from None
            raise RenderError(explain_template_error(exc)) from None
        except (TypeError, ValueError, ArithmeticError) as exc:
            raise RenderError(f"模板中的表达式无法计算（{exc}），请检查对应的值") from None
        out = io.BytesIO()
        template.save(out)
        return out.getvalue()
