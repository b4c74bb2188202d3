import pytest
from pager import page_count, paginate

ITEMS = list(range(1, 26))


def test_first_page():
    assert paginate(ITEMS, 1).items == list(range(1, 11))


def test_last_page_is_partial():
    assert paginate(ITEMS, 3).items == [21, 22, 23, 24, 25]


def test_pages_cover_every_item_once():
    seen = [x for n in range(1, 4) for x in paginate(ITEMS, n, per_page=10).items]
    assert seen == ITEMS


def test_page_count():
    assert page_count(25, 10) == 3
    assert page_count(0, 10) == 1


def test_navigation_flags():
    page = paginate(ITEMS, 2)
    assert page.has_next and page.has_previous


def test_empty_list_has_one_empty_page():
    assert paginate([], 1).items == []


def test_page_past_the_end():
    with pytest.raises(ValueError, match="out of range"):
        paginate(ITEMS, 4)
