import pytest
from recordfile import decode_record, encode_record
from recordfile.decode import DecodeError


def test_plain_fields():
    assert encode_record(["a", "b"]) == "a|b"
    assert decode_record("a|b") == ["a", "b"]


def test_bar_is_escaped():
    assert encode_record(["x|y"]) == "x\\|y"
    assert decode_record("x\\|y") == ["x|y"]


def test_newline_is_escaped():
    assert encode_record(["two\nlines"]) == "two\\nlines"


def test_backslash_is_escaped():
    assert encode_record(["C:\\temp"]) == "C:\\\\temp"


def test_escaped_backslash_is_decoded():
    assert decode_record("C:\\\\temp|x") == ["C:\\temp", "x"]


def test_round_trip_with_backslash_before_bar():
    fields = ["ends with \\", "next"]
    assert decode_record(encode_record(fields)) == fields


def test_bad_escape():
    with pytest.raises(DecodeError, match="bad escape"):
        decode_record("a\\qb")
