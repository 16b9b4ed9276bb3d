"""assembler: build 述职述廉报告 from a Git-kept library of snippets.

The pipeline reads in one direction: load (snippets, rules, checklist, people)
→ assemble (a docxtpl template) → render (per person) → write (docx, pdf, manifest).
"""

__version__ = "0.1.0"
