"""Ctrl-C while a CLI's modules load: held (noted, not raised) until the command starts, then
raised there, so that it ends as one during a run does (``interrupted``, exit 130, the JSON
envelope) instead of as a traceback from the import machinery. Imports nothing heavy."""

from __future__ import annotations

# the C module Python has loaded at start-up: `signal` would first import enum, a few
# milliseconds in which a Ctrl-C is still a traceback
import _signal as signal  # type: ignore[import-not-found,unused-ignore]
from types import FrameType

_state = {"held": False, "pending": False}


def _note(_signum: int, _frame: FrameType | None) -> None:
    _state["pending"] = True


def hold_interrupts() -> None:
    """Note SIGINT instead of raising it, until :func:`release_interrupts`; only where Python's
    own handler is in place (a shell that ignores SIGINT for a background job keeps that)."""
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _note)
        _state["held"] = True


def release_interrupts() -> None:
    """Put Python's handler back and raise the KeyboardInterrupt held meanwhile, if any; does
    nothing unless :func:`hold_interrupts` held them (so a command run in a thread is fine)."""
    if not _state["held"]:
        return
    _state["held"] = False
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if _state["pending"]:
        _state["pending"] = False
        raise KeyboardInterrupt
