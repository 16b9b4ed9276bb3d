"""Rendering many people: the hot loop of a batch.

Kept apart from ``pipeline`` so that how reports are rendered (one process, or
every core) can change without touching what is rendered. Each job is a
person's context and a target path; the result is the path written or the
person's error message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .output import atomic_write
from .render import PreparedTemplate, RenderError


@dataclass
class RenderJob:
    key: Any  # which prepared template (the person's selection)
    context: dict[str, Any]
    target: Path
    tag: Any = None  # the caller's handle (e.g. the plan), passed back untouched


@dataclass
class RenderOutcome:
    job: RenderJob
    error: str | None = None


def render_jobs(
    templates: Callable[[Any], PreparedTemplate],
    jobs: Iterable[RenderJob],
    *,
    workers: int | None = 1,
    finish: Callable[[bytes], bytes] | None = None,
) -> Iterator[RenderOutcome]:
    """Render and write each job, yielding outcomes in job order.

    ``templates(key)`` gives the prepared template for a job; ``finish`` may
    post-process the bytes (e.g. stamp provenance) before they are written.
    """
    for job in jobs:
        try:
            data = templates(job.key).render(job.context)
            if finish is not None:
                data = finish(data)
            atomic_write(job.target, data)
        except RenderError as exc:
            yield RenderOutcome(job, exc.message)
            continue
        yield RenderOutcome(job)
