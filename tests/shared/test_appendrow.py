"""Atomic, locked row appends to results files: real files, real concurrent processes."""

from __future__ import annotations

import fcntl
import json
import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autolab_shared.core.diagnostics import ParseWarning
from autolab_shared.core.errors import InputError
from autolab_shared.files.appendrow import append_row, format_row
from autolab_shared.parsing.results import read_results

STANDARD_HEADER = "commit\tval_bpb\tmemory_gb\tstatus\tdescription\n"
BASE = STANDARD_HEADER + "a1b2c3d\t0.997900\t44.0\tkeep\tbaseline\n"
ROW = {
    "commit": "e4f5a6b",
    "val_bpb": "0.993200",
    "memory_gb": "44.2",
    "status": "keep",
    "description": "increase LR to 0.04",
}


def _write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode())
    return path


# -- format_row -------------------------------------------------------------------------


def test_format_row_orders_by_columns_and_leaves_missing_empty() -> None:
    line = format_row(["status", "commit", "lr", "val_bpb"], {"commit": "abc", "val_bpb": "1.0"})
    assert line == "\tabc\t\t1.0"


def test_format_row_sanitises_tabs_and_line_breaks() -> None:
    line = format_row(["commit", "description"], {"commit": "a", "description": "x\ty\nz\r\nw\rv"})
    assert line == "a\tx y z  w v"
    assert "\n" not in line and "\r" not in line and line.count("\t") == 1


def test_format_row_matches_case_and_aliases() -> None:
    columns = ["Git_Commit", "BPB", "Verdict", "Notes", "Memory_GB"]
    line = format_row(columns, ROW)
    assert line == "e4f5a6b\t0.993200\tkeep\tincrease LR to 0.04\t44.2"


def test_the_description_goes_to_the_name_column_only_without_a_description_column() -> None:
    values = {"commit": "abc1234", "val_bpb": "1.5", "description": "exp4_warmdown150"}
    assert format_row(["experiment", "val_bpb"], values) == "exp4_warmdown150\t1.5"
    assert format_row(["name", "exp_id", "val_bpb"], values) == "\texp4_warmdown150\t1.5"
    assert format_row(["experiment", "val_bpb", "notes"], values) == "\t1.5\texp4_warmdown150"


def test_format_row_converts_memory_to_mb() -> None:
    assert format_row(["memory_mb"], {"memory_gb": "44.2"}) == "45260.8"
    assert format_row(["memory_mb"], {"memory_mb": "1234"}) == "1234"
    assert format_row(["memory_mb"], {"memory_gb": "n/a"}) == "n/a"


def test_format_row_metric_alias_by_name_and_known_metric() -> None:
    assert format_row(["commit", "val_loss"], {"val_bpb": "2.5"}) == "\t2.5"
    assert format_row(["commit", "score", "acc"], {"val_bpb": "0.8"}, metric="acc") == "\t\t0.8"
    assert format_row(["commit", "lr"], {"val_bpb": "0.8"}) == "\t"


def test_format_row_exact_name_beats_alias() -> None:
    line = format_row(["description", "notes"], {"notes": "n", "description": "d"})
    assert line == "d\tn"
    assert format_row(["description", "hypothesis"], {"desc": "d"}) == "d\t"


# -- append_row ---------------------------------------------------------------------------


def test_new_file_gets_the_header(tmp_path: Path) -> None:
    path = tmp_path / "results.tsv"
    line = append_row(path, ROW)
    assert line == "e4f5a6b\t0.993200\t44.2\tkeep\tincrease LR to 0.04"
    assert path.read_text() == STANDARD_HEADER + line + "\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.tsv"]  # no lock file


def test_empty_file_gets_the_header(tmp_path: Path) -> None:
    path = _write(tmp_path / "results.tsv", "")
    append_row(path, ROW, default_columns=("commit", "val_bpb", "status"))
    assert path.read_text() == "commit\tval_bpb\tstatus\ne4f5a6b\t0.993200\tkeep\n"


