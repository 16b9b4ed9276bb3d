"""The library API that the CLI and the LibreOffice extension both call.

load the project (rules, library, checklist: ``build.project``) → plan each person (values,
``when``, missing values, variants: ``build.plan``) → run the batch (one two-pass loop: ``build.run``)
→ measure (length, provenance, near copies: ``build.measure``) → write the results and manifest.json
(``build.results``); optionally PDF (``build.pdf``) and one person's preview (``build.preview``).
Every user mistake surfaces as an ``AssemblerError`` before anything is written; a problem with one
person is recorded for that person and the batch goes on.
"""

from __future__ import annotations

from .build.measure import (
    SIMILARITY_THRESHOLD,
    WARNED_PAIRS,
    ReportMeasure,
    length_warning,
    measure_report,
    over_limit,
    read_reports,
    rules_threshold,
    stamp_and_count,
    stamp_and_read,
)
from .build.pdf import PdfConverter, add_pdfs, check_office
from .build.plan import (
    People,
    PersonPlan,
    assign_variants,
    common_values,
    find_person,
    load_people,
    person_name,
    plan_people,
    plan_person,
    plan_row,
    stream_people,
    type_common,
)
from .build.preview import Preview, preview, preview_pages, render_person
from .build.project import Project, default_base_template, load_project
from .build.results import MANIFEST_PAIRS, BatchResult, ReportResult, manifest_data
from .build.run import Progress, build, render_plain
from .library.similarity import report_text

__all__ = [
    "MANIFEST_PAIRS", "SIMILARITY_THRESHOLD", "WARNED_PAIRS",
    "BatchResult", "People", "PdfConverter", "PersonPlan", "Preview", "Progress", "Project", "ReportMeasure",
    "ReportResult",
    "add_pdfs", "assign_variants", "build", "check_office", "common_values", "default_base_template",
    "find_person", "length_warning", "load_people", "load_project", "manifest_data", "measure_report", "over_limit",
    "person_name", "plan_people", "plan_person", "plan_row", "preview", "preview_pages", "read_reports",
    "render_person", "render_plain", "report_text", "rules_threshold", "stamp_and_count", "stamp_and_read",
    "stream_people", "type_common",
]
