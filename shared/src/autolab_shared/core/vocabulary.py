"""The words autolab writes, defined once: verdicts with their exit codes, status words, crash
classes, reason codes and warning codes. Each value is the string JSON and results files carry."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from enum import Enum

from autolab_shared.core.exitcodes import ExitCode

if sys.version_info >= (3, 11):
    from enum import StrEnum
else:  # pragma: no cover - Python 3.10

    class StrEnum(str, Enum):
        """A str that is also an enum member (``enum.StrEnum`` from Python 3.11)."""

        def __str__(self) -> str:
            return str(self.value)

        def __format__(self, spec: str) -> str:
            return format(str(self.value), spec)


class ExitCoded:
    """What every verdict has: its exit code, from the one table :data:`EXIT_CODES`."""

    @property
    def exit_code(self) -> ExitCode:
        """The process exit code this verdict gives."""
        return EXIT_CODES[self]


class Verdict(ExitCoded, StrEnum):
    """autojudge's label of one candidate (docs/stats.md §5); BASELINE only in ``--all``."""

    STRONG_KEEP = "STRONG_KEEP"
    KEEP = "KEEP"
    MARGINAL = "MARGINAL"
    RETEST = "RETEST"
    DISCARD = "DISCARD"
    CRASH = "CRASH"
    BASELINE = "BASELINE"


class NightVerdict(ExitCoded, StrEnum):
    """autojudge ``--all``: did the night improve on its baseline."""

    IMPROVEMENT = "improvement"
    NO_IMPROVEMENT = "no_improvement"
    NOT_ENOUGH_SIGNAL = "not_enough_signal"


class Regime(ExitCoded, StrEnum):
    """autosteer's verdict on a history: keep going, change direction, or re-run first."""

    PROGRESSING = "progressing"
    STUCK = "stuck"
    INCONCLUSIVE = "inconclusive"


# The one table from verdicts to exit codes (README "Exit codes", docs/stats.md §5).
EXIT_CODES: Mapping[ExitCoded, ExitCode] = {
    Verdict.STRONG_KEEP: ExitCode.KEEP,
    Verdict.KEEP: ExitCode.KEEP,
    Verdict.MARGINAL: ExitCode.KEEP,
    Verdict.RETEST: ExitCode.RETEST,
    Verdict.DISCARD: ExitCode.DISCARD,
    Verdict.CRASH: ExitCode.DISCARD,
    Verdict.BASELINE: ExitCode.KEEP,
    NightVerdict.IMPROVEMENT: ExitCode.KEEP,
    NightVerdict.NO_IMPROVEMENT: ExitCode.DISCARD,
    NightVerdict.NOT_ENOUGH_SIGNAL: ExitCode.RETEST,
    Regime.PROGRESSING: ExitCode.KEEP,
    Regime.STUCK: ExitCode.DISCARD,
    Regime.INCONCLUSIVE: ExitCode.RETEST,
}


class Status(StrEnum):
    """A results row's status word once normalised (docs/formats.md); RETEST is the pending word
    autojudge ``--append`` and autoevolve write, which reads back as UNKNOWN."""

    KEEP = "keep"
    DISCARD = "discard"
    CRASH = "crash"
    UNKNOWN = "unknown"
    RETEST = "retest"


class CrashKind(StrEnum):
    """Why a run gave no value: run.log's classes (parsing/crashes.py), then autoevolve's."""

    OOM = "oom"
    NAN = "nan"
    TIMEOUT = "timeout"
    TRACEBACK = "traceback"
    EMPTY = "empty"
    CRASH = "crash"  # the run failed and its run.log says nothing more
    NO_VALUE = "no_value"  # a run given without a value or a crash class
    INTERRUPTED = "interrupted"  # stopped by autoevolve
    INVALID_RUNLOG = "invalid_runlog"  # more than one summary: the agent wrote to run.log
    IMPLAUSIBLE = "implausible"  # too good, and a clean checkout disagrees
    NODE_LOST = "node_lost"  # the Ray node running it went away
    SETUP_FAILED = "setup_failed"  # no Ray node could set the run up


