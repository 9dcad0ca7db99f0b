from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction
from django.utils import timezone
from django.utils.html import format_html

from .models import ApiClient, Scope
from .services import (
    TokenExpiryNeeded,
    api_client_create,
    api_client_reissue_token,
    api_client_rotate_token,
)

GRACE_HOURS = round(settings.API_TOKEN_ROTATION_GRACE.total_seconds() / 3600)


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = ApiClient
        fields = [
            "name",
            "scopes",
            "local_team",
            "rate_limit_per_minute",
            "expires_at",
            "is_active",
        ]


def _show_token_once(
    request, client: ApiClient, token: str, *, previous_until=None, dropped=False
) -> None:
    previous = ""
    if previous_until is not None:
        previous = format_html(
            " The previous token keeps working until {}.",
            timezone.localtime(previous_until).strftime("%Y-%m-%d %H:%M %Z"),
        )
    if dropped:
        # Rotated again within the grace: see api_client_rotate_token.
        previous = format_html(
            " The token in use before the last rotation keeps working until {}; "
            "the one that rotation issued stops working now.",
            timezone.localtime(previous_until).strftime("%Y-%m-%d %H:%M %Z"),
        )
    messages.warning(
        request,
        format_html(
            "The token for {} is <code>{}</code>. Copy it now: it is not stored "
            "and will not be shown again.{}",
            client.name,
            token,
            previous,
        ),
    )


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = [
        "name",
        "scope_list",
        "local_team",
        "rate_limit_per_minute",
        "is_active",
        "created_at",
        "last_used_at",
        "expires_at",
    ]
    list_filter = ["is_active", "local_team"]
    search_fields = ["name"]
    readonly_fields = [
        "token_hint",
        "user",
        "created_at",
        "last_used_at",
        "previous_token_expires_at",
    ]
    actions = ["rotate_token", "issue_new_token"]

    @admin.display(description="scopes")
    def scope_list(self, obj: ApiClient) -> str:
        return ", ".join(obj.scopes)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # A new client goes through the service, which makes its account and token.
        client, token = api_client_create(
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            local_team=form.cleaned_data["local_team"],
            rate_limit_per_minute=form.cleaned_data["rate_limit_per_minute"],
            expires_at=form.cleaned_data["expires_at"],
        )
        if not form.cleaned_data["is_active"]:
            client.is_active = False
            client.save(update_fields=["is_active"])
        obj.pk = client.pk
        obj.__dict__.update(client.__dict__)
        _show_token_once(request, client, token)

    @admin.action(
        description=f"Rotate the token (the old one works for {GRACE_HOURS} hours)"
    )
    def rotate_token(self, request, queryset):
        with transaction.atomic():
            for client in queryset:
                # The new token keeps the client's expiry (None: it had none); it
                # is changed on the client's page, not by a rotation.
                dropped = client.previous_token_in_grace()
                try:
                    token = api_client_rotate_token(client=client, by=request.user)
                except TokenExpiryNeeded as refused:
                    _refuse_expired(request, client, refused)
                    continue
                _show_token_once(
                    request,
                    client,
                    token,
                    previous_until=client.previous_token_expires_at,
                    dropped=dropped,
                )

    @admin.action(description="Issue a new token (the old one stops working now)")
    def issue_new_token(self, request, queryset):
        with transaction.atomic():
            for client in queryset:
                try:
                    token = api_client_reissue_token(client=client, by=request.user)
                except TokenExpiryNeeded as refused:
                    _refuse_expired(request, client, refused)
                    continue
                _show_token_once(request, client, token)


def _refuse_expired(request, client: ApiClient, refused: TokenExpiryNeeded) -> None:
    messages.error(
        request,
        f"No new token for {client.name}. {refused} Set a new expiry (“Expires "
        "at”) on the client's page and save it, then try again.",
    )
