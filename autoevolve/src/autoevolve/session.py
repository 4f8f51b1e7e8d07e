"""A competition run in the foreground: signals and `autoevolve stop --now` become one stop
event, progress goes to a live table or to event lines, and the outcome is read back."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from typing import Any

from autolab_shared.core.errors import AutolabError
from autolab_shared.core.exitcodes import ExitCode

STOP_POLL_S = 0.5  # how often the stop file is read


def make_reporter(output_format: str, quiet: bool, no_color: bool) -> Any:
    """A live table on a terminal; otherwise one line per event (on stderr under JSON)."""
    from .display import LineReporter, LiveReporter

    if output_format == "text" and not quiet and sys.stdout.isatty():
        from autolab_shared.cli.output import make_console

        return LiveReporter(make_console(no_color=no_color))
    return LineReporter(sys.stderr if output_format == "json" else sys.stdout, quiet=quiet)


def run_competition(
    opts: Any,
    reporter: Any,
    cwd: Path | None = None,
    *,
    resume: bool = False,
    tag: str | None = None,
) -> tuple[Any, Any, ExitCode]:
    """Start (or resume) a competition until it ends or is stopped: (layout, state, exit code).

    SIGINT and SIGTERM set the stop event (the controller then stops cleanly); the previous
    handlers are put back afterwards.
    """
    from .board import find_state
    from .controller import exit_code_of, start
    from .controller import resume as resume_run

    stop = threading.Event()
    previous = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
    watcher = threading.Thread(target=watch_stop_file, args=(cwd or Path.cwd(), stop), daemon=True)
    watcher.start()
    try:
        state = resume_run(reporter, stop, cwd, tag) if resume else start(opts, reporter, stop, cwd)
    finally:
        stop.set()  # ends the watcher
        reporter.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    layout, state = find_state(Path(state.agents[0].worktree).parents[1], state.tag)
    code = ExitCode.INTERRUPTED if state.phase == "stopped" else exit_code_of(state)
    return layout, state, code


def watch_stop_file(cwd: Path, stop: threading.Event) -> None:
    """Turn ``autoevolve stop --now`` (a line in .git/autoevolve/stop) into the stop event."""
    from .gitrepo import find_checkout
    from .layout import home_of

    try:
        flag = home_of(find_checkout(cwd).cwd) / "stop"
    except (AutolabError, OSError):  # not a checkout: nothing can ask this run to stop
        return
    while not stop.wait(STOP_POLL_S):
        try:
            if flag.read_text(encoding="utf-8").strip() == "now":
                stop.set()
        except OSError:
            continue
