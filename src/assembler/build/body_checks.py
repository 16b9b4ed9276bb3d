"""A report must have a body: the selection as a whole, each person's, and a floor on its length.

Three rules, one place, so that the CLI and the Writer dialog refuse the same things:

* the checklist (or the dialog's ticks) chooses no snippet at all: the batch is refused before
  anything is written (``EmptySelection``, exit 2), whatever single people add in their 选稿 column;
* one person's own adjustments (选稿 column, ``when`` conditions) leave no snippet: that person fails;
* the rules may set ``min_body_chars``: a body under it is written, with a warning.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError

if TYPE_CHECKING:
    from .plan import PersonPlan
    from .project import Project


class EmptySelection(InputError):
    """Nothing ticked: the dialog words this as its own controls, the CLI names the checklist."""


def require_ticks(project: Project) -> None:
    """Refuse a batch whose checklist ticks no snippet."""
    checklist = project.checklist
    if checklist is not None and not checklist.ticked:
        raise EmptySelection("选稿清单没有勾选任何片段，报告将没有正文；请至少勾选一个片段（把“- [ ]”改为“- [x]”）",
                             file=Path(checklist.path) if checklist.path else None)


def empty_body_error(plan: PersonPlan) -> str | None:
    """Why this person's report cannot be written: no snippet left after their adjustments."""
    if plan.errors or plan.included:
        return None
    return "调整后报告没有任何正文片段（选稿列去掉了全部勾选的片段，或片段条件都不满足）；请检查此人的选稿列和相关的值"


def short_body_warning(chars: int, floor: int | None) -> str | None:
    if floor is None or chars >= floor:
        return None
    return (f"报告正文只有 {chars} 字，少于规则文件 min_body_chars 规定的 {floor} 字（少 {floor - chars} 字）；"
            "请检查选稿和此人的值")