def test_append_to_standard_file_reparses(tmp_path: Path) -> None:
    path = _write(tmp_path / "results.tsv", BASE)
    append_row(path, ROW)
    assert path.read_text() == BASE + "e4f5a6b\t0.993200\t44.2\tkeep\tincrease LR to 0.04\n"
    history = read_results(path)
    assert len(history) == 2 and not history.warnings
    last = history.experiments[-1]
    assert (last.commit, last.value, last.memory_gb, last.status, last.description) == (
        "e4f5a6b",
        0.9932,
        44.2,
        "keep",
        "increase LR to 0.04",
    )


def test_other_column_order_and_extra_column(tmp_path: Path) -> None:
    text = (
        "Status\tDESCRIPTION\tcommit\tlr\tval_bpb\tmemory_gb\nkeep\tbase\taaaaaaa\t0.02\t1.0\t40\n"
    )
    path = _write(tmp_path / "results.tsv", text)
    line = append_row(path, {**ROW, "LR": "0.04"})
    assert line == "keep\tincrease LR to 0.04\te4f5a6b\t0.04\t0.993200\t44.2"
    last = read_results(path).experiments[-1]
    assert (last.commit, last.value, last.status, last.get("lr")) == (
        "e4f5a6b",
        0.9932,
        "keep",
        "0.04",
    )


def test_memory_mb_file(tmp_path: Path) -> None:
    text = "commit\tval_bpb\tmemory_mb\tstatus\tdescription\naaaaaaa\t1.0\t40960.0\tkeep\tb\n"
    path = _write(tmp_path / "results.tsv", text)
    line = append_row(path, ROW)
    assert line.split("\t")[2] == "45260.8"
    last = read_results(path).experiments[-1]
    assert last.memory_gb == pytest.approx(44.2)


def test_crlf_is_kept(tmp_path: Path) -> None:
    path = _write(tmp_path / "results.tsv", BASE.replace("\n", "\r\n"))
    append_row(path, ROW)
    data = path.read_bytes()
    assert data.endswith(b"increase LR to 0.04\r\n")
    assert data.count(b"\r\n") == 3 and data.count(b"\n") == 3
    assert read_results(path).experiments[-1].commit == "e4f5a6b"


def test_missing_final_newline_is_added(tmp_path: Path) -> None:
    path = _write(tmp_path / "results.tsv", BASE.rstrip("\n"))
    append_row(path, ROW)
    assert path.read_text() == BASE + "e4f5a6b\t0.993200\t44.2\tkeep\tincrease LR to 0.04\n"
    assert len(read_results(path)) == 2


def test_half_written_last_line_is_not_glued_to(tmp_path: Path) -> None:
    path = _write(tmp_path / "results.tsv", BASE + "deadbee\t0.99")
    warnings: list[ParseWarning] = []
    append_row(path, ROW, warnings=warnings)
    assert [w.code for w in warnings] == ["torn_line"] and "deadbee" in warnings[0].reason
    lines = path.read_text().split("\n")
    assert lines[-3:] == ["deadbee\t0.99", "e4f5a6b\t0.993200\t44.2\tkeep\tincrease LR to 0.04", ""]
    history = read_results(path)
    last = history.experiments[-1]
    assert (last.commit, last.value, last.description) == ("e4f5a6b", 0.9932, "increase LR to 0.04")


def test_values_with_tabs_and_newlines_stay_one_row(tmp_path: Path) -> None:
    path = _write(tmp_path / "results.tsv", BASE)
    append_row(path, {**ROW, "description": "two\tparts\nand a\r\nline"})
    history = read_results(path)
    assert len(history) == 2 and history.line_count == 3
    assert history.experiments[-1].description == "two parts and a  line"


def test_headerless_file_uses_default_columns(tmp_path: Path) -> None:
    text = "a1b2c3d\t0.997900\t44.0\tkeep\tbaseline\n"
    path = _write(tmp_path / "results.tsv", text)
    append_row(path, ROW)
    assert path.read_text() == text + "e4f5a6b\t0.993200\t44.2\tkeep\tincrease LR to 0.04\n"
    assert read_results(path).experiments[-1].value == 0.9932


def test_utf8_bom_and_non_ascii(tmp_path: Path) -> None:
    path = tmp_path / "results.tsv"
    path.write_bytes(b"\xef\xbb\xbf" + BASE.encode())
    append_row(path, {**ROW, "description": "warmup → 5 % (ü)"})
    assert path.read_bytes().startswith(b"\xef\xbb\xbf" + BASE.encode())
    assert read_results(path).experiments[-1].description == "warmup → 5 % (ü)"


