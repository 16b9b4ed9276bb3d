"""A pool of offices converting a queue of documents to PDF, one document per office at a time.

One worker thread per office: the thread owns its ``OfficeProcess`` and the UNO bridge it made,
pulls documents from a shared queue and reports each result.  The calling thread only waits for
results, so Ctrl-C (a KeyboardInterrupt, raised in the main thread) and errors in the progress
callback surface there and stop every office through ``close()``.

Failures are judged per document:
- the office does not answer within ``timeout`` → a watchdog kills it (the blocked UNO call then
  fails), the worker restarts it with a fresh profile and tries the document once more;
- the office dies under a document → the same restart and one retry;
- the document itself is bad (office alive, load or export refused) → an error for it, no retry.
In every case the rest of the batch goes on.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from ..errors import OfficeError
from .convert import UNO_LOCK, DocumentError, LoadRefused, convert_document, part_path, place, precheck
from .process import OfficeProcess, OfficeStopped, Watchdog, default_jobs, require_office, signal_safety_net

log = logging.getLogger("assembler.office")

Progress = Callable[[int, int], None]
AttemptHook = Callable[[Path, int, OfficeProcess], None]


@dataclass
class ConversionResult:
    """One input's outcome: ``pdf`` when converted, otherwise ``error`` (in Chinese)."""

    source: Path
    pdf: Path | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.pdf is not None


@dataclass
class _Job:
    index: int
    source: Path
    target: Path
    done: queue.Queue[tuple[int, ConversionResult]] = field(repr=False)


