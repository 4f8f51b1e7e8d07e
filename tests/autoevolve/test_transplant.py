"""Cross-over change by change: on upstream train.py, picks that change a hyperparameter next to
the champion's own change apply (git cherry-pick conflicts on them)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from support import SHARED_DATA

from autoevolve.gitrepo import Git
from autoevolve.transplant import carry_over, transplant_commit

UPSTREAM = SHARED_DATA / "autoresearch-upstream"
# (champion's change, picked change): neighbouring lines of train.py's hyperparameter block
PAIRS = [
    (("ASPECT_RATIO", "64", "48"), ("HEAD_DIM", "128", "64")),
    (("HEAD_DIM", "128", "96"), ("WINDOW_PATTERN", '"SSSL"', '"SSL"')),
    (("TOTAL_BATCH_SIZE", "2**19", "2**18"), ("EMBEDDING_LR", "0.6", "0.8")),
    (("EMBEDDING_LR", "0.6", "0.4"), ("UNEMBEDDING_LR", "0.004", "0.006")),
    (("UNEMBEDDING_LR", "0.004", "0.003"), ("MATRIX_LR", "0.04", "0.05")),
    (("MATRIX_LR", "0.04", "0.03"), ("SCALAR_LR", "0.5", "0.4")),
    (("SCALAR_LR", "0.5", "0.6"), ("WEIGHT_DECAY", "0.2", "0.1")),
    (("WARMDOWN_RATIO", "0.5", "0.7"), ("FINAL_LR_FRAC", "0.0", "0.05")),
]


def edit(text: str, name: str, old: str, new: str) -> str:
    pattern = re.compile(rf"^({name} = ){re.escape(old)}", re.M)
    assert len(pattern.findall(text)) == 1, name
    return pattern.sub(lambda m: m[1] + new, text)


def git(repo: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    ).stdout.strip()


def scenario(tmp: Path, champion: tuple[str, str, str], pick: tuple[str, str, str]) -> Path:
    """A repo whose HEAD is the champion's change; branch ``other`` holds the pick."""
    repo = tmp / f"{champion[0]}-{pick[0]}"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    base = (UPSTREAM / "train.py").read_text()
    (repo / "train.py").write_text(base)
    git(repo, "add", "train.py")
    git(repo, "commit", "-qm", "base")
    git(repo, "branch", "other")
    (repo / "train.py").write_text(edit(base, *champion))
    git(repo, "commit", "-qam", f"champion {champion[0]}")
    git(repo, "checkout", "-q", "other")
    (repo / "train.py").write_text(edit(base, *pick))
    git(repo, "commit", "-qam", f"pick {pick[0]}")
    git(repo, "checkout", "-q", "main")
    return repo


@pytest.mark.real_data
def test_crossover_applies_on_upstream_train_py_where_cherry_pick_conflicts(tmp_path: Path) -> None:
    if not UPSTREAM.is_dir():
        pytest.skip("../shared is absent")
    base = (UPSTREAM / "train.py").read_text()
    cherry_ok = transplanted = 0
    for champion, pick in PAIRS:
        repo = scenario(tmp_path, champion, pick)
        sha = git(repo, "rev-parse", "other")
        picked = (
            subprocess.run(
                ["git", "cherry-pick", "--no-commit", sha],
                cwd=repo,
                capture_output=True,
                check=False,
            ).returncode
            == 0
        )
        cherry_ok += picked
        git(repo, "reset", "-q", "--hard", "HEAD")
        result = transplant_commit(Git(repo), sha)
        expected = edit(edit(base, *champion), *pick)
        if result.applied and (repo / "train.py").read_text() == expected:
            transplanted += 1
            assert result.assignments == [f"{pick[0]}: {pick[1]} -> {pick[2]}"]
    print(f"crossover on upstream train.py: cherry-pick {cherry_ok}/8, transplant {transplanted}/8")
    assert cherry_ok <= 2  # the problem is real: adjacent lines conflict
    assert transplanted >= 6


def test_other_hunks_apply_where_their_lines_occur_once() -> None:
    base = "import torch\nLR = 0.1\nDEPTH = 8\n\ndef act(x):\n    return relu(x)\n"
    picked = base.replace("return relu(x)", "return gelu(x)").replace("DEPTH = 8", "DEPTH = 10")
    receiver = base.replace("LR = 0.1", "LR = 0.2  # tuned")
    plan = carry_over(base, picked, receiver)
    assert plan.text == receiver.replace("return relu(x)", "return gelu(x)").replace("= 8", "= 10")
    assert plan.assignments == ["DEPTH: 8 -> 10"] and plan.hunks_applied == 1


def test_a_hunk_whose_lines_the_receiver_changed_is_skipped_and_reported() -> None:
    base = "LR = 0.1\n\ndef act(x):\n    return relu(x)\n"
    picked = base.replace("relu", "gelu").replace("0.1", "0.3")
    receiver = base.replace("relu", "silu")
    plan = carry_over(base, picked, receiver)
    assert plan.text == receiver.replace("0.1", "0.3")
    assert plan.assignments == ["LR: 0.1 -> 0.3"]
    assert plan.hunks_skipped == ["return relu(x)"]


def test_comments_and_spacing_of_the_receiver_line_are_kept() -> None:
    base = "MATRIX_LR = 0.04        # learning rate (Muon)\n"
    picked = "MATRIX_LR = 0.05        # learning rate (Muon)\n"
    receiver = "MATRIX_LR = 0.04  # tuned by hand\n"
    assert carry_over(base, picked, receiver).text == "MATRIX_LR = 0.05  # tuned by hand\n"


def test_nothing_to_carry_over_is_not_applied() -> None:
    base = "LR = 0.1\n"
    plan = carry_over(base, "LR = 0.3\n", "LR = 0.3\n")
    assert not plan.applied and plan.text == "LR = 0.3\n"


def test_a_knob_both_sides_changed_is_a_conflict_not_an_override() -> None:
    plan = carry_over("X = 1.0\nY = 3\n", "X = 1.5\nY = 3\n", "X = 1.9\nY = 3\n")
    assert not plan.applied and plan.text == "X = 1.9\nY = 3\n"
    assert plan.hunks_skipped == ["X = 1.5 (the receiver has 1.9)"]
