"""Decoding input bytes: BOMs, UTF-16, legacy encodings and I/O errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autolab_shared.core.errors import InputError
from autolab_shared.parsing.textio import decode, read_text

TEXT = "commit\tval_bpb\nabc1234\t0.99 → café\n"


@pytest.mark.parametrize(
    ("encoding", "code"),
    [("utf-8-sig", "bom"), ("utf-16", "bom"), ("utf-16-le", "encoding"), ("utf-16-be", "encoding")],
)
def test_unicode_encodings_decode_to_the_same_text(encoding: str, code: str) -> None:
    decoded = decode(TEXT.encode(encoding), "f.tsv")
    assert decoded.text == TEXT
    assert [w.code for w in decoded.warnings] == [code]


def test_plain_utf8_gives_no_warning() -> None:
    assert decode(TEXT.encode("utf-8")).warnings == ()


def test_latin1_bytes_are_decoded_with_a_warning() -> None:
    decoded = decode("café\n".encode("latin-1"), "f.tsv")
    assert decoded.text == "café\n"
    warning = decoded.warnings[0]
    assert warning.code == "encoding" and "not valid UTF-8" in warning.reason


def test_nul_bytes_are_removed_with_a_warning() -> None:
    decoded = decode(b"ab\x00c\n" * 1)
    assert decoded.text == "abc\n"
    assert [w.code for w in decoded.warnings] == ["nul"]


def test_missing_file_and_directory_raise_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_text(tmp_path / "missing.tsv")
    with pytest.raises(InputError, match="directory"):
        read_text(tmp_path)


@given(st.binary(max_size=2000))
def test_any_bytes_decode_without_error(data: bytes) -> None:
    decoded = decode(data)
    assert "\x00" not in decoded.text


@given(st.text(max_size=300), st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_unicode_round_trip(text: str, encoding: str) -> None:
    text = text.replace("\x00", "").removeprefix("\ufeff")
    assert decode(text.encode(encoding)).text == text


def test_stream_over_the_limit_is_an_input_error() -> None:
    import io

    from autolab_shared.parsing.textio import read_stream

    assert read_stream(io.BytesIO(b"x" * 10), "<stdin>", limit=10) == b"x" * 10
    with pytest.raises(InputError, match="limit"):
        read_stream(io.BytesIO(b"x" * 11), "<stdin>", limit=10)


def test_file_over_the_limit_is_an_input_error(tmp_path: Path) -> None:
    from autolab_shared.parsing.textio import read_bytes

    path = tmp_path / "results.tsv"
    path.write_bytes(b"x" * 11)
    assert read_bytes(path, limit=11) == b"x" * 11
    with pytest.raises(InputError, match="over the 10 bytes limit"):
        read_bytes(path, limit=10)
