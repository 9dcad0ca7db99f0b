"""The error answers: a JSON body for the API (every API error is JSON), and a page
with the reason and a way back for everyone else."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.response import TemplateResponse

API_PREFIX = "/api/"

DETAILS = {
    400: "Bad request.",
    403: "You do not have permission to do this.",
    404: "Not found.",
    413: "The request body is too large.",
    500: "Something went wrong on our side; it has been logged.",
}


def _answer(request: HttpRequest, status: int, reason: str = "") -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return JsonResponse({"detail": reason or DETAILS[status]}, status=status)
    response = TemplateResponse(
        request,
        f"errors/{status}.html",
        {"reason": reason, "status": status},
        status=status,
    )
    return response.render()


def _reason(exception: BaseException | None) -> str:
    """The message our code raised, written for the person who asked ("This case is
    not yours to work."); nothing for Django's own (the URL resolver's details)."""
    if exception is None or not exception.args:
        return ""
    first = exception.args[0]
    return first if isinstance(first, str) else ""


def bad_request(request: HttpRequest, exception: BaseException) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
        return _answer(
            request,
            413,
            f"The request body is over {limit} KB, the most this service takes. "
            "Send less at a time.",
        )
    return _answer(request, 400)


def permission_denied(request: HttpRequest, exception: BaseException) -> HttpResponse:
    return _answer(request, 403, _reason(exception))


def forbidden(request: HttpRequest, reason: str) -> HttpResponse:
    """A 403 with its reason, for a refusal that is no exception (a form refused for
    its token: pages.accounts.csrf)."""
    return _answer(request, 403, reason)


def page_not_found(request: HttpRequest, exception: BaseException) -> HttpResponse:
    return _answer(request, 404, _reason(exception))


def server_error(request: HttpRequest) -> HttpResponse:
    return _answer(request, 500)
