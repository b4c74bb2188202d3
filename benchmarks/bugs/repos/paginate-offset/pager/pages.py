from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Page:
    items: list[Any]
    number: int
    total_pages: int

    @property
    def has_next(self) -> bool:
        return self.number < self.total_pages

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def page_count(total: int, per_page: int) -> int:
    """At least one page, even for no items."""
    return max(1, -(-total // per_page))


def paginate(items: list[Any], page: int, per_page: int = 10) -> Page:
    """Page ``page`` (1-based) of ``items``; ``ValueError`` past the last page."""
    if per_page < 1:
        raise ValueError(f"per_page must be at least 1, got {per_page}")
    pages = page_count(len(items), per_page)
    if not 1 <= page <= pages:
        raise ValueError(f"page {page} is out of range 1..{pages}")
    start = (page - 1) * per_page
    return Page(items[start : start + per_page], page, pages)
