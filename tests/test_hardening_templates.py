# ruff: noqa: E501 - tables of payloads read best one per line
"""Template injection: a corpus of known Jinja payloads in every place a template or a value goes.

Each payload is put, in turn, in a snippet body, the rules' title, a rules ``when``,
the rules' ``output_name`` and a person's values, and the whole ``assembler build``
runs in-process under a time and memory cap. Whatever happens, it must be one of:

* refused: exit 2 with ``错误：<file>:<line>: <Chinese message>`` (parse-time checks), or
  the person fails with a Chinese message (exit 1, in the output and the manifest);
* inert: the report is written and the payload shows up as text.

Never: a marker file created by a payload, the content of a secret file in any output,
Python internals (``<class …>``, ``<module …>``, ``__subclasses__`` lists) in any output,
a file outside OUTDIR, a traceback, more than ``BUILD_SECONDS`` seconds or a
``MemoryError``.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from assembler.template import environment
from assembler.template.environment import make_env
from fixtures.hostile.support import (
    CJK,
    PERSON,
    assert_clean_exit,
    build_cli,
    copy_mini,
    document_xml,
    docx_text,
    limits,
    write_people,
)

#: Seconds one build of one person may take with any payload (the render budget is 10 s).
BUILD_SECONDS = 20
#: What must never appear in any output: evidence that a payload reached Python internals.
LEAKS = re.compile(r"<(?:class|module|function|built-in|bound method|method|jinja2\.|Namespace|Context|"
                   r"TemplateReference|Environment|Undefined|Cycler|Joiner)\b|root:x:0:0")


@dataclass(frozen=True)
class Payload:
    id: str
    template: str            # for snippet bodies, title, output_name, people values
    expression: str | None   # for ``when`` (None: the template form is used and must be refused)
    kind: str                # code | file | memory | time | crash | escape


#: Payloads that may legitimately render, and the text they must render as.
INERT = {"raw-block": "{{ 7 * 7 }}", "safe-filter": "<w:p/>"}


# {M}: a marker file the payload tries to create; {S}: a secret file it tries to read.
PAYLOADS = [
    # -- attribute walks to code execution
    Payload("class-mro-subclasses", "{{ ''.__class__.__mro__[1].__subclasses__() }}",
            "''.__class__.__mro__[1].__subclasses__()", "code"),
    Payload("class-base-subclasses-popen",
            "{% for c in ().__class__.__base__.__subclasses__() %}{% if c.__name__ == 'Popen' %}"
            "{{ c('touch {M}', shell=True) }}{% endif %}{% endfor %}",
            "().__class__.__base__.__subclasses__()|select('equalto', 'Popen')|list", "code"),
    Payload("init-globals-os", "{{ x.__init__.__globals__['os'].system('touch {M}') }}",
            "x.__init__.__globals__['os'].system('touch {M}')", "code"),
    Payload("cycler-globals-os", "{{ cycler.__init__.__globals__.os.system('touch {M}') }}",
            "cycler.__init__.__globals__.os.system('touch {M}')", "code"),
    Payload("joiner-globals-os", "{{ joiner.__init__.__globals__.os.popen('touch {M}').read() }}",
            "joiner.__init__.__globals__.os.popen('touch {M}').read()", "code"),
    Payload("namespace-globals-builtins",
            "{{ namespace.__init__.__globals__.__builtins__.__import__('os').system('touch {M}') }}",
            "namespace.__init__.__globals__.__builtins__.__import__('os').system('touch {M}')", "code"),
    Payload("self-template-reference", "{{ self._TemplateReference__context.environment }}",
            "self._TemplateReference__context", "code"),
    Payload("self-dict", "{{ self.__dict__ }}", "self.__dict__", "code"),
    Payload("lipsum-globals", "{{ lipsum.__globals__['os'].system('touch {M}') }}",
            "lipsum.__globals__['os'].system('touch {M}')", "code"),
    Payload("config-flask", "{{ config.__class__.__init__.__globals__['os'].system('touch {M}') }}",
            "config.__class__.__init__.__globals__['os'].system('touch {M}')", "code"),
    Payload("config-items", "{{ config.items() }}", "config.items()", "code"),
    Payload("request-application",
            "{{ request.application.__globals__.__builtins__.__import__('os').system('touch {M}') }}",
            "request.application.__globals__.__builtins__.__import__('os').system('touch {M}')", "code"),
    Payload("url-for-globals", "{{ url_for.__globals__.os.system('touch {M}') }}",
            "url_for.__globals__.os.system('touch {M}')", "code"),
    Payload("dict-mro-subclasses", "{{ dict.mro()[-1].__subclasses__() }}", "dict.mro()[-1].__subclasses__()", "code"),
    Payload("range-globals", "{{ range.__globals__['os'].system('touch {M}') }}",
            "range.__globals__['os'].system('touch {M}')", "code"),
    Payload("attr-filter-class", "{{ x|attr('__class__')|attr('__mro__') }}", "x|attr('__class__')|attr('__mro__')",
            "code"),
    Payload("attr-filter-escaped", "{{ ''|attr('\\x5f\\x5fclass\\x5f\\x5f') }}", "''|attr('\\x5f\\x5fclass\\x5f\\x5f')",
            "code"),
    Payload("getitem-class", "{{ x['__class__']['__base__'] }}", "x['__class__']['__base__']", "code"),
    Payload("getattribute", "{{ x.__getattribute__('__class__') }}", "x.__getattribute__('__class__')", "code"),
    Payload("loop-class", "{% for i in [1] %}{{ loop.__class__.__init__.__globals__ }}{% endfor %}",
            "[1].__class__", "code"),
    Payload("bound-method-self", "{{ 'a'.replace.__self__.__class__ }}", "'a'.replace.__self__", "code"),
    Payload("format-attribute", "{{ '{0.__class__.__init__.__globals__}'.format(cycler) }}",
            "'{0.__class__.__init__.__globals__}'.format(cycler)", "code"),
    Payload("format-map-attribute", "{{ '{c.__init__.__globals__}'.format_map({'c': cycler}) }}",
            "'{c.__init__.__globals__}'.format_map({'c': cycler})", "code"),
    Payload("format-filter-attribute", "{{ '%s'|format(cycler.__init__) }}", "'%s'|format(cycler.__init__)", "code"),
    Payload("percent-format", "{{ '%s' % cycler.__init__.__globals__ }}", "'%s' % cycler.__init__.__globals__", "code"),
    Payload("namespace-set-class", "{% set ns = namespace() %}{% set ns.x = ns.__class__ %}{{ ns.x }}",
            "namespace().__class__", "code"),
    Payload("mutate-list", "{% set l = [] %}{{ l.append(1) }}{{ l }}", "[].append(1)", "code"),
    Payload("mutate-dict", "{% set d = {} %}{{ d.update(a=1) }}{{ d }}", "{}.update(a=1)", "code"),
    Payload("import-os", "{% import 'os' as os %}{{ os.system('touch {M}') }}", None, "code"),
    Payload("from-import", "{% from 'os' import system %}{{ system('touch {M}') }}", None, "code"),
    Payload("autoescape-off", "{% autoescape false %}{{ 名字 }}{% endautoescape %}", None, "escape"),
    Payload("safe-filter", "{{ '<w:p/>'|safe }}", "'<w:p/>'|safe", "escape"),
    # -- reading files
    Payload("include-file", "{% include '{S}' %}", None, "file"),
    Payload("extends-file", "{% extends '{S}' %}", None, "file"),
    Payload("open-builtin", "{{ cycler.__init__.__globals__.__builtins__.open('{S}').read() }}",
            "cycler.__init__.__globals__.__builtins__.open('{S}').read()", "file"),
    Payload("get-source", "{{ self._TemplateReference__context.environment.loader.get_source(None, '{S}') }}",
            "self._TemplateReference__context", "file"),
    # -- memory
    Payload("string-repeat", "{{ 'x' * 999999999 }}", "'x' * 999999999", "memory"),
    Payload("list-repeat", "{{ [1] * 999999999 }}", "[1] * 999999999", "memory"),
    Payload("power-tower", "{{ 9 ** (9 ** 9) }}", "9 ** (9 ** 9)", "memory"),
    Payload("power-bits", "{{ ((2 ** 99) ** 99) ** 99 }}", "((2 ** 99) ** 99) ** 99", "memory"),
    Payload("passwd", "{{ cycler.__init__.__globals__.__builtins__.open('/etc/passwd').read() }}",
            "cycler.__init__.__globals__.__builtins__.open('/etc/passwd').read()", "file"),
    Payload("format-width", "{{ '{:>999999999}'.format(1) }}", "'{:>999999999}'.format(1)", "memory"),
    Payload("format-nested-width", "{{ '{0:{1}}'.format('x', 999999999) }}", "'{0:{1}}'.format('x', 999999999)",
            "memory"),
    Payload("percent-width", "{{ '%0999999999d' % 1 }}", "'%0999999999d' % 1", "memory"),
    Payload("percent-star", "{{ '%*d' % (999999999, 1) }}", "'%*d' % (999999999, 1)", "memory"),
    Payload("format-filter-width", "{{ '%999999999s'|format('x') }}", "'%999999999s'|format('x')", "memory"),
    Payload("center", "{{ 'x'|center(999999999) }}", "'x'|center(999999999)", "memory"),
    Payload("indent", "{{ 'x\ny'|indent(999999999) }}", "'x'|indent(999999999, true)", "memory"),
    Payload("ljust", "{{ 'x'.ljust(999999999) }}", "'x'.ljust(999999999)", "memory"),
    Payload("expandtabs", "{{ '\t'.expandtabs(999999999) }}", "'\t'.expandtabs(999999999)", "memory"),
    Payload("to-bytes", "{{ (1).to_bytes(999999999, 'big') }}", "(1).to_bytes(999999999, 'big')", "memory"),
    Payload("join-repeat", "{{ range(99999)|join('x' * 99999) }}", "range(99999)|join('x' * 99999)", "memory"),
    Payload("str-join-repeat", "{{ ('x' * 99999).join(range(99999)|map('string')) }}",
            "('x' * 99999).join(range(99999)|map('string'))", "memory"),
    Payload("replace-empty", "{{ ('a' * 99999)|replace('', 'x' * 99999) }}", "('a' * 99999)|replace('', 'x' * 99999)",
            "memory"),
    Payload("batch-fill", "{{ range(1)|batch(999999999, 'x')|list }}", "range(1)|batch(999999999, 'x')|list",
            "memory"),
    Payload("slice-many", "{{ range(1)|slice(999999999)|list }}", "range(1)|slice(999999999)|list", "memory"),
    Payload("wordwrap", "{{ ('x' * 99999)|wordwrap(1, true, 'y' * 99999) }}",
            "('x' * 99999)|wordwrap(1, true, 'y' * 99999)", "memory"),
    Payload("tojson-indent", "{{ [[1]]|tojson(999999999) }}", "[[1]]|tojson(999999999)", "memory"),
    Payload("lipsum", "{{ lipsum(99999, min=100, max=101) }}", "lipsum(99999, min=100, max=101)", "memory"),
    Payload("concat-doubling",
            "{% set ns = namespace(s='x' * 99999) %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
            "{% endfor %}{{ ns.s|length }}", None, "memory"),
    Payload("plus-doubling",
            "{% set ns = namespace(s='x' * 99999) %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}"
            "{% endfor %}{{ ns.s|length }}", None, "memory"),
    Payload("list-doubling",
            "{% set ns = namespace(x=[1]) %}{% for i in range(60) %}{% set ns.x = [ns.x, ns.x] %}"
            "{% endfor %}{{ ns.x }}", None, "memory"),
    Payload("int-squaring",
            "{% set ns = namespace(x=9 ** 99) %}{% for i in range(40) %}{% set ns.x = ns.x * ns.x %}"
            "{% endfor %}{{ ns.x > 0 }}", None, "memory"),
    Payload("deep-list", "{% set ns = namespace(x=[]) %}{% for i in range(99999) %}{% set ns.x = [ns.x] %}"
            "{% endfor %}{{ ns.x }}", None, "memory"),
    Payload("macro-output-amplifier",
            "{% set big = 'x' * 99999 %}{% macro m() %}{% for i in range(99999) %}{{ big }}{% endfor %}"
            "{% endmacro %}{{ m() }}", None, "memory"),
    Payload("range-huge", "{{ range(10 ** 9)|list }}", "range(10 ** 9)|list", "memory"),
    # -- time
    Payload("nested-range-loops",
            "{% for a in range(99999) %}{% for b in range(99999) %}x{% endfor %}{% endfor %}", None, "time"),
    Payload("nested-empty-loops",
            "{% for a in range(99999) %}{% for b in range(99999) %}{% for c in range(99999) %}{% endfor %}"
            "{% endfor %}{% endfor %}", None, "time"),
    Payload("macro-fanout", "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}",
            None, "time"),
    Payload("loop-filter-calls", "{% for a in range(99999) %}{{ range(99999)|sum }}{% endfor %}", None, "time"),
    Payload("sort-in-loop", "{% for a in range(99999) %}{{ range(99999)|reverse|sort|first }}{% endfor %}", None,
            "time"),
    # -- crashes of the interpreter itself
    Payload("macro-recursion", "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", None, "crash"),
    Payload("recursive-loop", "{% for x in [1] recursive %}{{ loop([1]) }}{% endfor %}", None, "crash"),
    Payload("for-nesting-bomb", "{% for a in [1] %}" * 25 + "x" + "{% endfor %}" * 25, None, "crash"),
    Payload("if-nesting-bomb", "{% if true %}" * 120 + "x" + "{% endif %}" * 120, None, "crash"),
    Payload("paren-bomb", "{{ " + "(" * 2000 + "1" + ")" * 2000 + " }}", "(" * 2000 + "1" + ")" * 2000, "crash"),
    Payload("plus-chain", "{{ " + "+".join(["1"] * 5000) + " }}", "+".join(["1"] * 5000), "crash"),
    Payload("attr-chain", "{{ x" + ".a" * 3000 + " }}", "x" + ".a" * 3000, "crash"),
    Payload("unknown-filter", "{{ x|nosuchfilter }}", "x|nosuchfilter", "crash"),
    # -- inert text that looks like a template
    Payload("raw-block", "{% raw %}{{ 7 * 7 }}{% endraw %}", None, "escape"),
]

PLACES = ("body", "title", "when", "output_name", "people")


def _fill(text: str, marker: Path, secret: Path) -> str:
    return text.replace("{M}", str(marker)).replace("{S}", str(secret))


@dataclass
class Outcome:
    exit_code: int
    output: str
    out: Path
    seconds: float


def _build_with(tmp_path: Path, payload: Payload, place: str) -> tuple[Outcome, Path, str]:
    lib = copy_mini(tmp_path)
    marker = tmp_path / "MARKER"
    secret = tmp_path / "secret.txt"
    token = "SECRET-7f3a9c"
    secret.write_text(token, encoding="utf-8")
    template = _fill(payload.template, marker, secret)
    person = dict(PERSON)
    rules_path = lib / "rules.yaml"
    rules = yaml.safe_load(rules_path.read_text(encoding="utf-8"))
    if place == "body":
        snippet = lib / "snippets" / "closing" / "submit.md"
        snippet.write_text(snippet.read_text(encoding="utf-8") + "\n" + template + "\n", encoding="utf-8")
    elif place == "title":
        rules["title"] = "{{ year }}年度述职述廉报告" + template
    elif place == "output_name":
        rules["output_name"] = template + "-{{ name }}"
    elif place == "when":
        expression = _fill(payload.expression, marker, secret) if payload.expression else template
        for section in rules["sections"]:
            if section["id"] == "duties":
                section["snippets"][0] = {"id": "duties.party", "when": expression}
    elif place == "people":
        for column in ("姓名", "单位", "职务"):
            person[column] = template
    rules_path.write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    people = write_people(tmp_path / "people.json", [person])
    out = tmp_path / "out"
    started = time.monotonic()
    with limits(seconds=BUILD_SECONDS + 5):
        result = build_cli(lib, people, out)
    seconds = time.monotonic() - started
    assert_clean_exit(result)
    assert not marker.exists(), f"payload ran code: {marker} was created"
    return Outcome(result.exit_code, result.output, out, seconds), lib, token


def _outputs(out: Path) -> dict[str, str]:
    """Every file the build wrote, as text (reports through python-docx, so they must open)."""
    texts: dict[str, str] = {}
    if not out.exists():
        return texts
    for path in out.rglob("*"):
        if path.suffix == ".docx":
            texts[path.name] = docx_text(path) + "\n" + path.name
            assert len(document_xml(path)) <= environment.MAX_OUTPUT_CHARS * 4
        elif path.is_file():
            texts[path.name] = path.read_text(encoding="utf-8", errors="replace")
    return texts


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("payload", PAYLOADS, ids=[p.id for p in PAYLOADS])
def test_payload_is_refused_or_inert(tmp_path, payload, place):
    outcome, lib, token = _build_with(tmp_path, payload, place)
    assert outcome.seconds < BUILD_SECONDS, f"{payload.id} in {place} took {outcome.seconds:.1f} s"
    everything = _outputs(outcome.out)
    # Nothing outside OUTDIR: the only new things in tmp_path are lib, people, secret, out.
    assert sorted(p.name for p in lib.parent.iterdir()) == ["lib", "out", "people.json", "secret.txt"] or \
        sorted(p.name for p in lib.parent.iterdir()) == ["lib", "people.json", "secret.txt"]
    for name, text in everything.items():
        assert token not in text, f"{name} holds the secret file's content"
        assert not LEAKS.search(text), f"{name} shows Python internals: {LEAKS.search(text).group(0)!r}"
    assert token not in outcome.output
    assert not LEAKS.search(outcome.output.replace("模板沙箱", "")), outcome.output
    if place == "people":
        # A value is data, never a template: it is written literally.
        assert outcome.exit_code == 0, outcome.output
        [report] = [text for name, text in everything.items() if name.endswith(".docx")]
        literal = _fill(payload.template, lib.parent / "MARKER", lib.parent / "secret.txt")
        assert literal in report
        return
    if outcome.exit_code == 2:
        # Refused before anything was written, naming the file and line.
        message = outcome.output.strip()
        assert message.startswith("错误：") and CJK.search(message[3:]), message
        expected = "submit.md" if place == "body" else "rules.yaml"
        assert expected in message, message
        assert not outcome.out.exists() or not list(outcome.out.glob("*.docx"))
        return
    manifest = json.loads((outcome.out / "manifest.json").read_text(encoding="utf-8"))
    [entry] = manifest["reports"]
    if outcome.exit_code == 1:
        # Refused for the person, with a Chinese reason, and no report.
        assert entry["status"] == "failed" and entry["errors"], manifest
        assert all(CJK.search(error) for error in entry["errors"])
        assert "错误：" in outcome.output
        assert not list(outcome.out.glob("*.docx"))
        return
    # Written: only payloads that are plain text in disguise, and they show up as that text.
    assert outcome.exit_code == 0
    assert entry["status"] == "written"
    assert payload.id in INERT, f"{payload.id} in {place} was neither refused nor inert"
    [report] = [text for name, text in everything.items() if name.endswith(".docx")]
    if place in ("body", "title", "output_name"):
        assert INERT[payload.id] in report or place == "output_name", report


def test_corpus_is_big_enough():
    assert len(PAYLOADS) >= 20
    assert {p.kind for p in PAYLOADS} == {"code", "file", "memory", "time", "crash", "escape"}
    # Every family of payload the hardening issue names has members (each tried in every place).
    families = {
        "attribute walk": r"__class__|__mro__|__subclasses__", "globals walk": r"__globals__",
        "cycler": r"\bcycler\b", "joiner": r"\bjoiner\b", "namespace": r"\bnamespace\b", "self": r"\bself\.",
        "config-style lookup": r"\b(config|request|url_for)\b", "format string": r"\.format(_map)?\(|\|format|' %",
        "huge range": r"range\((99999|10 \*\* 9)\)", "string repeat": r"'x' \* 9{5,}",
    }
    for family, pattern in families.items():
        assert sum(bool(re.search(pattern, p.template)) for p in PAYLOADS) >= 1, family
    assert set(PLACES) == {"body", "title", "when", "output_name", "people"}


# ---------------------------------------------------------------- the environment directly


@pytest.mark.parametrize("source", [
    "{% for a in range(99999) %}{% for b in range(99999) %}x{% endfor %}{% endfor %}",
    "{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}",
    "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}",
    "{% set big = 'x' * 99999 %}{% for i in range(99999) %}{{ big }}{% endfor %}",
])
def test_render_budget_stops_runaway_templates_within_seconds(source):
    from jinja2.exceptions import SecurityError

    started = time.monotonic()
    with limits(seconds=60), pytest.raises(SecurityError, match="已停止|已拒绝"):
        make_env().from_string(source).render()
    assert time.monotonic() - started < 5


def test_budget_is_per_render_not_per_environment():
    env = make_env()
    template = env.from_string("{% for a in range(90000) %}{% endfor %}ok")
    for _ in range(20):  # 1.8 million iterations in all: more than one render's budget
        assert template.render() == "ok"


def test_printed_values_lose_characters_xml_cannot_hold():
    env = make_env()
    assert env.from_string("{{ v }}").render(v="a\x00b\x07c\ud800d\ufffee\x1ff\r\ng") == "abcdef\ng"

    class Joined(list):  # like values.TextList: printed with its own __str__
        def __str__(self) -> str:
            return "、".join(self)

    assert env.from_string("{{ v }}").render(v=Joined(["东\x0b村", "西\x1b村"])) == "东村、西村"


def test_safe_filter_does_not_unescape():
    assert make_env().from_string("{{ v|safe }}").render(v="<w:p/>") == "&lt;w:p/&gt;"


@pytest.mark.parametrize("source", [
    "{% include 'x' %}", "{% import 'x' as y %}", "{% extends 'x' %}", "{% from 'x' import y %}",
    "{% autoescape false %}{% endautoescape %}", "{% for x in y recursive %}{% endfor %}",
    "{{ x|nosuchfilter }}", "{{ x is nosuchtest }}", "{% for a in b %}" * 11 + "{% endfor %}" * 11,
])
def test_refused_when_parsed(source):
    from jinja2 import TemplateSyntaxError

    with pytest.raises(TemplateSyntaxError) as info:
        make_env().parse(source)
    assert CJK.search(info.value.message)


def test_legitimate_templates_still_work():
    env = make_env()
    source = ("{% set ns = namespace(n=0) %}{% for v in villages %}{{ loop.index }}.{{ v }}"
              "{% if not loop.last %}、{% endif %}{% set ns.n = ns.n + 1 %}{% endfor %}"
              "（{{ ns.n }}个，{{ '%.1f'|format(rate) }}%，{{ '{:,}'.format(money) }}元，"
              "{{ villages|join('、') }}，{{ name|center(6) }}，{{ (2 ** 10) * 3 }}）")
    assert env.from_string(source).render(villages=["东村", "西村"], rate=12.345, money=1234567, name="张三") == (
        "1.东村、2.西村（2个，12.3%，1,234,567元，东村、西村，  张三  ，3072）")
