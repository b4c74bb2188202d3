import pytest
from minitemplate import TemplateError, render


def test_single_placeholder():
    assert render("Hello {{ name }}!", {"name": "Ada"}) == "Hello Ada!"


def test_two_placeholders_on_one_line():
    assert render("{{ a }} and {{ b }}", {"a": 1, "b": 2}) == "1 and 2"


def test_filters_chain():
    assert render("{{ n|strip|upper }}", {"n": "  hi "}) == "HI"


def test_values_are_escaped():
    assert render("<p>{{ x }}</p>", {"x": "<b>"}) == "<p>&lt;b&gt;</p>"


def test_raw_filter():
    assert render("{{ x|raw }}", {"x": "<b>"}) == "<b>"


def test_adjacent_placeholders():
    assert render("{{a}}{{b}}", {"a": "x", "b": "y"}) == "xy"


def test_unknown_variable():
    with pytest.raises(TemplateError, match="no value for 'missing'"):
        render("{{ missing }}", {})


def test_unknown_filter():
    with pytest.raises(TemplateError, match="unknown filter"):
        render("{{ a|shout }}", {"a": 1})
