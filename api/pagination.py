"""Cursor pagination: stable pages over lists that grow while a client reads them.

A page is found by its place in the whole ordering (the item's time, then its id),
a keyset: the next page is the items after the last one shown, the previous page
those before the first one shown. DRF's own cursor keeps only the time and an offset
among the items of that time, and going back over many items that share a time (an
intake batch is written with one) skipped some of them. Items added while a client
reads do not move the pages it has yet to read.

A cursor is opaque to clients (base64 of the direction, the time and the id); one
that is not a cursor this API gave is bad input, a 400 saying so on `cursor` (DRF's
own answers 404, as if the list were not there).

Every list is paged here, so here too a query parameter the list does not have is
refused (api.filters.refuse_unknown_parameters), rather than ignored.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

from clock import moment_of
from rows.ids import row_id

from .filters import refuse_unknown_parameters

INVALID = (
    "Not a cursor of this list: follow the next or previous link of a page, or leave "
    "the cursor out for the first page."
)


class NewestFirstPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(
        self, queryset: QuerySet, request: Request, view: Any = None
    ) -> list | None:
        refuse_unknown_parameters(
            request,
            view,
            also={self.cursor_query_param, self.page_size_query_param},
        )
        self.request = request
        self.base_url = request.build_absolute_uri()
        self.page_size = self.get_page_size(request)
        if not self.page_size:
            return None
        size, time = self.page_size, self._time_field()
        newest_first = queryset.order_by(f"-{time}", "-id")
        cursor = self._cursor(request)
        self.has_next = self.has_previous = False
        if cursor is None:
            rows = list(newest_first[: size + 1])
            self.has_next = len(rows) > size
            rows = rows[:size]
        else:
            backwards, at, pk = cursor
            if backwards:  # the page before: the items newer than the cursor's
                newer = Q(**{f"{time}__gt": at}) | Q(**{time: at, "id__gt": pk})
                rows = list(queryset.filter(newer).order_by(time, "id")[: size + 1])
                self.has_previous = len(rows) > size
                rows = rows[:size][::-1]
                self.has_next = bool(rows)  # the page it was asked from
            else:  # the page after: the items older than the cursor's
                older = Q(**{f"{time}__lt": at}) | Q(**{time: at, "id__lt": pk})
                rows = list(newest_first.filter(older)[: size + 1])
                self.has_next = len(rows) > size
                rows = rows[:size]
                self.has_previous = bool(rows)
        self.page = rows
        return rows

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        return self._link(backwards=False, item=self.page[-1])

    def get_previous_link(self) -> str | None:
        if not self.has_previous:
            return None
        return self._link(backwards=True, item=self.page[0])

    def _time_field(self) -> str:
        return self.ordering[0].lstrip("-")

    def _link(self, *, backwards: bool, item: Any) -> str:
        at: datetime = getattr(item, self._time_field())
        position = f"{'p' if backwards else 'n'}|{at.isoformat()}|{item.pk}"
        token = base64.urlsafe_b64encode(position.encode()).decode()
        return replace_query_param(self.base_url, self.cursor_query_param, token)

    def _cursor(self, request: Request) -> tuple[bool, datetime, int] | None:
        raw = request.query_params.get(self.cursor_query_param)
        if not raw:
            return None
        try:
            position = base64.urlsafe_b64decode(raw.encode("ascii")).decode("ascii")
            direction, at_text, pk_text = position.split("|")
        except (ValueError, UnicodeError, binascii.Error):
            raise ValidationError({self.cursor_query_param: [INVALID]}) from None
        # A moment the database can hold (clock.moment_of: an offset past 16 hours
        # was PostgreSQL's error), and an id.
        at, pk = moment_of(at_text, naive_is_local=False), row_id(pk_text)
        if direction not in ("n", "p") or at is None or pk is None:
            raise ValidationError({self.cursor_query_param: [INVALID]})
        return direction == "p", at, pk


class LatestCallFirstPagination(NewestFirstPagination):
    ordering = ("-started_at", "-id")
