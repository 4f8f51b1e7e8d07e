"""Map a pure function over a long list on two processes: the second half in a forked child.

The result always equals ``fn(items)``: the child sends its half back pickled, and where no
child can run (not Linux, one usable CPU, a short list) or the child fails, the parent
computes that half itself. ``fn`` must be pure and return a list with one picklable result
per item; it must not write to stdout or stderr.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import NoReturn, TypeVar

T = TypeVar("T")
R = TypeVar("R")

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
    child = _start(fn, items[half:])
    try:
        if meanwhile is not None:
            meanwhile()
        first = fn(items[:half])
    except BaseException:
        _discard(child)
        raise
    second: list[R] | None = _collect(child, len(items) - half)
    return first + (second if second is not None else fn(items[half:]))


def can_fork() -> bool:
    """Linux (fork is safe there with numpy loaded) with at least two CPUs for this process."""
    return sys.platform.startswith("linux") and len(os.sched_getaffinity(0)) >= 2


def _start(fn: Callable[[Sequence[T]], list[R]], items: Sequence[T]) -> tuple[int, int] | None:
    """Fork a child computing ``fn(items)``: (its pid, the pipe it answers on), or None."""
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
        _child(fn, items, read_end, write_end)
    os.close(write_end)
    return pid, read_end


def _child(
    fn: Callable[[Sequence[T]], list[R]], items: Sequence[T], read_end: int, write_end: int
) -> NoReturn:
    """In the child: compute, write the pickled result, and leave without cleanup."""
    code = 1
    try:
        import pickle

        os.close(read_end)
        data = pickle.dumps(fn(items), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_end, "wb") as out:
            out.write(data)
        code = 0
    finally:
        os._exit(code)  # no atexit handlers, no flushing of the parent's buffers


def _collect(child: tuple[int, int] | None, size: int) -> list[R] | None:
    """The child's list of `size` results, or None when it failed."""
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
    return result if isinstance(result, list) and len(result) == size else None


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
