"""Status words of results files, normalised to ``keep``, ``discard``, ``crash`` or ``unknown``.

The vocabulary below covers every status cell seen in the real files (docs/formats.md). Words are
compared after :func:`status_key`: lower case, a trailing ``(...)``/``:...`` remark dropped,
spaces and hyphens turned into ``_`` and punctuation such as ``✔`` or ``!`` stripped.
"""

from __future__ import annotations

import re
import unicodedata

from autolab_shared.core.vocabulary import Status

KEEP, DISCARD, CRASH, UNKNOWN = Status.KEEP, Status.DISCARD, Status.CRASH, Status.UNKNOWN
STATUSES: tuple[Status, ...] = (KEEP, DISCARD, CRASH, UNKNOWN)  # what a status cell reads as

# Every word decided on purpose; UNKNOWN entries are listed so the decision is visible.
VOCABULARY: dict[str, Status] = {
    # keep: the change was accepted or is the reference point
    "keep": KEEP, "kept": KEEP, "keeper": KEEP, "best": KEEP, "new_best": KEEP,
    "newbest": KEEP, "baseline": KEEP, "improved": KEEP, "improvement": KEEP,
    "better": KEEP, "approve": KEEP, "approved": KEEP, "accept": KEEP, "accepted": KEEP,
    "final": KEEP, "winner": KEEP, "pass": KEEP, "passed": KEEP,
    "保留": KEEP, "基线": KEEP, "采纳": KEEP, "接受": KEEP,
    # discard: ran fine, not kept
    "discard": DISCARD, "discarded": DISCARD, "revert": DISCARD, "reverted": DISCARD,
    "reject": DISCARD, "rejected": DISCARD, "worse": DISCARD, "neutral": DISCARD,
    "same": DISCARD, "no_improvement": DISCARD, "regressed": DISCARD, "skipped": DISCARD,
    "skip": DISCARD, "回滚": DISCARD, "丢弃": DISCARD, "放弃": DISCARD, "拒绝": DISCARD,
    # crash: no usable measurement
    "crash": CRASH, "crashed": CRASH, "oom": CRASH, "out_of_memory": CRASH,
    "fail": CRASH, "failed": CRASH, "failure": CRASH, "killed": CRASH,
    "diverged": CRASH, "timeout": CRASH, "timed_out": CRASH, "error": CRASH,
    "errored": CRASH, "invalid": CRASH, "broken": CRASH, "失败": CRASH, "崩溃": CRASH,
    # no decision recorded: run bookkeeping, notes, section markers, shifted-column garbage
    "ok": UNKNOWN, "done": UNKNOWN, "completed": UNKNOWN, "run": UNKNOWN,
    "running": UNKNOWN, "pending": UNKNOWN, "blocked": UNKNOWN, "partial": UNKNOWN,
    "contender": UNKNOWN, "tentative": UNKNOWN, "support": UNKNOWN, "repair": UNKNOWN,
    "diag": UNKNOWN, "": UNKNOWN, "retest": UNKNOWN, "rerun": UNKNOWN, "re_run": UNKNOWN,
}  # fmt: skip

# Words that say "measured, decision pending" (autojudge --append writes ``retest``): they read
# as unknown without a warning, and a later row of the same commit decides.
PENDING: frozenset[str] = frozenset({Status.RETEST, "rerun", "re_run", "pending"})

# Word families written with a free-form suffix: reverted_worse, rejected_by_review, ...
_PREFIXES: tuple[tuple[str, Status], ...] = (
    ("reverted", DISCARD), ("rejected", DISCARD), ("discard", DISCARD),
    ("keep", KEEP), ("kept", KEEP), ("crash", CRASH), ("oom", CRASH),
    ("timeout", CRASH), ("timed_out", CRASH),
)  # fmt: skip

_REMARK = re.compile(r"[(（:：].*$", re.DOTALL)
_SEPARATORS = re.compile(r"[\s\-./]+")
_EDGE_PUNCT = re.compile(r"^[\W_]+|[\W_]+$")


def status_key(raw: str) -> str:
    """The comparable form of a status cell: ``' Reverted-Worse ✔'`` → ``'reverted_worse'``."""
    text = unicodedata.normalize("NFKC", raw).strip().lower()
    text = _REMARK.sub("", text).strip()
    text = _EDGE_PUNCT.sub("", text)
    return _SEPARATORS.sub("_", text)


def normalise_status(raw: str) -> Status:
    """Map a status cell to ``keep``/``discard``/``crash``, or ``unknown`` when unrecognised."""
    key = status_key(raw)
    found = VOCABULARY.get(key)
    if found is not None:
        return found
    for prefix, status in _PREFIXES:
        if key.startswith(prefix):
            return status
    return UNKNOWN


def is_pending(raw: str) -> bool:
    """True for a pending word such as ``retest``."""
    return status_key(raw) in PENDING


def is_status_word(raw: str) -> bool:
    """True when the cell is a recognised keep/discard/crash word."""
    return normalise_status(raw) != UNKNOWN
