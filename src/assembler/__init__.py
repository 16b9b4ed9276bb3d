"""assembler: build 述职述廉报告 from a Git-kept library of snippets.

The pipeline reads in one direction: ``load/`` (snippets, rules, checklist, people)
→ ``build/`` (project → plan → run: assemble a docxtpl template, render per person → measure
→ results: docx, manifest) → ``office/`` (pdf). ``pipeline`` is the facade the CLI and the
LibreOffice extension call; docs/CONTRACTS.md has the layers and what each module does.
"""

__version__ = "0.1.0"


def _wire() -> None:
    """The composition root: the loaders check templates through the template layer's grammar."""
    from .load.grammar import install
    from .template.grammar import JINJA

    install(JINJA)


_wire()
