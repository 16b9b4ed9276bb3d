import pytest
from jinja2 import UndefinedError
from jinja2.exceptions import SecurityError

from assembler.template.environment import check_expression, expression_variables, make_env


def render(source, **context):
    return make_env().from_string(source).render(**context)


def test_autoescape_and_strict():
    assert render("{{ x }}", x="张三&李四<测试>") == "张三&amp;李四&lt;测试&gt;"
    with pytest.raises(UndefinedError):
        render("{{ missing }}")


@pytest.mark.parametrize("payload", [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ x.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ 'a' * 100000000 }}",
    "{{ 10 ** 10000000 }}",
    "{% for i in range(10**9) %}{% endfor %}",
])
def test_sandbox_refuses(payload):
    with pytest.raises((SecurityError, UndefinedError, OverflowError)):
        render(payload, x="v")


def test_expression_helpers():
    assert expression_variables("'驻村帮扶' in duties and grid_cells > 0") == {"duties", "grid_cells"}
    assert check_expression("grid_cells >") is not None
    assert check_expression("a > 1") is None


@pytest.mark.parametrize(("expression", "says"), [
    ("money >", "“>”后面缺少"),
    ("grid_cells > 0 and", "“and”后面缺少内容"),
    ("(a > 1", "括号"),
    ("a >> 1", "“>”"),
])
def test_a_broken_condition_is_explained_readably(expression, says):
    """Issue 13, item 8: ``money >`` was reported as "unexpected ')'"."""
    reason = check_expression(expression)
    assert reason is not None and says in reason
    assert "unexpected ')'" not in reason
