"""render_jobs: ordered, streaming, every core, and one person's failure stays that person's."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

import pytest

from assembler.build import batch as batch_module
from assembler.build.batch import RenderJob, render_jobs
from assembler.build.render import PreparedTemplate
from assembler.errors import InputError
from docx_helpers import joined_text

PEER = Path(__file__).resolve().parents[2] / "shared" / "peer" / "docxtpl-tests" / "templates"
if not PEER.is_dir():  # CI clones main with shared/ beside it
    PEER = Path(__file__).resolve().parents[1].parent / "shared" / "peer" / "docxtpl-tests" / "templates"

TEMPLATE = PEER / "multi_rendering_tpl.docx"  # {{ title }} and {{ body }}


@pytest.fixture(scope="module")
def prepared() -> PreparedTemplate:
    return PreparedTemplate(TEMPLATE.read_bytes(), name=TEMPLATE.name)


def make_jobs(folder: Path, count: int, *, missing_every: int = 0, key: object = None):
    """A generator, as the pipeline may give: nothing is built ahead."""
    for index in range(count):
        context = {"title": f"标题{index}", "body": f"正文 & <{index}>"}
        if missing_every and index % missing_every == missing_every - 1:
            del context["body"]
        yield RenderJob(key=key, context=context, target=folder / f"{index}.docx", tag=index)


def no_children_left(grace: float = 10.0) -> bool:
    """No worker process is left; one that was killed gets a moment to be reaped (busy CI machines)."""
    deadline = time.monotonic() + grace
    while multiprocessing.active_children():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("workers", [1, 2])
def test_outcomes_in_order_with_errors_per_person(prepared, tmp_path, workers):
    outcomes = list(render_jobs(lambda _key: prepared, make_jobs(tmp_path, 40, missing_every=7), workers=workers))
    assert [o.job.tag for o in outcomes] == list(range(40))
    for outcome in outcomes:
        if outcome.job.tag % 7 == 6:
            assert outcome.error == "缺少变量 body 的值"
            assert not outcome.job.target.exists()
        else:
            assert outcome.error is None
            assert f"标题{outcome.job.tag}正文 & <{outcome.job.tag}>" in joined_text(outcome.job.target)
    assert no_children_left()


def test_workers_write_the_same_files_as_one_process(prepared, tmp_path):
    one, many = tmp_path / "one", tmp_path / "many"
    list(render_jobs(lambda _key: prepared, make_jobs(one, 30), workers=1))
    list(render_jobs(lambda _key: prepared, make_jobs(many, 30), workers=2))
    for index in range(30):
        assert (one / f"{index}.docx").read_bytes() == (many / f"{index}.docx").read_bytes()


def test_workers_none_means_every_core(prepared, tmp_path, monkeypatch):
    seen = []
    original = batch_module._render_in_pool

    def spy(templates, jobs, count, chunk, finish):
        seen.append(count)
        return original(templates, jobs, count, chunk, finish)

    monkeypatch.setattr(batch_module, "_render_in_pool", spy)
    monkeypatch.setattr(os, "cpu_count", lambda: 3)
    outcomes = list(render_jobs(lambda _key: prepared, make_jobs(tmp_path, 50), workers=None))
    assert seen == [3] and all(o.error is None for o in outcomes)


def test_jobs_are_pulled_lazily(prepared, tmp_path):
    pulled = []

    def jobs():
        for job in make_jobs(tmp_path, 400):
            pulled.append(job.tag)
            yield job

    stream = render_jobs(lambda _key: prepared, jobs(), workers=2)
    first = next(stream)
    assert first.job.tag == 0
    in_flight = 2 * batch_module.WINDOW_PER_WORKER * batch_module.CHUNK + batch_module.CHUNK
    assert len(pulled) <= in_flight < 400
    stream.close()  # the caller stops reading: the pool goes away
    assert no_children_left()


def test_finish_runs_in_the_worker(prepared, tmp_path):
    def finish(data: bytes) -> bytes:
        return data + f"<{os.getpid()}>".encode()

    list(render_jobs(lambda _key: prepared, make_jobs(tmp_path, 24), workers=2, finish=finish))
    pids = {(tmp_path / f"{i}.docx").read_bytes().rsplit(b"<", 1)[1] for i in range(24)}
    assert f"{os.getpid()}>".encode() not in pids


def measure(data: bytes, extra: str) -> tuple[bytes, tuple[str, int, str]]:
    """An ``after`` hook as the pipeline would use it: stamp the job's extra, measure the text."""
    return data + extra.encode(), (extra, os.getpid(), joined_text(data))


@pytest.mark.parametrize("workers", [1, 2])
def test_after_gets_the_jobs_extra_and_its_value_comes_back_in_order(prepared, tmp_path, workers):
    def jobs():
        for job in make_jobs(tmp_path, 40, missing_every=9):
            job.extra = f"<extra {job.tag}>"
            yield job

    outcomes = list(render_jobs(lambda _key: prepared, jobs(), workers=workers, after=measure))
    assert [o.job.tag for o in outcomes] == list(range(40))
    pids = set()
    for outcome in outcomes:
        tag = outcome.job.tag
        if tag % 9 == 8:
            assert outcome.error == "缺少变量 body 的值" and outcome.value is None
            continue
        extra, pid, text = outcome.value
        pids.add(pid)
        assert extra == f"<extra {tag}>"
        assert f"标题{tag}正文 & <{tag}>" in text
        assert outcome.job.target.read_bytes().endswith(extra.encode())  # what after returned is written
    assert (pids == {os.getpid()}) == (workers == 1)


