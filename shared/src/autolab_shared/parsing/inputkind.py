"""Telling a results file from a run.log by their first lines, to catch swapped arguments."""

from __future__ import annotations

import os
import re
import stat

SNIFF_BYTES = 8192
# patterns, compiled by `re` on first use (a results file with a tab header needs neither)
SUMMARY_LINE = r"^\s*[A-Za-z_][A-Za-z0-9_]*:\s+[-+0-9.eE]+\s*$"
RESULTS_HEADER = r"^\s*commit\s*\t"


def _head(path: str) -> list[str]:
    """The first non-blank lines of a regular file (never opens a FIFO or device: no hang)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return []
        with open(path, "rb") as handle:
            data = handle.read(SNIFF_BYTES)
    except OSError:
        return []
    return [line for line in data.decode("utf-8", "replace").splitlines() if line.strip()]


def looks_like_runlog(path: str) -> bool:
    """True when ``path`` reads like a training log: no tab header, ``name: number`` lines."""
    lines = _head(path)
    if not lines or "\t" in lines[0]:
        return False
    return any(re.match(SUMMARY_LINE, line) for line in lines) or _suffix(path) == ".log"


def _suffix(path: str) -> str:
    """``Path(path).suffix`` of a regular file's path, without importing pathlib (6 ms)."""
    name = os.path.basename(path)
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def looks_like_results(path: str) -> bool:
    """True when ``path`` starts with a results.tsv header (``commit<TAB>...``)."""
    lines = _head(path)
    return bool(lines) and bool(re.match(RESULTS_HEADER, lines[0], re.IGNORECASE))


def swapped_inputs(results: str, run_log: str | None) -> str | None:
    """Why ``--results``/``--run`` look swapped (or the results file is a log), else None."""
    if results != "-" and looks_like_runlog(results):
        hint = " (--results and --run swapped?)" if run_log else ""
        return f"--results {results} looks like a run.log, not a results file{hint}"
    if run_log and run_log != "-" and looks_like_results(run_log):
        return f"--run {run_log} looks like a results file, not a run.log (swapped with --results?)"
    return None
