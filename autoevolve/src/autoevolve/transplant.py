"""Cross-over at the granularity of a change, not of a commit.

``git cherry-pick`` fails on the file cross-over exists for: upstream ``train.py`` keeps its
hyperparameters as adjacent ``NAME = value`` lines, so a pick that changes one line conflicts with
a champion that changed its neighbour. Here each change of the picked commit is carried over on
its own: an assignment's new value is written into the receiver's line of the same name, and
every other hunk is applied where its old lines (or, for an insertion, its context) occur exactly
once in the receiver. What applies is kept, what does not is reported.
"""

from __future__ import annotations

import difflib
import os
import re
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field

from .gitrepo import GIT_ENV, Git

# NAME = value   # comment   (module-level or indented; annotated assignments too)
ASSIGNMENT = re.compile(
    r"^(?P<lead>[ \t]*(?P<name>[A-Za-z_][A-Za-z0-9_]*)[ \t]*(?::[^=\n]*)?=[ \t]*)"
    r"(?P<value>[^#\n]*?)(?P<tail>[ \t]*(?:#[^\n]*)?)$"
)
CONTEXT = 3  # lines before an insertion that must match once in the receiver


@dataclass
class FilePlan:
    """What carrying one file's changes over gave: the new text and a report of each change."""

    text: str
    assignments: list[str] = field(default_factory=list)  # "NAME: old -> new"
    hunks_applied: int = 0
    hunks_skipped: list[str] = field(default_factory=list)  # first changed line of each

    @property
    def applied(self) -> bool:
        """True when at least one change was carried over."""
        return bool(self.assignments) or self.hunks_applied > 0


def _assignments(lines: Sequence[str]) -> dict[str, list[int]]:
    """Line numbers of each assigned name (``==`` comparisons and keyword calls excluded)."""
    found: dict[str, list[int]] = {}
    for n, line in enumerate(lines):
        m = ASSIGNMENT.match(line)
        if m and not line[m.end("lead") - 1 :].startswith("=="):
            found.setdefault(m["name"], []).append(n)
    return found


def _value(line: str) -> str:
    m = ASSIGNMENT.match(line)
    return m["value"].strip() if m else ""


def _assignment_changes(old: list[str], new: list[str]) -> dict[str, tuple[int, int]]:
    """Names assigned once in both texts whose value changed: name -> (old line, new line)."""
    before, after = _assignments(old), _assignments(new)
    return {
        name: (before[name][0], after[name][0])
        for name in before.keys() & after.keys()
        if len(before[name]) == len(after[name]) == 1
        and _value(old[before[name][0]]) != _value(new[after[name][0]])
    }


def _set_value(line: str, value: str) -> str:
    m = ASSIGNMENT.match(line)
    assert m is not None
    pad = " " if m["tail"] and not m["tail"].startswith((" ", "\t")) else ""
    return f"{m['lead']}{value}{pad}{m['tail']}"


def _transplant_assignments(
    plan: FilePlan, cur: list[str], old: list[str], new: list[str]
) -> list[str]:
    """Write each changed assignment's new value into the receiver; return old with the same
    values set (what is left to diff against ``new`` is then only the other hunks)."""
    changes = _assignment_changes(old, new)
    receiver = _assignments(cur)
    rest = list(old)
    for name, (i, j) in sorted(changes.items(), key=lambda item: item[1][0]):
        value = _value(new[j])
        rest[i] = new[j]
        where = receiver.get(name, [])
        if len(where) != 1:
            plan.hunks_skipped.append(f"{name} = {value} (not assigned once in the receiver)")
            continue
        line = cur[where[0]]
        if _value(line) not in (_value(old[i]), value):  # both sides changed it: a conflict
            plan.hunks_skipped.append(f"{name} = {value} (the receiver has {_value(line)})")
        elif _value(line) != value:
            plan.assignments.append(f"{name}: {_value(line)} -> {value}")
            cur[where[0]] = _set_value(line, value)
    return rest


def _find_once(haystack: Sequence[str], needle: Sequence[str]) -> int | None:
    """Start of the only occurrence of ``needle`` in ``haystack`` (None: absent or repeated)."""
    if not needle:
        return None
    hits = [
        i
        for i in range(len(haystack) - len(needle) + 1)
        if haystack[i] == needle[0] and list(haystack[i : i + len(needle)]) == list(needle)
    ]
    return hits[0] if len(hits) == 1 else None


