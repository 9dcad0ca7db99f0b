"""What the logs may say of a request's address: its path, with every token masked,
and never its query string.

An online route link (/o/<token>/) is the whole authority over a case's or contact's
own page for days, and a password reset link (/accounts/password/reset/<uidb64>/
<token>/) over a member of staff's account; the query strings carry what staff type
into the searches (names, phone numbers, dates of birth). Logs are kept and read more
widely than the records, so none of that may reach them. Both the gunicorn access log
(tracing.gunicorn_logging) and Django's own loggers (MaskRequestPaths, wired in the
settings' LOGGING) mask through the functions here, so they cannot drift apart.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

MASK = "[masked]"

# One segment of a path: up to the next slash, query, fragment, space or quote.
_SEGMENT = r"[^/?#\s\"']+"

# pages/online/urls.py: /o/<token>/.
_ONLINE = re.compile(rf"(/o/){_SEGMENT}")
# pages/accounts/urls.py: /accounts/password/reset/<uidb64>/<token>/; Django's view
# then redirects to /accounts/password/reset/<uidb64>/set-password/ (the token kept
# in the session), and sent/ and done/ are pages of their own.
_RESET = re.compile(
    rf"(/password/reset/)(?!(?:sent|done)(?:/|$))({_SEGMENT})(?:/({_SEGMENT}))?"
)
# A query string after a path, in free text such as a request line.
_QUERY = re.compile(r"(/[^\s?#\"']*)\?[^\s\"']*")


def _reset(match: re.Match[str]) -> str:
    second = match.group(3)
    if second is None:
        return f"{match.group(1)}{MASK}"
    kept = second if second == "set-password" else MASK
    return f"{match.group(1)}{MASK}/{kept}"


def _mask_tokens(text: str) -> str:
    return _RESET.sub(_reset, _ONLINE.sub(rf"\g<1>{MASK}", text))


def mask_path(path: str) -> str:
    """A request's path (or its raw URI) as the logs may show it: no query string,
    no fragment, every token masked."""
    return _mask_tokens(path.split("?", 1)[0].split("#", 1)[0])


def mask_url(url: str) -> str:
    """A whole address (a Referer) reduced to its path, masked: the host says nothing
    worth keeping, and the query string is the search that led here."""
    if not url or url == "-":
        return "-"
    try:
        path = urlsplit(url).path
    except ValueError:
        return "-"
    return mask_path(path) or "/"


def mask_text(text: str) -> str:
    """A log message or argument with every path in it masked: query strings after a
    path dropped, tokens masked (a request line such as runserver's
    "GET /o/<token>/?lang=cy HTTP/1.1")."""
    return _mask_tokens(_QUERY.sub(r"\g<1>", text))


def _masked(value: object) -> object:
    return mask_text(value) if isinstance(value, str) else value


class MaskRequestPaths(logging.Filter):
    """Masks the paths in a record's message and its string arguments, before any
    handler formats it (django.request's "Not Found: %s" with the path, runserver's
    request line). On a logger it changes the record for every handler after it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_text(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: _masked(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_masked(value) for value in record.args)
        return True
