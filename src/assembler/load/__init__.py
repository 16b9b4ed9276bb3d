"""Files to data: snippets, rules, the checklist, people and their typed values, YAML with line marks.

Knows nothing of Jinja, OOXML or LibreOffice (import-linter holds this: see pyproject.toml)."""
