"""Page through lists: 1-based page numbers, a page count and navigation info."""

from pager.pages import Page, page_count, paginate

__all__ = ["Page", "page_count", "paginate"]
