"""After every agent turn: what agents must not touch is compared with the controller's records.

Guarded: the pooled results file, state.json, the event log, refs of the competition's namespace
(archive, experiment and round refs, the champion branch) and the base branch, and the worktrees
of agents that are not in their own turn (see settled: from the controller's keep or reset, or
the start of a training, to the owner's next turn or the controller's next move of it: HEAD,
branch, tracked files, and between turns new untracked files). A change is put back from
the records (a moved ref's commit is kept under ``refs/autoevolve/<tag>/quarantine/``) and counted
as a violation of the agent whose turn it happened in; with several agents in their turn at once
it is logged with every suspect and counted against none. Repeated violations retire an agent.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .gitrepo import Git
from .settled import Settled, attach, intact, look, put_back
from .statefile import read_or_empty, write_atomic

if TYPE_CHECKING:
    from .competition import Competition
    from .statefile import AgentState


class Guard:
    """The controller's own copy of everything guarded, and the check that restores it."""

    def __init__(self, comp: Competition) -> None:
        self.comp = comp
        self.lock = threading.RLock()  # held by every controller write to a guarded thing
        self.pooled = read_or_empty(comp.s.layout.pooled)
        # each agent's results.tsv as the controller wrote it (the history its verdicts read)
        self.own = {a.name: read_or_empty(own_path(a)) for a in comp.state.agents}
        self.refs = self._protected_refs()
        self.settled: dict[str, Settled] = {}  # agent -> what its worktree must hold right now
        self.in_turn: set[str] = set()
        self.suspects: set[str] = set()  # agents in their turn since the last clean check
        self.pending: list[str] = []  # changes put back between checks (reported at the next)
        self.pending_lock = threading.Lock()  # innermost: held for a list operation only

    # -- the records ---------------------------------------------------------------------
    def _protected_refs(self) -> dict[str, str]:
        git, layout, state = self.comp.s.git, self.comp.s.layout, self.comp.state
        refs = {
            **git.refs(f"refs/autoevolve/{layout.tag}/"),
            **git.refs(f"refs/tags/autoevolve/{layout.tag}/"),
        }
        heads = {f"refs/heads/{layout.champion_branch}", f"refs/heads/{state.base}"}
        refs.update({ref: sha for ref, sha in git.refs("refs/heads/").items() if ref in heads})
        return refs

    def note_ref(self, ref: str, sha: str | None) -> None:
        """The controller set (or, with None, deleted) ``ref``."""
        with self.lock:
            if sha is None:
                self.refs.pop(ref, None)
            else:
                self.refs[ref] = sha

    def note_change(self, change: str) -> None:
        """A guarded thing an agent changed, put back (or overwritten) by the controller before
        a check saw it: reported and counted at the next check."""
        with self.pending_lock:
            self.pending.append(change)

    def append_pooled(self, write: Callable[[Path], None]) -> None:
        """Append to the pooled file through a private copy of the controller's record, then
        replace the file with the copy at once: what an agent writes there meanwhile (its turn
        runs beside this) is never read, and is put back (counted at the next check)."""
        pooled = self.comp.s.layout.pooled
        with self.lock:
            if read_or_empty(pooled) != self.pooled:
                self.note_change(f"changed {pooled.name}")
            self.pooled = self._through_copy(self.pooled, write)
            _restore(pooled, self.pooled)

    def append_own(self, agent: AgentState, write: Callable[[Path], None]) -> None:
        """Append to the agent's results.tsv the same way, from the controller's record of it:
        whatever the agent wrote there (Karpathy's program.md has agents write it) is dropped,
        not read, and not counted (the file is in the agent's own worktree). Harness mode only:
        in free mode the file is the agent's own log, which the controller reads."""
        with self.lock:
            self.own[agent.name] = self._through_copy(self._own_record(agent), write)
            _restore(own_path(agent), self.own[agent.name])

    def own_history(self, agent: AgentState) -> bytes:
        """The agent's results.tsv as the controller wrote it, for its verdicts (the file is put
        back to it too): an agent cannot judge its candidate against a history it rewrote."""
        with self.lock:
            record = self._own_record(agent)
            if read_or_empty(own_path(agent)) != record:
                _restore(own_path(agent), record)
            return record

    def _own_record(self, agent: AgentState) -> bytes:
        """The controller's record of the agent's results.tsv (an agent it did not start with:
        the file as it is now). Call under lock."""
        if agent.name not in self.own:
            self.own[agent.name] = read_or_empty(own_path(agent))
        return self.own[agent.name]

    def note_own(self, agent: AgentState) -> None:
        """The controller wrote the agent's results.tsv itself (a resume's owed rows)."""
        with self.lock:
            self.own[agent.name] = read_or_empty(own_path(agent))

    def _through_copy(self, record: bytes, write: Callable[[Path], None]) -> bytes:
        """`record` after `write` appended to a private copy of it (in the controller's folder)."""
        folder = self.comp.s.layout.pooled.parent
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".append-", dir=folder) as tmp:
            copy = Path(tmp) / "results.tsv"
            if record:
                copy.write_bytes(record)
            write(copy)
            return read_or_empty(copy)

    def note_pooled(self) -> None:
        """The controller wrote the pooled file."""
        with self.lock:
            self.pooled = read_or_empty(self.comp.s.layout.pooled)

    def settle(
        self,
        agent: AgentState,
        head: str,
        *,
        between: bool = True,
        files: frozenset[str] | None = None,
    ) -> None:
        """From now on the agent's worktree must stay at ``head`` on its branch with no tracked
        change, and ``between`` its owner's turns with no untracked file but ``files`` (by
        default those it holds now); not while a training writes there."""
        if between and files is None:
            files = look(Git(Path(agent.worktree))).untracked
        with self.lock:
            self.settled[agent.name] = Settled(head, files if between else None)

    def unsettle(self, agent: AgentState) -> frozenset[str] | None:
        """The controller is about to change the agent's worktree, or its owner's turn starts:
        first put back what another agent wrote into it since it settled (the owner's next
        commit would take the change in). The untracked files it holds; None if not settled."""
        with self.lock:
            found, files = self._restore_worktree(agent, self.settled.pop(agent.name, None))
            suspects = sorted((self.suspects | self.in_turn) - {agent.name})
        if found:
            self.comp.violation(suspects, found)
        return files

    def check(self, agent: AgentState) -> None:
        """Put back what another agent wrote into the settled worktree (it stays settled)."""
        with self.lock:
            found, _ = self._restore_worktree(agent, self.settled.get(agent.name))
            suspects = sorted((self.suspects | self.in_turn) - {agent.name})
        if found:
            self.comp.violation(suspects, found)

    def turn_starts(self, agent: AgentState) -> None:
        with self.lock:
            self.in_turn.add(agent.name)
            self.suspects.add(agent.name)

    # -- the check -----------------------------------------------------------------------
    def turn_ends(self, agent: AgentState | None) -> list[str]:
        """Check everything guarded after ``agent``'s turn; restore and count what changed."""
        with self.lock:
            if agent is not None:
                self.in_turn.discard(agent.name)
            with self.pending_lock:
                pending, self.pending = self.pending, []
            found = [
                *pending,
                *self._check_files(),
                *self._check_refs(),
                *self._check_worktrees(agent),
            ]
            suspects = sorted(self.suspects | ({agent.name} if agent else set()))
            self.suspects = set(self.in_turn)
        if found:
            self.comp.violation(suspects, found)
        return found

    def _check_files(self) -> list[str]:
        comp, found = self.comp, []
        pooled = comp.s.layout.pooled
        if read_or_empty(pooled) != self.pooled:
            _restore(pooled, self.pooled)
            found.append(f"changed {pooled.name}")
        with comp.lock:
            saved = comp.saved_text
            if saved and read_or_empty(comp.s.layout.state_file) != saved.encode():
                write_atomic(comp.s.layout.state_file, saved)
                found.append("changed state.json")
        with comp.events.lock:
            expected = "".join(comp.events.lines).encode()
            if read_or_empty(comp.events.path) != expected:
                _restore(comp.events.path, expected)
                found.append("changed events.jsonl")
        return found

    def _check_refs(self) -> list[str]:
        git, tag = self.comp.s.git, self.comp.s.layout.tag
        now = self._protected_refs()
        found = []
        for ref in sorted(set(now) | set(self.refs)):
            want, have = self.refs.get(ref), now.get(ref)
            if want == have:
                continue
            if have:  # the quarantine ref is the controller's own
                aside = f"refs/autoevolve/{tag}/quarantine/{have}"
                git.update_ref(aside, have)
                self.refs[aside] = have
            if want:
                git.update_ref(ref, want)
            else:
                git.run("update-ref", "-d", ref)
            found.append(f"moved {ref}")
        # never re-read the refs as the new record here: an agent still in its turn may be
        # moving another one right now (a re-read once recorded its moved base branch as good)
        return found

    def _check_worktrees(self, culprit: AgentState | None) -> list[str]:
        found = []
        for agent in self._others(culprit):
            found += self._restore_worktree(agent, self.settled.get(agent.name))[0]
        return found

    def _restore_worktree(
        self, agent: AgentState, record: Settled | None
    ) -> tuple[list[str], frozenset[str] | None]:
        """Put back a settled worktree that is not as ``record`` says; what changed, and the
        untracked files it holds after (None when it is not settled). A HEAD merely detached
        at the recorded commit (its owner's turn may leave it so) goes back on its branch
        unreported."""
        if record is None:
            return [], None
        wt = Git(Path(agent.worktree))
        seen = look(wt)
        if intact(seen, record):
            if seen.branch != agent.branch:
                attach(wt, agent.branch, record.head)
            return [], seen.untracked
        return [f"wrote into {agent.name}'s worktree"], put_back(wt, seen, record, agent.branch)

    def _others(self, culprit: AgentState | None) -> Iterable[AgentState]:
        return (a for a in self.comp.state.agents if culprit is None or a is not culprit)


def own_path(agent: AgentState) -> Path:
    """An agent's results.tsv: in its worktree, written by the controller."""
    return Path(agent.worktree) / "results.tsv"


def _restore(path: Path, data: bytes) -> None:
    if data:
        write_atomic(path, data.decode("utf-8"))
    else:
        path.unlink(missing_ok=True)


def violation_summary(found: list[str]) -> dict[str, Any]:
    """The event fields of one violation."""
    return {"changes": found}
