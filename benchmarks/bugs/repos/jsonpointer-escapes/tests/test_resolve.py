import pytest
from pointer import PointerError, resolve, split_pointer

DOC = {"users": [{"name": "ada"}], "a/b": 1, "m~n": 2, "~1": 3}


def test_whole_document():
    assert resolve(DOC, "") is DOC


def test_nested_lookup():
    assert resolve(DOC, "/users/0/name") == "ada"


def test_escaped_slash():
    assert resolve(DOC, "/a~1b") == 1


def test_escaped_tilde():
    assert resolve(DOC, "/m~0n") == 2


def test_tilde_followed_by_one_is_not_a_slash():
    assert split_pointer("/~01") == ["~1"]
    assert resolve(DOC, "/~01") == 3


def test_leading_zero_index_is_rejected():
    with pytest.raises(PointerError, match="bad array index"):
        resolve(DOC, "/users/00")


def test_missing_key():
    with pytest.raises(PointerError, match="no key"):
        resolve(DOC, "/nope")