def test_file_mode_is_kept(tmp_path: Path) -> None:
    path = _write(tmp_path / "results.tsv", BASE)
    path.chmod(0o640)
    append_row(path, ROW)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_symlink_is_written_through(tmp_path: Path) -> None:
    real = _write(tmp_path / "real.tsv", BASE)
    link = tmp_path / "results.tsv"
    link.symlink_to(real)
    append_row(link, ROW)
    assert link.is_symlink()
    assert len(read_results(real)) == 2


def test_comma_separated_file_is_refused(tmp_path: Path) -> None:
    text = "commit,val_bpb,memory_gb,status,description\na,1.0,40,keep,b\n"
    path = _write(tmp_path / "results.csv", text)
    with pytest.raises(InputError, match="not tab-separated"):
        append_row(path, ROW)
    assert path.read_text() == text


def test_no_temp_files_left_behind(tmp_path: Path) -> None:
    path = _write(tmp_path / "results.tsv", BASE)
    for _ in range(3):
        append_row(path, ROW)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.tsv"]


def test_append_is_in_place_same_inode_mode_and_hard_links(tmp_path: Path) -> None:
    path = _write(tmp_path / "results.tsv", BASE)
    path.chmod(0o604)
    link = tmp_path / "link.tsv"
    os.link(path, link)
    before = path.stat()
    append_row(path, ROW)
    after = path.stat()
    assert (after.st_ino, after.st_uid, after.st_gid) == (
        before.st_ino,
        before.st_uid,
        before.st_gid,
    )
    assert stat.S_IMODE(after.st_mode) == 0o604
    assert (
        link.read_bytes()
        == path.read_bytes()
        == (
            BASE
            + format_row(("commit", "val_bpb", "memory_gb", "status", "description"), ROW)
            + "\n"
        ).encode()
    )


def test_the_row_is_one_write_then_fsync(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "results.tsv", BASE)
    calls: list[tuple[str, object]] = []
    real_write, real_fsync = os.write, os.fsync

    def write(fd: int, data: bytes) -> int:
        calls.append(("write", bytes(data)))
        return real_write(fd, data)

    def fsync(fd: int) -> None:
        calls.append(("fsync", fd))
        real_fsync(fd)

    monkeypatch.setattr(os, "write", write)
    monkeypatch.setattr(os, "fsync", fsync)
    line = append_row(path, ROW)
    assert [name for name, _ in calls] == ["write", "fsync"]
    assert calls[0][1] == (line + "\n").encode()


# -- failures -----------------------------------------------------------------------------


def test_short_write_is_cut_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "results.tsv", BASE)
    before = path.read_bytes()
    real_write = os.write

    def short(fd: int, data: bytes) -> int:
        return real_write(fd, data[:7])  # the disk filled up after 7 bytes

    monkeypatch.setattr(os, "write", short)
    with pytest.raises(InputError, match=r"results\.tsv") as info:
        append_row(path, ROW)
    assert "short write" in str(info.value)
    assert path.read_bytes() == before


def test_failed_fsync_leaves_file_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path / "results.tsv", BASE)
    before = path.read_bytes()

    def broken(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(InputError, match="cannot write"):
        append_row(path, ROW)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results.tsv"]


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores permissions"
)
def test_unwritable_file_leaves_it_identical(tmp_path: Path) -> None:
    path = _write(tmp_path / "results.tsv", BASE)
    path.chmod(0o444)
    with pytest.raises(InputError, match=r"results\.tsv"):
        append_row(path, ROW)
    assert path.read_bytes() == BASE.encode()


def test_read_only_folder_is_no_obstacle(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    folder.mkdir()
    path = _write(folder / "results.tsv", BASE)
    folder.chmod(0o500)
    try:
        append_row(path, ROW)
    finally:
        folder.chmod(0o700)
    assert len(read_results(path)) == 2


def test_directory_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "results.tsv").mkdir()
    with pytest.raises(InputError, match="directory"):
        append_row(tmp_path / "results.tsv", ROW)


