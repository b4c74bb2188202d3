from nested import depth, flatten


def test_flat_list_is_unchanged():
    assert flatten([1, 2, 3]) == [1, 2, 3]


def test_fully_flattens_by_default():
    assert flatten([1, [2, [3, [4]]], (5,)]) == [1, 2, 3, 4, 5]


def test_strings_are_leaves():
    assert flatten(["ab", ["cd"]]) == ["ab", "cd"]


def test_depth_one():
    assert flatten([1, [2, [3]]], max_depth=1) == [1, 2, [3]]


def test_depth_two():
    assert flatten([[[1, [2]]]], max_depth=2) == [1, [2]]


def test_depth_zero_keeps_everything():
    assert flatten([[1], 2], max_depth=0) == [[1], 2]


def test_depth():
    assert depth([1, [2, [3]]]) == 3
    assert depth([]) == 1
    assert depth(7) == 0