class Reason(StrEnum):
    """The reason codes of a verdict (docs/json-schema.md, ``reasons``)."""

    EXPECTED_GAIN = "expected_gain"
    NO_EXPECTED_GAIN = "no_expected_gain"
    WITHIN_NOISE = "within_noise"
    CALIBRATE = "calibrate"
    MEMORY = "memory"
    MEMORY_PENALTY = "memory_penalty"
    NON_INFERIOR = "non_inferior"
    BASELINE = "baseline"
    RUNLOG_CUT = "runlog_cut"


class NextAction(StrEnum):
    """What a verdict asks the loop to do next, when anything."""

    RERUN_CANDIDATE = "rerun_candidate"
    RERUN_TO_CALIBRATE = "rerun_to_calibrate"


class ErrorCode(StrEnum):
    """The ``code`` of an entry in a JSON envelope's ``errors`` (docs/json-schema.md)."""

    USAGE_ERROR = "usage_error"  # exit 4
    INPUT_ERROR = "input_error"  # exit 3: unusable input
    INTERNAL_ERROR = "internal_error"  # exit 3: a bug
    ERROR = "error"  # exit 3: another failure
    INTERRUPTED = "interrupted"  # exit 130


class WarningCode(StrEnum):
    """The stable ``code`` of a parse warning (listed in parsing/results.py and docs/runlog.md)."""

    # decoding and line ends (file level)
    BOM = "bom"
    ENCODING = "encoding"
    NUL = "nul"
    CRLF = "crlf"
    BARE_CR = "bare_cr"
    # results.tsv: header and lines
    NO_HEADER = "no_header"
    HEADER_REPAIR = "header_repair"
    HEADER_ONLY = "header_only"
    REPEATED_HEADER = "repeated_header"
    SCHEMA_CHANGE = "schema_change"
    METRIC_MISSING = "metric_missing"
    METRIC_RENAMED = "metric_renamed"
    COMMENT = "comment"
    BLANK = "blank"
    BANNER = "banner"
    CONTINUATION = "continuation"
    NOT_A_ROW = "not_a_row"
    SPACE_SEPARATED = "space_separated"
    COMMA_SEPARATED = "comma_separated"
    TRAILING_TABS = "trailing_tabs"
    RAGGED = "ragged"
    SHORT_ROW = "short_row"
    HALF_WRITTEN = "half_written"
    DUPLICATE_ROW = "duplicate_row"
    # results.tsv: cells
    BAD_VALUE = "bad_value"
    CRASH_INFERRED = "crash_inferred"
    ZERO_METRIC = "zero_metric"
    LENIENT_VALUE = "lenient_value"
    PERCENT = "percent"
    UNKNOWN_STATUS = "unknown_status"
    NO_STATUS = "no_status"
    NO_NUMERIC_METRIC = "no_numeric_metric"
    DIRECTION_GUESSED = "direction_guessed"
    DIRECTION_CONFLICT = "direction_conflict"
    COMMIT_REUSED = "commit_reused"
    # run.log
    TAIL_ONLY = "tail_only"
    NO_FINAL_NEWLINE = "no_final_newline"
    ANSI = "ansi"
    SUMMARY_EMPTY = "summary_empty"
    SUMMARY_IGNORED = "summary_ignored"
    SUMMARY_TRAILING = "summary_trailing"
    SUMMARY_LINE = "summary_line"
    DUPLICATE_KEY = "duplicate_key"
    INLINE_METRIC = "inline_metric"
    CUT_LINE = "cut_line"
    SUMMARY_BLOCKS = "summary_blocks"
    METRIC_ALIAS = "metric_alias"
    METRIC_NOT_NUMERIC = "metric_not_numeric"
    LONG_RUN = "long_run"
    # autojudge --append
    TORN_LINE = "torn_line"
    COMMIT_UNKNOWN = "commit_unknown"
    EXTRAS_FAILED = "extras_failed"
