"""Paging lists that may hold a million rows: count at most ``cap`` of them.

Counting every case in a national or city scope costs half a second at a million cases (the
load test, issue 16); nobody pages past a few hundred pages. ``CappedPaginator`` counts up to
``cap`` + 1 rows (an index range, not a full count) and says "more than …" beyond it; the
user narrows the list with its filters instead.
"""

from __future__ import annotations

from functools import cached_property

from django.core.paginator import Paginator
from ninja import Field, Schema
from ninja.pagination import PageNumberPagination


class CappedPaginator(Paginator):
    def __init__(self, object_list, per_page, *, cap: int = 10_000, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.cap = cap

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        """True when there are more rows than were counted."""
        return self.count > self.cap


# --- the API's pages -----------------------------------------------------------------------

MAX_PAGE = 1_000_000  # 100 rows a page: far past any list; keeps the offset a 64-bit number


class ApiPages(PageNumberPagination):
    """django-ninja's page-number paging with a bounded page number: ``page`` beyond
    ``MAX_PAGE`` (e.g. 2**64, whose offset no database integer holds) is a 422 with the
    reason, not a server error. Every paged API list uses it (or a subclass)."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=MAX_PAGE)
        page_size: int | None = Field(None, ge=1)
