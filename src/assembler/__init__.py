"""assembler: build 述职述廉报告 from a Git-kept library of snippets.

The pipeline reads in one direction: load (snippets, rules, checklist, people)
→ assemble (a docxtpl template) → render (per person) → write (docx, pdf, manifest).
"""

__version__ = "0.1.0"


def _wire() -> None:
    """The composition root: the loaders check templates through the template layer's grammar."""
    from .load.grammar import install
    from .template.grammar import JINJA

    install(JINJA)


_wire()
