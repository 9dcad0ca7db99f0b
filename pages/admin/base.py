"""What the admin pages share: read-only model admins, audited reads, and actions
that ask for a reason (or more) on an intermediate page, then call a service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from audit.services import audit_list_view, audit_view
from cases.errors import IllegalTransition
from staffing.services import StaffingRefused
from work.errors import WorkRefused

REFUSALS = (WorkRefused, StaffingRefused, IllegalTransition, PermissionDenied)


class ServiceActionsMixin:
    """Actions that change work or staffing through the services: for administrators
    only (a staff user with view permissions may look, not move work)."""

    def has_work_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never added, changed or deleted here: changes go through the services."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class AuditedReadAdmin(ReadOnlyAdmin):
    """A person's record: opening it in the admin is audited like the pages, and so is
    listing it (one "view" per person on the changelist's page, in one INSERT)."""

    def listed_person_id(self, obj) -> int | None:
        """Whose record a changelist row shows (by default the row's own person)."""
        return getattr(obj, "person_id", None)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None and response.status_code == 200:
            # The page of rows the template shows (read here once, then reused).
            audit_list_view(
                user=request.user,
                items=changelist.result_list,
                via="admin",
                list_name=f"admin {self.opts.verbose_name_plural}",
                person_of=self.listed_person_id,
            )
        return response

    def audited_read(self, obj) -> tuple[Any, Any, dict[str, Any]]:
        """What a read of `obj` is recorded against: (object, person, detail); the
        person defaults to the object's own."""
        return obj, None, {}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = getattr(response, "context_data", {}).get("original")
        if obj is not None and response.status_code == 200:
            target, person, detail = self.audited_read(obj)
            audit_view(
                user=request.user, obj=target, via="admin", person=person, detail=detail
            )
        return response


def form_action(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    form_class: type[forms.Form],
    title: str,
    apply: Callable[[dict[str, Any]], str],
    form_kwargs: dict[str, Any] | None = None,
) -> HttpResponse | None:
    """An admin action that first asks for its details (a reason, a target...).

    The first call shows the form for the selected rows; the second, with the form
    filled in, calls `apply` (which calls a service and returns the message to show).
    A refusal by the rules is shown as an error, and nothing changes.
    """
    form_kwargs = form_kwargs or {}
    if "apply" in request.POST:
        form = form_class(request.POST, **form_kwargs)
        if form.is_valid():
            try:
                # All the selected rows, or none.
                with transaction.atomic():
                    text = apply(form.cleaned_data)
            except REFUSALS as exc:
                modeladmin.message_user(request, str(exc), messages.ERROR)
            else:
                modeladmin.message_user(request, text, messages.SUCCESS)
            return None
    else:
        form = form_class(**form_kwargs)
    opts = modeladmin.model._meta
    return TemplateResponse(
        request,
        "admin/action_form.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "form": form,
            "queryset": queryset,
            "opts": opts,
            "action": request.POST.get("action", ""),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "selected": [str(pk) for pk in queryset.values_list("pk", flat=True)],
        },
    )
