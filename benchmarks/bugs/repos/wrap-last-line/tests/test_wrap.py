from wordwrap import fill, wrap


def test_short_text_is_one_line():
    assert wrap("hello world", 20) == ["hello world"]


def test_wraps_at_width():
    assert wrap("the quick brown fox", 10) == ["the quick", "brown fox"]


def test_line_can_be_exactly_width():
    assert wrap("aaaa bbbb", 9) == ["aaaa bbbb"]


def test_long_word_on_its_own_line():
    assert wrap("a verylongword b", 5) == ["a", "verylongword", "b"]


def test_whitespace_is_collapsed():
    assert wrap("  a \n  b  ", 10) == ["a b"]


def test_empty_text():
    assert wrap("", 10) == []


def test_fill_with_indent():
    assert fill("one two three", 9, indent="> ") == "> one two\n> three"
