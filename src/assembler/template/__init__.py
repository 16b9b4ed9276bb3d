"""The one sandboxed Jinja environment, and the analysis of expressions and template variables."""
