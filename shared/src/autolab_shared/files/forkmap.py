"""Pure work on two processes: one part in a forked child, the rest in the parent.

`run_beside` runs one piece of work in a forked child while the parent does another;
`map_in_halves` maps a function over a long list with the second half in the child. The
results always equal those of the plain calls: the child sends its result back pickled, and
where no child can run (not Linux, one usable CPU, a short list) or the child fails, the
parent computes that part itself. The child's work must be pure, return something picklable
and not write to stdout or stderr.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import warnings
from collections.abc import Callable, Sequence
from functools import partial
from typing import NoReturn, TypeVar

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S")

MINIMUM = 20_000  # below this, starting a process costs more than it saves


def map_in_halves(
    fn: Callable[[Sequence[T]], list[R]],
    items: Sequence[T],
    minimum: int = MINIMUM,
    meanwhile: Callable[[], object] | None = None,
) -> list[R]:
    """``fn(items)``, with the second half computed by a forked child where that can help;
    `meanwhile` (other work of the caller) is called in the parent while the child runs, or
    first when no child runs."""
    if len(items) < max(minimum, 2) or not can_fork():
        if meanwhile is not None:
            meanwhile()
        return fn(items)
    half = len(items) // 2

    def first() -> list[R]:
        if meanwhile is not None:
            meanwhile()
        return fn(items[:half])

    size = len(items) - half
    second, mine = run_beside(
        partial(fn, items[half:]), first, lambda r: isinstance(r, list) and len(r) == size
    )
    return mine + second


def run_beside(
    work: Callable[[], R], meanwhile: Callable[[], S], valid: Callable[[object], bool]
) -> tuple[R, S]:
    """``(work(), meanwhile())``: `work` in a forked child while the parent runs `meanwhile`,
    where a child can run (`can_fork`); where none can, or the child fails, or what it sends
    back is not `valid`, the parent computes ``work()`` itself after `meanwhile`."""
    child = _start(work) if can_fork() else None
    try:
        mine = meanwhile()
    except BaseException:
        _discard(child)
        raise
    theirs: tuple[R] | None = _collect(child, valid)
    return (theirs[0] if theirs is not None else work()), mine


def can_fork() -> bool:
    """Linux (fork is safe there with numpy loaded) with at least two CPUs for this process."""
    return sys.platform.startswith("linux") and len(os.sched_getaffinity(0)) >= 2


def _start(work: Callable[[], object]) -> tuple[int, int] | None:
    """Fork a child computing ``work()``: (its pid, the pipe it answers on), or None."""
    read_end, write_end = os.pipe()
    try:
        with warnings.catch_warnings():  # Python 3.12+ warns on forking a threaded process
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:
        _child(work, read_end, write_end)
    os.close(write_end)
    return pid, read_end


def _child(work: Callable[[], object], read_end: int, write_end: int) -> NoReturn:
    """In the child: compute, write the pickled result, and leave without cleanup."""
    code = 1
    try:
        import pickle

        os.close(read_end)
        data = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_end, "wb") as out:
            out.write(data)
        code = 0
    finally:
        os._exit(code)  # no atexit handlers, no flushing of the parent's buffers


def _collect(child: tuple[int, int] | None, valid: Callable[[object], bool]) -> tuple[R] | None:
    """The child's result (alone in a tuple) when `valid` accepts it, or None when the child
    failed."""
    if child is None:
        return None
    pid, read_end = child
    with os.fdopen(read_end, "rb") as source:
        data = source.read()
    if _reap(pid) not in (0, None):
        return None
    import pickle

    try:  # a child that died while writing left a truncated pickle
        result = pickle.loads(data)
    except Exception:
        return None
    return (result,) if valid(result) else None


def _discard(child: tuple[int, int] | None) -> None:
    """Stop a child whose result is no longer wanted."""
    if child is None:
        return
    pid, read_end = child
    os.close(read_end)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    _reap(pid)


def _reap(pid: int) -> int | None:
    """Wait for the child; its wait status, or None where it was reaped already (SIGCHLD
    ignored by the embedding program)."""
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return None
