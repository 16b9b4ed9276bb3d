"""House style (公文 typography) checked as text: GB/T 15834 punctuation, GB/T 15835 numerals,
dates, GB/T 9704 heading order, and the library's own wording list.

Pure: text in, ``Finding`` out; no Jinja, no .docx, no office. ``lint`` (snippet
files, positions as line:column) and ``build`` (rendered reports, positions as
paragraph numbers) are thin adapters over ``check_paragraphs``.
"""

from .check import StyleSettings, check_paragraphs
from .findings import BODY, ERROR, LAYOUT, MASK, RULES, WARNING, Finding, Paragraph, excerpt, mask_links
from .fix import Edit, apply_edits
from .wording import FILE_NAME as WORDING_FILE
from .wording import Wording, WordingEntry, load_wording, parse_wording, strict_wording, year_of

__all__ = [
    "BODY", "ERROR", "LAYOUT", "MASK", "RULES", "WARNING", "WORDING_FILE", "Edit", "Finding", "Paragraph",
    "StyleSettings", "Wording", "WordingEntry", "apply_edits", "check_paragraphs", "excerpt", "load_wording",
    "mask_links", "parse_wording", "strict_wording", "year_of",
]