class OfficePool:
    """N offices (default: one per core), started when first needed and always stopped by ``close()``.

    Use as ``with OfficePool(jobs=2) as pool: pool.convert(files)``.  ``before_attempt`` is a test
    seam called in the worker just before each try (source, attempt number 1 or 2, the office), e.g.
    to freeze the office and so simulate a hanging document.
    """

    def __init__(self, jobs: int | None = None, *, timeout: float = 60.0, soffice: str | None = None,
                 before_attempt: AttemptHook | None = None) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.jobs = max(1, jobs if jobs else default_jobs())
        self.timeout = timeout
        self.soffice = soffice
        self.before_attempt = before_attempt
        self.document_seconds: list[float] = []
        """Time of each successful conversion inside an office (load, export, close), for the benchmark."""
        self.events: list[str] = []
        """What went wrong and was recovered from (timeouts, crashes, restarts), in Chinese."""
        self._offices: list[OfficeProcess] = []
        self._workers: list[threading.Thread] = []
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._stopping = threading.Event()
        self._closed = False
        self._net: contextlib.ExitStack | None = None
        self._converted: dict[str, int] = {}  # per office: documents converted since it (re)started

    # -- context

    def __enter__(self) -> OfficePool:
        self._net = contextlib.ExitStack()
        self._net.enter_context(signal_safety_net())
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- what callers may look at

    @property
    def started_pids(self) -> set[int]:
        """Every process id the pool's offices started (oosplash, soffice.bin, their helpers)."""
        return set().union(*(office.started_pids for office in self._offices))

    @property
    def sessions(self) -> set[int]:
        """Session ids of every office started; no live process may carry one after ``close()``."""
        return set().union(*(office.sessions for office in self._offices))

    def office_pids(self) -> list[int]:
        """soffice.bin process ids of the offices running now."""
        return [office.main_pid for office in list(self._offices) if office.main_pid is not None]

    # -- work

    def convert(self, inputs: Sequence[Path | str], *, outdir: Path | None = None,
                progress: Progress | None = None) -> list[ConversionResult]:
        """PDFs of ``inputs`` (beside each, or in ``outdir``), results in input order.

        If anything interrupts the wait (Ctrl-C, an exception from ``progress``) the pool is closed,
        every office killed, and the exception goes on.
        """
        if self._closed:
            raise RuntimeError("OfficePool is closed")
        sources = [Path(item) for item in inputs]
        results: list[ConversionResult | None] = [None] * len(sources)
        done_queue: queue.Queue[tuple[int, ConversionResult]] = queue.Queue()
        jobs: list[_Job] = []
        claimed: dict[Path, Path] = {}
        if outdir is not None:
            Path(outdir).mkdir(parents=True, exist_ok=True)
        for index, source in enumerate(sources):
            target = (Path(outdir) if outdir is not None else source.parent) / f"{source.stem}.pdf"
            key = target.resolve()
            if not source.exists():
                results[index] = ConversionResult(source, None, "文件不存在")
            elif not source.is_file():
                results[index] = ConversionResult(source, None, "不是文件，无法转换")
            elif (problem := precheck(source)) is not None:
                results[index] = ConversionResult(source, None, problem)
            elif key in claimed:
                message = f"与 {claimed[key]} 会生成同一个 PDF（{target}），已跳过"
                results[index] = ConversionResult(source, None, message)
            else:
                claimed[key] = source
                jobs.append(_Job(index, source, target, done_queue))
        total, finished = len(sources), len(sources) - len(jobs)
        try:
            if jobs:
                require_office()
                self._grow(min(self.jobs, len(jobs)))
                for job in jobs:
                    self._queue.put(job)
            if progress and total:
                progress(finished, total)
            while finished < total:
                try:  # short waits: a signal taken by a UNO thread is only acted on between them
                    index, result = done_queue.get(timeout=0.2)
                except queue.Empty:
                    if not any(worker.is_alive() for worker in self._workers):
                        raise RuntimeError("all office workers ended with documents left") from None
                    continue
                results[index] = result
                finished += 1
                if progress:
                    progress(finished, total)
        except BaseException:
            self.close()
            raise
        return [result for result in results if result is not None]

    def _grow(self, count: int) -> None:
        """Add workers up to ``count``; each starts its office only when it takes its first document."""
        soffice = self.soffice or require_office()
        while len(self._workers) < count:
            slot = len(self._workers)
            office = OfficeProcess(soffice, name=f"office-{slot}")
            self._offices.append(office)
            worker = threading.Thread(target=self._work, args=(office,), name=f"assembler-{office.name}",
                                      daemon=True)
            self._workers.append(worker)
            worker.start()

    def _work(self, office: OfficeProcess) -> None:
        """A worker's loop: convert documents until the pool stops; never raises."""
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                result = self._convert_one(office, job)
            except OfficeStopped:
                result = ConversionResult(job.source, None, "转换已取消")
            except Exception as exc:  # a bug here must not hang the caller
                log.exception("converting %s", job.source)
                result = ConversionResult(job.source, None, f"内部错误：{exc!r}")
            job.done.put((job.index, result))

    def _convert_one(self, office: OfficeProcess, job: _Job) -> ConversionResult:
        """Up to two tries, the second one on a freshly started office."""
        reason = ""
        for attempt in (1, 2):
            if self._stopping.is_set():
                raise OfficeStopped()
            if office.running and not office.alive():
                self._event(f"{office.name}: LibreOffice 在两个文档之间意外退出，重新启动")
            try:
                office.ensure_running()
            except OfficeError as exc:
                if self._stopping.is_set():
                    raise OfficeStopped() from exc
                reason = exc.message
                self._event(f"{office.name}: 启动 LibreOffice 失败（{job.source.name}）：{reason}")
                continue
            if self.before_attempt is not None:
                self.before_attempt(job.source, attempt, office)
            failure = self._attempt(office, job)
            if failure is None:
                return ConversionResult(job.source, job.target)
            kind, reason = failure
            if kind == "document":
                return ConversionResult(job.source, None, reason)
            self._event(f"{office.name}: {job.source.name}（第{attempt}次）：{reason}，重启 LibreOffice")
            office.kill()
            self._converted[office.name] = 0
        return ConversionResult(job.source, None, f"{reason}（已重启 LibreOffice 重试，仍然失败）")

    def _attempt(self, office: OfficeProcess, job: _Job) -> tuple[str, str] | None:
        """One try: None when the PDF is in place, else ("office" | "document", reason).

        The PDF is written under a hidden temporary name in the target folder and renamed at the end,
        so an interrupted conversion never leaves a half PDF under the real name.
        """
        part = part_path(job.target)
        dog = Watchdog(self.timeout, office.kill)
        error: Exception | None = None
        try:
            began = time.monotonic()
            with dog:
                convert_document(office.desktop, job.source, part)
            spent = time.monotonic() - began
            if dog.fired:  # finished just as the watchdog fired: the office is gone, the PDF may not be whole
                raise RuntimeError("timed out")
            try:
                place(part, job.target)
            except OSError as exc:
                return "document", f"无法写入 PDF（{job.target}）：{exc.strerror or exc}"
            self.document_seconds.append(spent)
            self._converted[office.name] = self._converted.get(office.name, 0) + 1
            return None
        except Exception as exc:
            error = exc
        finally:
            with contextlib.suppress(OSError):
                part.unlink()
        if self._stopping.is_set():
            raise OfficeStopped() from error
        if dog.fired:
            return "office", f"转换超过 {self.timeout:g} 秒未完成"
        if not office.alive():
            return "office", "LibreOffice 在转换过程中意外退出"
        if isinstance(error, LoadRefused) and not self._converted.get(office.name):
            # nothing opened since this office started: a start-up failure, not this document's fault
            return "office", f"{error.message}；LibreOffice 启动后还未能打开任何文件"
        if isinstance(error, DocumentError):
            return "document", error.message
        if not _is_uno_error(error):  # not LibreOffice's answer (pyuno glitch or our bug): try again
            log.error("%s: %s", job.source, error, exc_info=error)
            return "office", f"内部错误：{error!r}"
        if "disposed" in str(error).lower():  # the bridge broke although the process still shows up
            return "office", "与 LibreOffice 的连接中断"
        return "document", f"LibreOffice 无法转换此文件：{getattr(error, 'Message', '') or error}"

    def _event(self, message: str) -> None:
        self.events.append(message)
        log.info("%s", message)

    # -- stopping

    def close(self) -> None:
        """Stop every office and worker; safe to call more than once, from ``finally`` or ``__exit__``."""
        if self._closed:
            return
        self._closed = True
        self._stopping.set()
        with contextlib.suppress(queue.Empty):
            while True:
                self._queue.get_nowait()
        for office in self._offices:  # all at once; this also unblocks workers stuck in UNO calls
            office.signal_kill()
        for office in self._offices:
            office.close()
        for _ in self._workers:
            self._queue.put(None)
        for worker in self._workers:
            worker.join(timeout=20)
        for office in self._offices:
            office.close()
        if self._net is not None:
            self._net.close()
            self._net = None


def _is_uno_error(error: BaseException | None) -> bool:
    import uno

    with UNO_LOCK:
        base = uno.getClass("com.sun.star.uno.Exception")
    return isinstance(error, base)


def convert_to_pdf(inputs: Sequence[Path], *, jobs: int | None = None, timeout: float = 60.0,
                   outdir: Path | None = None, progress: Progress | None = None) -> list[ConversionResult]:
    """Convert .docx/.odt files to PDF with a pool of offices that is gone when this returns.

    One result per input, in order; a document that cannot be converted gets an ``error`` and the
    others go on.  Raises ``OfficeError`` only when LibreOffice is not installed at all.
    """
    sources = [Path(item) for item in inputs]
    if not sources:
        return []
    require_office()
    with OfficePool(jobs=jobs, timeout=timeout) as pool:
        return pool.convert(sources, outdir=outdir, progress=progress)
