from slugkit import slugify, unique_slug


def test_simple_title():
    assert slugify("Hello World") == "hello-world"


def test_collapses_runs_of_punctuation():
    assert slugify("a -- b ,, c") == "a-b-c"


def test_accents_are_folded():
    assert slugify("Crème Brûlée") == "creme-brulee"


def test_leading_punctuation_is_dropped():
    assert slugify("...and then?") == "and-then"


def test_surrounding_spaces_are_dropped():
    assert slugify("  spaced out  ") == "spaced-out"


def test_max_length_does_not_end_in_dash():
    assert slugify("one two three", max_length=8) == "one-two"


def test_unique_slug_counts_up():
    assert unique_slug("Post", {"post", "post-2"}) == "post-3"


def test_unique_slug_of_symbols_only():
    assert unique_slug("!!!", set()) == "item"