def _apply_hunk(cur: list[str], old: list[str], new_chunk: list[str], i1: int, i2: int) -> bool:
    """Replace ``old[i1:i2]`` by ``new_chunk`` where it occurs once in ``cur`` (an insertion is
    placed after its context lines)."""
    if i2 > i1:
        at = _find_once(cur, old[i1:i2])
        if at is None:
            return False
        cur[at : at + i2 - i1] = new_chunk
        return True
    context = old[max(0, i1 - CONTEXT) : i1]
    at = _find_once(cur, context) if context else 0
    if at is None:
        return False
    at += len(context)
    cur[at:at] = new_chunk
    return True


def carry_over(base: str, picked: str, receiver: str) -> FilePlan:
    """Carry the changes ``base -> picked`` over to ``receiver``, change by change."""
    old, new = base.splitlines(keepends=True), picked.splitlines(keepends=True)
    cur = receiver.splitlines(keepends=True)
    plan = FilePlan(receiver)
    strip = [line.rstrip("\r\n") for line in old]
    cur_plain = [line.rstrip("\r\n") for line in cur]
    rest = _transplant_assignments(plan, cur_plain, strip, [x.rstrip("\r\n") for x in new])
    matcher = difflib.SequenceMatcher(None, rest, [x.rstrip("\r\n") for x in new], autojunk=False)
    new_plain = [x.rstrip("\r\n") for x in new]
    for tag, i1, i2, j1, j2 in reversed(matcher.get_opcodes()):
        if tag == "equal":
            continue
        if _apply_hunk(cur_plain, rest, new_plain[j1:j2], i1, i2):
            plan.hunks_applied += 1
        else:
            first = (rest[i1:i2] or new_plain[j1:j2] or [""])[0].strip()
            plan.hunks_skipped.append(first[:60])
    ending = "\r\n" if receiver.endswith("\r\n") else "\n"
    text = ending.join(cur_plain)
    plan.text = text + ending if receiver.endswith(("\n", "\r")) or not receiver else text
    return plan


@dataclass
class Transplant:
    """The outcome of carrying a commit's changes over to a worktree (nothing committed yet)."""

    assignments: list[str] = field(default_factory=list)
    hunks_applied: int = 0
    skipped: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def applied(self) -> bool:
        """True when at least one change was carried over."""
        return bool(self.assignments) or self.hunks_applied > 0

    def summary(self) -> str:
        """One line for the commit message and the event log."""
        parts = [", ".join(self.assignments)] if self.assignments else []
        if self.hunks_applied:
            parts.append(f"{self.hunks_applied} other hunk(s)")
        if self.skipped:
            parts.append(f"skipped {len(self.skipped)}: {'; '.join(self.skipped)[:120]}")
        return "; ".join(parts) or "nothing applied"


def _show(wt: Git, spec: str) -> str:
    """A blob's exact text (``Git.run`` strips trailing whitespace)."""
    env = {**os.environ, **GIT_ENV}
    proc = subprocess.run(
        ["git", "show", spec], cwd=wt.cwd, env=env, capture_output=True, check=True
    )
    return proc.stdout.decode("utf-8", errors="surrogateescape")


def transplant_commit(wt: Git, sha: str) -> Transplant:
    """Carry ``sha``'s changes (against its first parent) into ``wt``'s files, change by change.
    Modified files are merged by :func:`carry_over`; an added file is written when absent;
    deletions and renames are reported as skipped."""
    out = Transplant()
    listing = wt.run("diff", "--name-status", "--no-renames", f"{sha}^", sha, "--")
    for line in listing.splitlines():
        status, _, path = line.partition("\t")
        target = wt.cwd / path
        if status == "A" and not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(_show(wt, f"{sha}:{path}"))
            out.hunks_applied += 1
            out.files.append(path)
        elif status == "M" and target.is_file():
            before, after = _show(wt, f"{sha}^:{path}"), _show(wt, f"{sha}:{path}")
            plan = carry_over(before, after, target.read_text())
            out.assignments += plan.assignments
            out.hunks_applied += plan.hunks_applied
            out.skipped += [f"{path}: {s}" for s in plan.hunks_skipped]
            if plan.applied:
                target.write_text(plan.text)
                out.files.append(path)
        else:
            out.skipped.append(f"{path}: {status} not carried over")
    return out
