import pytest
from csvline import CsvError, join_line, split_line


def test_plain_fields():
    assert split_line("a,b,c") == ["a", "b", "c"]


def test_empty_fields():
    assert split_line(",x,") == ["", "x", ""]


def test_quoted_separator():
    assert split_line('"a,b",c') == ["a,b", "c"]


def test_doubled_quote_inside_quotes():
    assert split_line('"say ""hi""",x') == ['say "hi"', "x"]


def test_field_that_is_just_a_quote():
    assert split_line('""""') == ['"']


def test_other_separator():
    assert split_line("a;b", sep=";") == ["a", "b"]


def test_unterminated_quote():
    with pytest.raises(CsvError):
        split_line('"open,field')


def test_round_trip():
    fields = ['he said "no"', "a,b", "plain"]
    assert split_line(join_line(fields)) == fields
