import io
from collections import Counter

from wordfreq import count_words, main, top_words


def test_count_words_ignores_case_and_punctuation():
    assert count_words(["The cat, the HAT."]) == Counter({"the": 2, "cat": 1, "hat": 1})


def test_apostrophes_inside_words_are_kept():
    assert count_words(["don't 'quote'"]) == Counter({"don't": 1, "quote": 1})


def test_top_words_most_frequent_first():
    assert top_words(Counter({"a": 1, "b": 3, "c": 2}), 2) == [("b", 3), ("c", 2)]


def test_ties_are_alphabetical():
    counts = Counter({"pear": 2, "apple": 2, "fig": 2, "kiwi": 5})
    assert top_words(counts, 3) == [("kiwi", 5), ("apple", 2), ("fig", 2)]


def test_main_prints_table(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("b a b\nc a b\n", encoding="utf-8")
    out = io.StringIO()
    assert main([str(path), "--top", "2"], stdout=out) == 0
    assert out.getvalue() == "     3 b\n     2 a\n"


def test_main_ties_across_files(tmp_path):
    (tmp_path / "1.txt").write_text("zeta alpha\n", encoding="utf-8")
    (tmp_path / "2.txt").write_text("mid\n", encoding="utf-8")
    out = io.StringIO()
    main([str(tmp_path / "1.txt"), str(tmp_path / "2.txt")], stdout=out)
    assert out.getvalue().split() == ["1", "alpha", "1", "mid", "1", "zeta"]
