"""Agent command lines: built-in argv templates and user templates with placeholders."""

from __future__ import annotations

import shlex
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .names import UsageProblem
from .sandbox import GIT_PLACEHOLDERS, git_write_paths

CLAUDE_TOOLS = (
    "Read,Edit,Write,Glob,Grep,Bash(git add:*),Bash(git commit:*),Bash(git diff:*),"
    "Bash(git log:*),Bash(git status:*)"
)
TEMPLATES: dict[str, tuple[str, ...]] = {
    "claude": ("claude", "-p", "{prompt}", "--permission-mode", "acceptEdits",
               "--allowedTools", CLAUDE_TOOLS),
    "codex": ("codex", "exec", "--sandbox", "workspace-write", "--cd", "{worktree}",
              "--add-dir", "{git_admin}", "--add-dir", "{git_objects}", "--add-dir", "{git_refs}",
              "--add-dir", "{git_logs}", "{prompt}"),
    "mock": (sys.executable, "-m", "autoevolve.mock_agent", "--strategy", "{strategy}",
             "--seed", "{seed}"),
}  # fmt: skip
FREE_CLAUDE_TOOLS = CLAUDE_TOOLS + (
    ",Bash(git reset:*),Bash(uv run:*),Bash(grep:*),Bash(tail:*),Bash(head:*),Bash(cat:*),"
    "Bash(echo:*),Bash(printf:*),Bash(sleep:*)"
)
INSTALL_HINTS = {
    "claude": "install Claude Code (npm install -g @anthropic-ai/claude-code) or pick another "
    "--agent (codex, mock, or a command template)",
    "codex": "install the Codex CLI (npm install -g @openai/codex) or pick another --agent "
    "(claude, mock, or a command template)",
}
PLACEHOLDERS = ("prompt", "prompt_file", "worktree", "agent", "strategy", "round", "seed")


@dataclass(frozen=True)
class AgentCommand:
    """An argv template; every element may hold ``{placeholder}`` fields."""

    name: str
    template: tuple[str, ...]

    def for_free_mode(self) -> AgentCommand:
        """The same agent allowed to run its own loop (train, read logs, reset): free mode."""
        if self.name != "claude":
            return self
        return AgentCommand(
            self.name,
            tuple(FREE_CLAUDE_TOOLS if part == CLAUDE_TOOLS else part for part in self.template),
        )

    def argv(self, values: Mapping[str, str]) -> list[str]:
        """The argv with placeholders filled (each element stays one argument; no shell)."""
        out = []
        if any("{git_" in part for part in self.template) and values.get("worktree"):
            values = {**git_write_paths(Path(values["worktree"])), **values}
        for part in self.template:
            for key in (*PLACEHOLDERS, *GIT_PLACEHOLDERS):
                part = part.replace("{" + key + "}", values.get(key, ""))
            out.append(part)
        return out


def agent_command(spec: str) -> AgentCommand:
    """``claude``, ``codex``, ``mock`` or a template such as ``"my-agent {prompt_file}"``."""
    if spec in TEMPLATES:
        return AgentCommand(spec, TEMPLATES[spec])
    try:
        parts = tuple(shlex.split(spec))
    except ValueError as exc:
        raise UsageProblem(f"invalid --agent template: {exc}") from None
    if not parts:
        raise UsageProblem("empty --agent template")
    if not any("{" + key + "}" in part for part in parts for key in ("prompt", "prompt_file")):
        raise UsageProblem("an --agent template must use {prompt} or {prompt_file}")
    return AgentCommand("custom", parts)


def check_installed(cmd: AgentCommand) -> None:
    """UsageProblem (exit 4, before any setup) when the agent's program is not on PATH."""
    program = cmd.template[0]
    if "{" in program or shutil.which(program) is not None:
        return
    hint = INSTALL_HINTS.get(cmd.name, "check the --agent command")
    raise UsageProblem(f"agent program {program!r} not found on PATH: {hint}")
