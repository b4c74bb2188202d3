from uniq import duplicates, unique


def test_unique_keeps_first_occurrence_order():
    assert unique([3, 1, 3, 2, 1]) == [3, 1, 2]


def test_unique_with_key():
    assert unique(["Apple", "apple", "Bob", "APPLE"], key=str.lower) == ["Apple", "Bob"]


def test_unique_dicts_by_key():
    rows = [{"id": 1, "v": "a"}, {"id": 1, "v": "b"}, {"id": 2, "v": "c"}]
    assert unique(rows, key=lambda r: r["id"]) == [rows[0], rows[2]]


def test_unique_of_empty():
    assert unique([]) == []


def test_duplicates():
    assert duplicates([1, 2, 1, 1, 3]) == [1, 1]


def test_duplicates_with_key():
    assert duplicates(["a", "A", "b"], key=str.upper) == ["A"]
