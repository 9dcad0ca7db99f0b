"""The yardsticks bench/load.py loads beside the caseworker's pages, in the same server.

- `signed_in`: a signed-in request and nothing else: the floor every page of this
  stack pays (the middleware's session, user and staff-profile reads).
- `replay`: a bare view per page. bench/load.py captures the SQL a real request to
  the page runs (minus what the middleware runs, which this view pays too, as it
  passes the same middleware), writes it to the file named by BENCH_LOAD_REPLAY, and
  this view runs the same statements, writes included (the page's audit row), on the
  same connection, and returns every row as a bare HTML table: the page's database
  work with no ORM objects, no template and no logic around it.
"""

from __future__ import annotations

import json
import os
from functools import cache
from html import escape

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden

REPLAY_FILE = "BENCH_LOAD_REPLAY"


@cache
def statements() -> dict[str, list[str]]:
    """The captured SQL of each page by name, read once per server process."""
    path = os.environ.get(REPLAY_FILE)
    if not path:
        return {}
    with open(path, encoding="utf-8") as file:
        return json.load(file)


def signed_in(request: HttpRequest) -> HttpResponse:
    # A request that is not signed in answers 403, so load on a dead session shows
    # as errors rather than as a fast page.
    if not request.user.is_authenticated:
        return HttpResponseForbidden("not signed in")
    return HttpResponse("<!doctype html><title>signed in</title><p>ok</p>")


def replay(request: HttpRequest, name: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return HttpResponseForbidden("not signed in")
    try:
        sqls = statements()[name]
    except KeyError:
        raise Http404(name) from None
    parts = ["<!doctype html><title>bare</title>"]
    with connection.cursor() as cursor:
        for sql in sqls:
            # Already interpolated by the driver: no parameters, so a literal % in
            # the SQL is left alone.
            cursor.execute(sql)
            if cursor.description is None:
                continue
            parts.append("<table>")
            for row in cursor.fetchall():
                cells = "".join(f"<td>{escape(str(value))}</td>" for value in row)
                parts.append(f"<tr>{cells}</tr>")
            parts.append("</table>")
    return HttpResponse("".join(parts))