def test_finish_runs_before_after(prepared, tmp_path):
    def finish(data: bytes) -> bytes:
        return data + b"[finish]"

    def after(data: bytes, extra: object) -> tuple[bytes, bool]:
        return data + b"[after]", data.endswith(b"[finish]")

    outcomes = list(render_jobs(lambda _key: prepared, make_jobs(tmp_path, 3), finish=finish, after=after))
    assert [o.value for o in outcomes] == [True] * 3
    assert (tmp_path / "0.docx").read_bytes().endswith(b"[finish][after]")


def test_unexpected_exception_is_that_persons_error(prepared, tmp_path):
    def boom(data: bytes) -> bytes:
        raise KeyError("意外")

    for workers in (1, 2):
        outcomes = list(render_jobs(lambda _key: prepared, make_jobs(tmp_path / str(workers), 10),
                                    workers=workers, finish=boom))
        assert len(outcomes) == 10
        assert all(o.error == "生成报告时出错（KeyError: '意外'）" for o in outcomes)
    assert no_children_left()


def test_a_template_first_needed_after_the_pool_started(prepared, tmp_path):
    other = PreparedTemplate((PEER / "preserve_spaces_tpl.docx").read_bytes())
    calls = []

    def templates(key):
        calls.append(key)
        return prepared if key == "a" else other

    def jobs():
        yield from make_jobs(tmp_path, 60, key="a")
        for index in range(60, 90):
            yield RenderJob(key="b", context={"tag_1": f"t{index}", "tag_2": "x"},
                            target=tmp_path / f"{index}.docx", tag=index)

    outcomes = list(render_jobs(templates, jobs(), workers=2))
    assert [o.job.tag for o in outcomes] == list(range(90))
    assert all(o.error is None for o in outcomes)
    assert "t75" in joined_text(tmp_path / "75.docx")
    assert len(calls) == 90  # resolved in this process, once per job


def test_template_that_cannot_be_prepared_raises_and_stops_the_pool(prepared, tmp_path):
    def templates(key):
        if key == "bad":
            raise InputError("模板中的 Jinja 语法错误")
        return prepared

    def jobs():
        yield from make_jobs(tmp_path, 30, key="good")
        yield RenderJob(key="bad", context={}, target=tmp_path / "bad.docx")

    with pytest.raises(InputError):
        list(render_jobs(templates, jobs(), workers=2))
    assert no_children_left()


def test_keyboard_interrupt_leaves_no_process(prepared, tmp_path):
    def jobs():
        yield from make_jobs(tmp_path, 40)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        list(render_jobs(lambda _key: prepared, jobs(), workers=2))
    assert no_children_left()


def test_a_dead_worker_fails_only_the_jobs_in_flight(prepared, tmp_path):
    parent = os.getpid()

    def finish(data: bytes) -> bytes:
        if os.getpid() != parent and (tmp_path / "kill-once").exists():
            (tmp_path / "kill-once").unlink()
            os._exit(9)  # a worker killed mid-batch (out of memory, kill -9)
        return data

    (tmp_path / "kill-once").touch()
    outcomes = list(render_jobs(lambda _key: prepared, make_jobs(tmp_path, 300), workers=2, finish=finish))
    assert [o.job.tag for o in outcomes] == list(range(300))
    failed = [o for o in outcomes if o.error]
    assert failed and all("子进程意外退出" in o.error for o in failed)
    assert len(failed) <= 2 * batch_module.WINDOW_PER_WORKER * batch_module.CHUNK
    assert all(o.job.target.exists() for o in outcomes if not o.error)
    assert no_children_left()


class Unpicklable(str):
    """A value that cannot travel to a worker (as a careless value class might be)."""

    def __reduce__(self):
        raise TypeError("cannot pickle")


def test_values_that_cannot_reach_a_worker_are_rendered_here(prepared, tmp_path):
    def jobs():
        for job in make_jobs(tmp_path, 20):
            if job.tag == 5:
                job.context["title"] = Unpicklable("不可序列化")
            yield job

    outcomes = list(render_jobs(lambda _key: prepared, jobs(), workers=2))
    assert [o.job.tag for o in outcomes] == list(range(20))
    assert all(o.error is None for o in outcomes)
    assert "不可序列化" in joined_text(tmp_path / "5.docx")


def test_spawned_workers_get_the_templates_as_bytes(prepared, tmp_path, monkeypatch):
    """Windows and macOS have no fork: the templates travel pickled, as their bytes."""
    monkeypatch.setattr(batch_module, "_start_method", lambda: "spawn")
    outcomes = list(render_jobs(lambda _key: prepared, make_jobs(tmp_path, 12), workers=2))
    assert all(o.error is None for o in outcomes)
    assert "标题11" in joined_text(tmp_path / "11.docx")
    assert no_children_left()


def test_an_after_value_that_cannot_come_back_is_made_here(prepared, tmp_path):
    parent = os.getpid()

    def after(data: bytes, extra: object) -> tuple[bytes, object]:
        return data, (Unpicklable("回不来") if os.getpid() != parent else ("here", extra))

    def jobs():
        for job in make_jobs(tmp_path, 16):
            job.extra = job.tag
            yield job

    outcomes = list(render_jobs(lambda _key: prepared, jobs(), workers=2, after=after))
    assert [o.value for o in outcomes] == [("here", tag) for tag in range(16)]
    assert all(o.error is None for o in outcomes)
    assert no_children_left()
