"""Cursor pagination: stable pages over lists that grow while a client reads them."""

from rest_framework.pagination import CursorPagination


class NewestFirstPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class LatestCallFirstPagination(NewestFirstPagination):
    ordering = ("-started_at", "-id")