def test_lock_timeout(tmp_path: Path) -> None:
    path = _write(tmp_path / "results.tsv", BASE)
    with open(path, "a") as holder:
        fcntl.flock(holder.fileno(), fcntl.LOCK_EX)
        started = time.monotonic()
        with pytest.raises(InputError, match="could not lock"):
            append_row(path, ROW, timeout=0.2)
        assert time.monotonic() - started >= 0.2
    assert path.read_text() == BASE
    append_row(path, ROW, timeout=0.2)  # released: works again


# -- concurrency --------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import os, sys, time
    from autolab_shared.files.appendrow import append_row
    path, worker, go = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    while not os.path.exists(go):
        time.sleep(0.001)
    for i in range(25):
        append_row(path, {
            "commit": f"w{worker}r{i:02d}",
            "val_bpb": f"0.{worker}{i:04d}",
            "memory_gb": "44.0",
            "status": "keep" if i % 2 else "discard",
            "description": f"worker {worker} row {i} " + "x" * 300,
        })
    """
)

READER = textwrap.dedent(
    """
    import json, os, sys
    from autolab_shared.core.errors import InputError
    from autolab_shared.parsing.textio import read_bytes
    path, stop = sys.argv[1], sys.argv[2]
    reads = bad = 0
    examples = []
    while not os.path.exists(stop):
        try:
            data = read_bytes(path)  # autolab's reader: a shared lock, so never half a row
        except InputError:
            continue
        reads += 1
        if not data.endswith(b"\\n"):
            bad += 1
            examples.append(data[-80:].decode())
        for line in data.decode().splitlines():
            if len(line.split("\\t")) != 5:
                bad += 1
                examples.append(line)
    print(json.dumps({"reads": reads, "bad": bad, "examples": examples[:5]}))
    """
)


def test_concurrent_writers_never_lose_or_interleave_rows(tmp_path: Path) -> None:
    path = tmp_path / "results.tsv"
    go, stop = tmp_path / "go", tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(path), str(stop)], stdout=subprocess.PIPE, text=True
    )
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(n), str(go)])
        for n in range(8)
    ]
    time.sleep(0.5)  # let every interpreter start and wait at the barrier
    go.touch()
    try:
        codes = [w.wait(timeout=120) for w in writers]
    finally:
        stop.touch()
        out, _ = reader.communicate(timeout=60)
    assert codes == [0] * 8
    report = json.loads(out)
    assert report["bad"] == 0, report["examples"]
    assert report["reads"] > 0, report

    lines = path.read_text().split("\n")
    assert lines[0] == STANDARD_HEADER.rstrip("\n") and lines[-1] == ""
    rows = lines[1:-1]
    assert len(rows) == 200 and len(set(rows)) == 200
    assert all(len(row.split("\t")) == 5 for row in rows)
    expected = {f"w{n}r{i:02d}" for n in range(8) for i in range(25)}
    assert {row.split("\t")[0] for row in rows} == expected
    for n in range(8):  # each writer's rows appear in its own order
        own = [row.split("\t")[0] for row in rows if row.startswith(f"w{n}r")]
        assert own == sorted(own)
    history = read_results(path)
    assert len(history) == 200
    assert {w.code for w in history.warnings} <= {"direction_conflict"}  # interleaved values


# -- property: exactly one line added, the old bytes untouched ------------------------------

existing = st.one_of(
    st.just(""),
    st.lists(st.text(alphabet=st.sampled_from("abc019.\t \r\x1b"), max_size=30), max_size=6).map(
        lambda lines: BASE + "\n".join(lines)
    ),
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(before=existing, description=st.text(max_size=40))
def test_append_adds_one_line_and_keeps_every_old_byte(
    tmp_path: Path, before: str, description: str
) -> None:
    path = tmp_path / "results.tsv"
    path.write_bytes(before.encode())
    warnings: list[ParseWarning] = []
    line = append_row(path, {**ROW, "description": description}, warnings=warnings)
    after = path.read_bytes().decode()
    assert after.startswith(before) and after.endswith(line + "\n")
    added = after[len(before) :]
    torn = bool(before) and not before.endswith(("\n", "\r"))
    assert added.count("\n") == (1 if before else 2) + torn
    assert [w.code for w in warnings] == (["torn_line"] if torn else [])
    path.unlink()
