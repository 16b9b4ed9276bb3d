"""Rendering many people: the hot loop of a batch.

Kept apart from ``pipeline`` so that how reports are rendered (one process, or
every core) can change without touching what is rendered. Each job is a
person's context and a target path; the result is the path written or the
person's error message.

With several workers the jobs go, a few at a time, to a pool of processes (forked
on Linux, so they inherit the templates prepared before the pool started; spawned
elsewhere, receiving each template's bytes once). Each worker renders *and writes*
its files and sends back only the error messages (and what ``after`` returns),
never a document. At most a small window of jobs is in flight, so the caller's jobs
may be a generator of any length and memory stays flat; outcomes come back in job
order.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import AssemblerError
from ..output import atomic_write
from .render import PreparedTemplate, RenderError

Finish = Callable[[bytes], bytes]
#: ``after(data, job.extra) -> (data to write, value)``: per-job post-processing in the worker.
After = Callable[[bytes, Any], tuple[bytes, Any]]

#: Jobs sent to a worker at once: enough to make the cost of a round trip small
#: next to the ~1 ms a report takes, small enough to keep every core busy to the end.
CHUNK = 8
#: Chunks in flight per worker: one being rendered, the rest queued behind it.
WINDOW_PER_WORKER = 4
#: The pool is restarted this many times after a worker died, then the batch stops.
MAX_RESTARTS = 3
_LOST = "生成报告的子进程意外退出（可能是内存不足），本人的报告未生成，请重试"


@dataclass
class RenderJob:
    key: Any  # which prepared template (the person's selection)
    context: dict[str, Any]
    target: Path
    tag: Any = None  # the caller's handle (e.g. the plan), passed back untouched
    extra: Any = None  # handed to ``after`` with the bytes, where the job is rendered (so: picklable)


@dataclass
class RenderOutcome:
    job: RenderJob
    error: str | None = None
    value: Any = None  # what ``after`` returned for this job


def render_jobs(
    templates: Callable[[Any], PreparedTemplate],
    jobs: Iterable[RenderJob],
    *,
    workers: int | None = 1,
    finish: Finish | None = None,
    after: After | None = None,
) -> Iterator[RenderOutcome]:
    """Render and write each job, yielding outcomes in job order.

    ``templates(key)`` gives the prepared template for a job; it is always called in
    this process, so a template that cannot be prepared raises here (an
    ``InputError``), as without workers. ``finish`` may post-process the bytes (e.g.
    stamp provenance) before they are written. ``after`` does the same with the job's
    ``extra`` and also returns a value, handed back in the outcome (e.g. the report's
    text, measured from the bytes before they leave the worker); it runs after
    ``finish``. Both run where the rendering runs (so every core shares that work
    too); with a spawned pool they, ``extra`` and the value must be picklable.
    ``workers``: ``None`` for every core, 1 for this process only.
    """
    post = _Post(finish, after)
    count = (os.cpu_count() or 1) if workers is None else max(1, workers)
    size = len(jobs) if hasattr(jobs, "__len__") else None  # type: ignore[arg-type]
    if size is not None:
        count = min(count, size)
    if count <= 1:
        return _render_here(templates, jobs, post)
    chunk = CHUNK if size is None else max(1, min(CHUNK, math.ceil(size / (count * WINDOW_PER_WORKER))))
    return _render_in_pool(templates, jobs, count, chunk, post)


class _Post:
    """``finish`` then ``after``, as one picklable callable (a spawned pool pickles it)."""

    def __init__(self, finish: Finish | None, after: After | None) -> None:
        self.finish = finish
        self.after = after

    def __call__(self, data: bytes, extra: Any) -> tuple[bytes, Any]:
        if self.finish is not None:
            data = self.finish(data)
        if self.after is not None:
            return self.after(data, extra)
        return data, None


Result = tuple[str | None, Any]  # (the person's error message or None, after's value)


def render_one(prepared: PreparedTemplate, context: dict[str, Any], target: Path, post: _Post | Finish | None,
               extra: Any = None) -> Result:
    """Render, post-process and write one report: (the person's error message or None, value).

    Any failure is that person's failure, so that one odd row never stops a batch
    of thousands; the message carries the exception so it can be looked into.
    """
    if post is not None and not isinstance(post, _Post):
        post = _Post(post, None)
    value = None
    try:
        data = prepared.render(context)
        if post is not None:
            data, value = post(data, extra)
        atomic_write(target, data)
    except RenderError as exc:
        return exc.message, None
    except AssemblerError as exc:
        return exc.message, None
    except OSError as exc:
        return f"无法写入 {target.name}：{exc.strerror or exc}", None
    except Exception as exc:  # noqa: BLE001 - reported for the person, see above
        return f"生成报告时出错（{type(exc).__name__}: {exc}）", None
    return None, value


def _render_here(templates: Callable[[Any], PreparedTemplate], jobs: Iterable[RenderJob],
                 post: _Post) -> Iterator[RenderOutcome]:
    for job in jobs:
        error, value = render_one(templates(job.key), job.context, job.target, post, job.extra)
        yield RenderOutcome(job, error, value)


# ---------------------------------------------------------------- the pool


class _Templates:
    """The parent's side of the templates: a small number for each prepared template."""

    def __init__(self, templates: Callable[[Any], PreparedTemplate]) -> None:
        self.templates = templates
        self.tokens: dict[int, int] = {}  # id(prepared) -> token
        self.prepared: dict[int, PreparedTemplate] = {}  # token -> prepared (keeps ids stable)
        self.inherited: set[int] = set()  # tokens the current pool's workers started with

    def token(self, key: Any) -> int:
        prepared = self.templates(key)
        token = self.tokens.get(id(prepared))
        if token is None:
            token = self.tokens[id(prepared)] = len(self.tokens)
            self.prepared[token] = prepared
        return token

    def late(self, tokens: Iterable[int]) -> dict[int, tuple[bytes, str]]:
        """Templates first seen after the pool started: sent with the jobs that need them."""
        return {token: (self.prepared[token].data, self.prepared[token].name)
                for token in set(tokens) - self.inherited}


_worker_templates: dict[int, PreparedTemplate] = {}
_worker_post: _Post | None = None


def _die_with_parent(parent: int) -> None:
    """A worker whose batch was killed (kill -9) must end too, not live on as an orphan."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _init_worker(templates: dict[int, PreparedTemplate], post: _Post, parent: int) -> None:
    """Runs first in each worker. Ctrl-C is the parent's to handle: it stops the workers."""
    global _worker_post
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_templates.clear()
    _worker_templates.update(templates)
    _worker_post = post


Task = tuple[int, dict[str, Any], Path, Any]  # (template token, context, target, extra)


def _render_chunk(tasks: list[Task], late: dict[int, tuple[bytes, str]]) -> list[Result]:
    for token, (data, name) in late.items():
        if token not in _worker_templates:
            _worker_templates[token] = PreparedTemplate(data, name=name)
    return [render_one(_worker_templates[token], context, target, _worker_post, extra)
            for token, context, target, extra in tasks]


def _start_method() -> str:
    """fork where it is safe and cheap (Linux): workers inherit the prepared templates."""
    return "fork" if sys.platform.startswith("linux") else "spawn"


def _stop(executor: ProcessPoolExecutor) -> None:
    """Stop now: drop queued chunks and end the workers, leaving no process behind."""
    # ProcessPoolExecutor has no public way to end its workers before Python 3.14
    # (terminate_workers); its process table is read before shutdown() drops it.
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join()


def _render_in_pool(templates: Callable[[Any], PreparedTemplate], jobs: Iterable[RenderJob], count: int,
                    chunk: int, post: _Post) -> Iterator[RenderOutcome]:
    registry = _Templates(templates)
    source = iter(jobs)
    context = multiprocessing.get_context(_start_method())
    pending: deque[tuple[Future[list[Result]], list[RenderJob]]] = deque()
    window = count * WINDOW_PER_WORKER

    def take() -> tuple[list[RenderJob], list[int]]:
        batch = list(itertools.islice(source, chunk))
        return batch, [registry.token(job.key) for job in batch]  # prepared here, before any fork

    batch, tokens = take()
    restarts = 0
    while batch:
        registry.inherited = set(registry.prepared)
        executor = ProcessPoolExecutor(max_workers=count, mp_context=context, initializer=_init_worker,
                                       initargs=(dict(registry.prepared), post, os.getpid()))
        try:
            while batch:
                tasks = [(token, job.context, job.target, job.extra) for token, job in zip(tokens, batch, strict=True)]
                pending.append((executor.submit(_render_chunk, tasks, registry.late(tokens)), batch))
                batch, tokens = take()
                while len(pending) >= window or (pending and not batch):
                    yield from _collect(pending, registry, post)
        except BrokenProcessPool:
            # A worker died (killed, out of memory): the chunks in flight are lost and
            # cannot be told apart, so their people are failed; the rest goes on in a new pool.
            _stop(executor)
            restarts += 1
            while pending:
                future, jobs_lost = pending.popleft()
                done = future.done() and not future.cancelled() and future.exception() is None
                results = future.result() if done else [(_LOST, None)] * len(jobs_lost)
                for job, (error, value) in zip(jobs_lost, results, strict=True):
                    yield RenderOutcome(job, error, value)
            if restarts > MAX_RESTARTS:
                raise RuntimeError("生成报告的子进程多次意外退出，已停止") from None
            continue
        except BaseException:  # Ctrl-C, the caller stopped reading, a template that cannot be prepared
            _stop(executor)
            raise
        executor.shutdown(wait=True)


def _collect(pending: deque[tuple[Future[list[Result]], list[RenderJob]]], registry: _Templates,
             post: _Post) -> Iterator[RenderOutcome]:
    """The oldest chunk's outcomes (waiting for it), so that outcomes keep the jobs' order."""
    future, batch = pending[0]
    try:
        results = future.result()
    except BrokenProcessPool:
        raise
    except Exception:  # noqa: BLE001
        # render_one never raises, so this is the trip there or back: a value that
        # cannot be pickled. Those people are done here, in this process.
        results = [render_one(registry.templates(job.key), job.context, job.target, post, job.extra)
                   for job in batch]
    pending.popleft()
    for job, (error, value) in zip(batch, results, strict=True):
        yield RenderOutcome(job, error, value)
