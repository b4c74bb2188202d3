from prefixtree import Trie


def test_added_word_is_contained():
    assert "car" in Trie(["car"])


def test_prefix_of_a_word_is_not_a_word():
    trie = Trie(["carpet"])
    assert "car" not in trie


def test_unknown_word():
    assert "dog" not in Trie(["cat"])


def test_has_prefix():
    trie = Trie(["carpet"])
    assert trie.has_prefix("car")
    assert not trie.has_prefix("cab")


def test_with_prefix_sorted():
    trie = Trie(["card", "care", "car", "cat"])
    assert trie.with_prefix("car") == ["car", "card", "care"]


def test_len_counts_distinct_words():
    assert len(Trie(["a", "a", "ab"])) == 2


def test_empty_string():
    trie = Trie(["x"])
    assert "" not in trie
    assert trie.with_prefix("") == ["x"]
