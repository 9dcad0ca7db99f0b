"""Upload a CSV file of test results, for a lab with no API feed (supervisors).

Three steps: upload the file; see a preview (each row's errors, or what confirming
would do with it, and whom it would link to), which writes nothing but the audit of
the people it shows; confirm, which sends the valid rows through intake and shows
what became of each. Between preview and confirm the file's text travels in a signed
hidden field (salted for the user, valid for an hour), so nothing the browser could
change is trusted; the same file confirmed twice makes nothing new. A confirm sent
after the session ended is kept (pages.typed) and, once the supervisor has signed in
again, its preview is shown again to confirm, nothing added yet.
"""

from __future__ import annotations

from dataclasses import asdict

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.services import audit_list_view
from cases.models import EPISODE_DAYS
from staffing.access import supervisor_profile
from work.results_csv import (
    ATTACHED,
    COLUMNS,
    CREATED,
    EXISTING,
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
    NOT_SENT,
    REFUSED,
    REQUIRED_COLUMNS,
    ResultRow,
    ResultsFileError,
    results_file_decode,
    results_file_read,
    results_upload_confirm,
    results_upload_preview,
)

from ..typed import typed_form

# How long a preview may be confirmed after it was shown.
PREVIEW_MAX_AGE = 60 * 60
# The outcome of the last confirm, shown after the redirect.
OUTCOME_SESSION_KEY = "results_upload_outcome"
# A confirm sent after the session ended, shown again once signed in.
CONFIRM_KEPT = (
    "You were signed out before the file was confirmed. Nothing from this file has "
    "been added yet: check the preview and confirm it again."
)
CONFIRM_LOST = (
    "You were signed out before the file was confirmed, so it was not confirmed: "
    "nothing from it has been added."
)


def _salt(user) -> str:
    """A payload signed for one user is refused for another."""
    return f"pages.staff.results_upload:{user.pk}"


class ResultsFileForm(forms.Form):
    file = forms.FileField(
        label="CSV file of test results",
        help_text=(
            f"A CSV file in UTF-8 of at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB "
            f"and {MAX_ROWS:,} rows. The first row names the columns. Dates as "
            "YYYY-MM-DD or DD/MM/YYYY."
        ),
        error_messages={
            "required": "Choose a CSV file of test results.",
            "empty": "The file is empty.",
        },
    )

    def __init__(self, *args, refused: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A confirm refused (a changed or expired preview) is said at this field:
        # the way on is to upload the file again.
        self.refused = refused
        if refused:
            self.fields["file"].required = False
        self.text = ""
        self.rows: list[ResultRow] = []

    def clean_file(self):
        if self.refused:
            raise ValidationError(self.refused)
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB: "
                "split it into smaller files."
            )
        try:
            self.text = results_file_decode(upload.read())
            self.rows = results_file_read(self.text)
        except ResultsFileError as exc:
            raise ValidationError(str(exc)) from None
        return upload


REFUSED_PAYLOAD = (
    "This preview cannot be confirmed: what was sent back is not what was shown. "
    "Upload the file again."
)


