"""A positive result withdrawn (sent in error) from the case page: "Withdraw this
result" leads here, to a page that says what withdrawing does to this case, its
contacts and the people told, and asks for the reason and a confirmation. The
operation is work.withdraw.case_withdraw, as the lab's through the API; only a tier
2 supervisor reaches this page (work.access.withdraw)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods

from audit.services import audit_view
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact, Exposure
from figures.weekly import forget_cached_figures
from work.access.withdraw import withdraw_refusal
from work.withdraw import (
    REASON_MAX,
    REASON_REQUIRED,
    REASON_TOO_LONG,
    FurtherResultsStand,
    Withdrawn,
    case_withdraw,
)

from ..typed import draws_its_form, put_typing_back

PAGE = "cases/case_withdraw.html"


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why is the result withdrawn?",
        help_text="For example, the lab's words: a sample mix-up, a void test. "
        "Kept with the case and shown on its page.",
        max_length=REASON_MAX,
        # The operation's words, as the lab is told them through the API.
        error_messages={"required": REASON_REQUIRED, "max_length": REASON_TOO_LONG},
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label="I understand that the case and the contacts only it named will be "
        "closed, and that the people told to stay at home because of it will be "
        "told they no longer need to",
        error_messages={
            "required": "Confirm that you understand what withdrawing the result does."
        },
    )


def _case(request: HttpRequest, pk: int) -> Case:
    """The case, for a tier 2 supervisor only: 403 with the reason for anyone else
    (before the case is looked up), 404 when there is none."""
    if (refusal := withdraw_refusal(request.user)) is not None:
        raise PermissionDenied(refusal)
    case = Case.objects.with_person().filter(pk=pk).first()
    if case is None:
        raise Http404("No such case.")
    return case


def _what_it_does(case: Case) -> dict[str, int]:
    """The contacts withdrawing would close (only this case named them) and those it
    leaves open (another case named them too), for the page to warn of."""
    named = list(Contact.objects.named_by(case.pk).exclude(status=Status.WITHDRAWN))
    others = set(
        Exposure.objects.filter(contact__in=named)
        .exclude(case=case)
        .exclude(case__status=Status.WITHDRAWN)
        .values_list("contact_id", flat=True)
    )
    kept = sum(
        1
        for contact in named
        if contact.pk in others
        or (contact.case_id != case.pk and contact.case.status != Status.WITHDRAWN)
    )
    return {"withdrawn": len(named) - kept, "kept": kept}


def _done_text(done: Withdrawn) -> str:
    said = ["The result is withdrawn and the case closed as withdrawn."]
    if n := len(done.contacts_withdrawn):
        said.append(f"{n} contact{'s' if n != 1 else ''} only it named closed too.")
    if n := len(done.contacts_kept):
        said.append(
            f"{n} contact{'s' if n != 1 else ''} named by another case too left open."
        )
    n = len(done.messages)
    said.append(
        f"{n} {'person is' if n == 1 else 'people are'} being told by text or email."
        if n
        else "Nobody is being sent a text or email: nobody's date to stay at home "
        "changed, or nobody had been told to."
    )
    return " ".join(said)


@login_required
@require_http_methods(["GET", "POST"])
@draws_its_form
def case_withdraw_page(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    back = redirect("cases:detail", pk=case.pk)
    if case.status == Status.WITHDRAWN:
        messages.info(request, "This result was already withdrawn.")
        return back
    form = WithdrawForm(request.POST or None)
    if request.method == "GET":
        audit_view(user=request.user, obj=case, via="page")
        put_typing_back(request, form, action=request.path)
    elif form.is_valid():
        try:
            done = case_withdraw(
                case=case, reason=form.cleaned_data["reason"], by=request.user
            )
        except ValidationError as exc:
            for name, problems in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, problems)
        except FurtherResultsStand as exc:
            form.add_error(None, str(exc))
        else:
            if done.already:
                messages.info(request, "This result was already withdrawn.")
            else:
                transaction.on_commit(forget_cached_figures)
                messages.success(request, _done_text(done))
            return back
    return TemplateResponse(
        request,
        PAGE,
        {
            "case": case,
            "person": case.person,
            "form": form,
            "will": _what_it_does(case),
        },
    )
