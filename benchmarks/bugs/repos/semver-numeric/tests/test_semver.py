import pytest
from versions import latest, parse


def test_parse():
    assert parse("v1.2.3") == parse("1.2.3")
    assert str(parse("1.2.3-rc.1")) == "1.2.3-rc.1"


def test_minor_compares_numerically():
    assert parse("1.10.0") > parse("1.9.0")


def test_patch_order():
    assert parse("1.0.2") < parse("1.0.10")


def test_prerelease_sorts_before_release():
    assert parse("2.0.0-rc.1") < parse("2.0.0")


def test_numeric_prerelease_identifiers():
    assert parse("1.0.0-rc.2") < parse("1.0.0-rc.10")


def test_latest():
    assert latest(["1.9.0", "1.10.0", "1.2.0"]) == "1.10.0"


def test_invalid():
    with pytest.raises(ValueError, match="not a semantic version"):
        parse("1.2")