class ConfirmForm(forms.Form):
    payload = forms.CharField(
        widget=forms.HiddenInput, error_messages={"required": REFUSED_PAYLOAD}
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.name = ""
        self.text = ""
        self.rows: list[ResultRow] = []

    def clean_payload(self) -> str:
        try:
            signed = signing.loads(
                self.cleaned_data["payload"],
                salt=_salt(self.user),
                max_age=PREVIEW_MAX_AGE,
            )
        except signing.SignatureExpired:
            raise ValidationError(
                "This preview has expired: a file is confirmed within "
                f"{PREVIEW_MAX_AGE // 60} minutes of checking it. Upload the file again."
            ) from None
        except signing.BadSignature:
            raise ValidationError(REFUSED_PAYLOAD) from None
        self.name, self.text = signed["name"], signed["text"]
        try:
            self.rows = results_file_read(self.text)
        except ResultsFileError as exc:
            raise ValidationError(str(exc)) from None
        return self.cleaned_data["payload"]


def _page(request: HttpRequest, context: dict) -> TemplateResponse:
    return TemplateResponse(
        request,
        "staffing/results_upload.html",
        {
            "columns": COLUMNS,
            "required_columns": REQUIRED_COLUMNS,
            "episode_days": EPISODE_DAYS,
            **context,
        },
    )


def _preview_page(
    request: HttpRequest, *, name: str, text: str, rows: list[ResultRow]
) -> TemplateResponse:
    """Step 2: what confirming the file would do (written: only the audit of the
    people shown), with the file signed for this user to confirm."""
    preview = results_upload_preview(rows)
    audit_list_view(
        user=request.user,
        items=preview.people,
        via="page",
        list_name="results upload preview",
    )
    confirm = ConfirmForm(
        initial={
            "payload": signing.dumps(
                {"name": name, "text": text}, salt=_salt(request.user), compress=True
            )
        },
        user=request.user,
    )
    return _page(
        request,
        {"step": "preview", "preview": preview, "name": name, "confirm": confirm},
    )


def _refused(confirm: ConfirmForm) -> str:
    return " ".join(
        str(message) for said in confirm.errors.values() for message in said
    )


def _confirm_kept(request: HttpRequest) -> TemplateResponse | None:
    """A confirm sent after the session ended (kept for this user: pages.typed): its
    preview again, made now, to confirm again; or, when it can no longer be (it
    expired, or was signed for someone else), the upload, saying it was not
    confirmed. None when no confirm was kept."""
    kept = typed_form(request, action=reverse("staffing:results_upload_confirm"))
    if kept is None:
        return None
    confirm = ConfirmForm(kept, user=request.user)
    if not confirm.is_valid():
        refused = f"{CONFIRM_LOST} {_refused(confirm)}"
        return _page(
            request,
            {"step": "upload", "form": ResultsFileForm(data={}, refused=refused)},
        )
    messages.warning(request, CONFIRM_KEPT)
    return _preview_page(
        request, name=confirm.name, text=confirm.text, rows=confirm.rows
    )


@login_required
@require_http_methods(["GET", "POST"])
def results_upload(request: HttpRequest) -> HttpResponse:
    """Step 1, the upload; and step 2, its preview (written: only the audit of the
    people shown). After signing in again, a confirm sent as the session ended is
    previewed again."""
    supervisor_profile(request.user)
    if request.method != "POST":
        return _confirm_kept(request) or _page(
            request, {"step": "upload", "form": ResultsFileForm()}
        )
    form = ResultsFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, {"step": "upload", "form": form})
    return _preview_page(
        request, name=form.cleaned_data["file"].name, text=form.text, rows=form.rows
    )


@login_required
@require_POST
def results_upload_confirm_view(request: HttpRequest) -> HttpResponse:
    """Step 3: the previewed file's valid rows through intake, then its outcome."""
    supervisor_profile(request.user)
    confirm = ConfirmForm(request.POST, user=request.user)
    if not confirm.is_valid():
        return _page(
            request,
            {
                "step": "upload",
                "form": ResultsFileForm(data={}, refused=_refused(confirm)),
            },
        )
    outcomes = results_upload_confirm(rows=confirm.rows, by=request.user)
    request.session[OUTCOME_SESSION_KEY] = {
        "name": confirm.name,
        "rows": [asdict(outcome) for outcome in outcomes],
    }
    return redirect("staffing:results_upload_done")


@login_required
@require_GET
def results_upload_done(request: HttpRequest) -> HttpResponse:
    """What the last confirm made of each row (kept until the next)."""
    supervisor_profile(request.user)
    outcome = request.session.get(OUTCOME_SESSION_KEY)
    if outcome is None:
        return redirect("staffing:results_upload")
    rows = outcome["rows"]
    counts = {
        status: sum(1 for row in rows if row["status"] == status)
        for status in (CREATED, EXISTING, ATTACHED, REFUSED, NOT_SENT)
    }
    return _page(
        request,
        {
            "step": "done",
            "name": outcome["name"],
            "outcomes": rows,
            "created": counts[CREATED],
            "existing": counts[EXISTING],
            "attached": counts[ATTACHED],
            "refused": counts[REFUSED],
            "not_sent": counts[NOT_SENT],
        },
    )
