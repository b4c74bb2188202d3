import pytest
from iniconf import ParseError, parse


def test_sections_and_pairs():
    text = "[db]\nhost = localhost\nport = 5432\n"
    assert parse(text) == {"db": {"host": "localhost", "port": "5432"}}


def test_comments_and_blank_lines_are_skipped():
    text = "; top\n\n[a]\n# note\nx = 1\n"
    assert parse(text) == {"a": {"x": "1"}}


def test_keys_are_lower_cased():
    assert parse("[s]\nName = v\n") == {"s": {"name": "v"}}


def test_value_containing_equals_sign():
    text = "[db]\ndsn = postgres://u@h/db?sslmode=require\n"
    assert parse(text)["db"]["dsn"] == "postgres://u@h/db?sslmode=require"


def test_quoted_value_with_equals_sign():
    assert parse('[x]\nexpr = "a=b"\n')["x"]["expr"] == "a=b"


def test_pairs_before_any_section():
    assert parse("debug = true\n") == {"": {"debug": "true"}}


def test_empty_value():
    assert parse("[s]\nkey =\n") == {"s": {"key": ""}}


def test_garbage_line_raises_with_line_number():
    with pytest.raises(ParseError, match="line 2"):
        parse("[s]\nnot a pair\n")
