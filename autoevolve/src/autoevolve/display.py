"""Progress output: a live rich table on a terminal, plain timestamped lines when piped.

Every string here may come from data (descriptions, agent names, agent output): it is made
visible-safe (``safetext``) and handed to rich as ``Text``, so markup in it is never read.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections import deque
from typing import IO, Protocol

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from autolab_shared.cli.output import PipeSafeStream
from autolab_shared.cli.safetext import safe_line, visible
from autolab_shared.core.errors import OutputError

from .board import in_flight
from .statefile import State


class Reporter(Protocol):
    """Receives progress from the competition."""

    def event(self, text: str) -> None: ...
    def update(self, state: State) -> None: ...
    def close(self) -> None: ...


class LineReporter:
    """One line per event, for logs and pipes."""

    def __init__(self, stream: IO[str] | None = None, quiet: bool = False) -> None:
        self.stream = PipeSafeStream(stream or sys.stdout)  # a reader that left is not an error
        self.quiet = quiet
        self._lock = threading.Lock()

    def event(self, text: str) -> None:
        if self.quiet:
            return
        line = safe_line(f"[{time.strftime('%H:%M:%S')}] {visible(text)}") + "\n"
        with self._lock, contextlib.suppress(OutputError):  # progress lost, never the run
            self.stream.write(line)
            self.stream.flush()

    def update(self, state: State) -> None:
        return None

    def close(self) -> None:
        return None


class LiveReporter:
    """A table of agents redrawn in place, with the latest events under it."""

    def __init__(self, console: Console) -> None:
        self._events: deque[Text] = deque(maxlen=8)
        self._state: State | None = None
        self._lock = threading.Lock()
        self._live = Live(
            self._render(), console=console, refresh_per_second=4, get_renderable=self._render
        )
        self._live.start()

    def event(self, text: str) -> None:
        with self._lock:
            self._events.append(event_text(f"{time.strftime('%H:%M:%S')} {text}"))

    def update(self, state: State) -> None:
        with self._lock:
            self._state = state

    def close(self) -> None:
        self._live.stop()

    def _render(self) -> Group:
        with self._lock:
            return Group(agent_table(self._state), *list(self._events))


def agent_table(state: State | None) -> Table:
    """Agents, round, experiment, best, GPU and state as a rich table."""
    title = (
        "autoevolve"
        if state is None
        else (
            f"autoevolve {state.tag}: round {state.round}/{state.config.rounds}, {state.phase}, "
            f"champion {state.champion_value if state.champion_value is not None else '-'}"
        )
    )
    table = Table(title=event_text(title), title_justify="left")
    for column in ("agent", "strategy", "GPU", "exp", "keeps", "best", "state", "training"):
        table.add_column(column)
    for a in state.agents if state else ():
        best = "-" if a.best_value is None else f"{a.best_value:.6f}"
        exp = f"{a.done}/{state.config.experiments_per_round}" if state else ""
        cells = (
            a.name,
            a.strategy,
            a.gpu,
            exp,
            str(a.keeps),
            best,
            f"{a.status} {visible(a.current)}"[:60],
            where_text(state, a.name),
        )
        table.add_row(*(event_text(c) for c in cells))
    return table


def where_text(state: State | None, agent: str) -> str:
    """The agent's trainings in flight: node, GPU and elapsed time, e.g. 'n1:ab12 gpu3 41s'."""
    runs = [t for t in in_flight(state) if t["agent"] == agent] if state else []
    return ", ".join(
        f"{'' if t['node'] == 'local' else t['node'] + ' '}gpu{t['gpu']} {t['elapsed_s']:.0f}s"
        for t in runs
    )


def event_text(text: str) -> Text:
    """Data as rich Text: controls escaped, markup never interpreted."""
    return Text(visible(text))
