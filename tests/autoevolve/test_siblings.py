"""A wave variant's own change re-made on the turn's start (autoevolve.siblings), on real git."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from autoevolve.gitrepo import Git
from autoevolve.siblings import own_change

BASE = "A = 1\nB = 2\nC = 3\nD = 4\n"
ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@x",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@x",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Git:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    subprocess.run(["git", "init", "-q", "-b", "main", str(tmp_path)], check=True)
    git = Git(tmp_path)
    commit(git, BASE, "start")
    return git


def commit(git: Git, text: str, message: str) -> str:
    (git.cwd / "train.py").write_text(text)
    git.run("add", "train.py")
    git.run("commit", "-qm", message)
    return git.head()


def show(git: Git, sha: str) -> str:
    return git.run("show", f"{sha}:train.py") + "\n"


def test_each_change_lands_alone_on_the_start(repo: Git) -> None:
    start = repo.head()
    v0 = commit(repo, BASE.replace("A = 1", "A = 9"), "A 1 -> 9")
    v1 = commit(repo, BASE.replace("A = 1", "A = 9").replace("B = 2", "B = 8"), "B 2 -> 8")
    v2 = commit(
        repo,
        BASE.replace("A = 1", "A = 9").replace("B = 2", "B = 8").replace("D = 4", "D = 7"),
        "D 4 -> 7",
    )
    assert own_change(repo, start, v0) == v0  # already a child of the start
    for sha, want in ((v1, BASE.replace("B = 2", "B = 8")), (v2, BASE.replace("D = 4", "D = 7"))):
        child = own_change(repo, start, sha)
        assert child is not None and child != sha
        assert show(repo, child) == want  # the neighbouring lines' changes did not come along
        assert repo.run("rev-parse", f"{child}^") == start
        assert repo.subject(child) == repo.subject(sha)
        assert own_change(repo, start, sha) == child  # the same commit when made again


def test_a_change_to_what_an_earlier_variant_wrote_stays_stacked(repo: Git) -> None:
    start = repo.head()
    commit(repo, BASE.replace("C = 3", "C = 5"), "C 3 -> 5")
    again = commit(repo, BASE.replace("C = 3", "C = 6"), "C 5 -> 6")
    assert own_change(repo, start, again) is None
    repo.run("commit", "-q", "--allow-empty", "-m", "nothing")
    assert own_change(repo, start, repo.head()) is None  # no change of its own


def test_a_change_that_is_not_utf8_is_carried_as_bytes(repo: Git) -> None:
    start = repo.head()
    commit(repo, BASE.replace("A = 1", "A = 9"), "A 1 -> 9")
    (repo.cwd / "train.py").write_bytes(BASE.replace("A = 1", "A = 9").encode() + b"# \xff\xfe\n")
    repo.run("commit", "-qam", "a latin-1 comment")
    child = own_change(repo, start, repo.head())
    assert child is not None
    raw = subprocess.run(
        ["git", "show", f"{child}:train.py"], cwd=repo.cwd, capture_output=True, check=True
    ).stdout
    assert raw == BASE.encode() + b"# \xff\xfe\n"
