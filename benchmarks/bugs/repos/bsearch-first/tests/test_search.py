from sortedsearch import count, find_first, lower_bound


def test_lower_bound_of_present_value():
    assert lower_bound([1, 3, 5, 7], 5) == 2


def test_lower_bound_past_the_end():
    assert lower_bound([1, 3], 9) == 2


def test_find_first_of_duplicates():
    assert find_first([1, 2, 2, 2, 3], 2) == 1


def test_find_first_at_start():
    assert find_first([4, 4, 5], 4) == 0


def test_find_missing():
    assert find_first([1, 3, 5], 4) == -1


def test_find_in_empty():
    assert find_first([], 1) == -1


def test_count():
    assert count([1, 2, 2, 2, 3, 9], 2) == 3
    assert count([1, 2, 3], 7) == 0


def test_every_position_is_found():
    items = list(range(0, 40, 2))
    assert all(find_first(items, v) == i for i, v in enumerate(items))
