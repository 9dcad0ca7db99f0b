"""A positive result withdrawn by the lab that sent it (sent in error): POST
/api/v1/test-results/{lab_reference}/withdrawal/, the same operation as the case
page's "Withdraw this result" (work.withdraw.case_withdraw)."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.models import Case, FurtherResult
from figures.weekly import forget_cached_figures
from work.access.cases import cases_visible_to
from work.access.withdraw import withdraw_refusal
from work.withdraw import (
    REASON_MAX,
    REASON_REQUIRED,
    REASON_TOO_LONG,
    Withdrawn,
    case_withdraw,
)

from ..access import actor_of
from ..errors import Conflict
from ..permissions import IntakeScope
from ..strict import StrictSerializer

NO_SUCH_RESULT = "No case has this lab reference."
FURTHER_RESULT = (
    "This lab reference is a further result kept with case {case}: it made no case, "
    "sent nothing and changed no date, so there is nothing to withdraw. To withdraw "
    "the case's own result, send its lab reference ({reference})."
)


class WithdrawalInSerializer(StrictSerializer):
    """Why the result is withdrawn."""

    # Blank is let through to the operation, which says what is missing; left out or
    # too long, it is refused here in the operation's words, as the page refuses it.
    reason = serializers.CharField(
        allow_blank=True,
        max_length=REASON_MAX,
        trim_whitespace=True,
        error_messages={
            "required": REASON_REQUIRED,
            "null": REASON_REQUIRED,
            "max_length": REASON_TOO_LONG,
        },
        help_text="Why the result is withdrawn (required): a sample mix-up, a void "
        "test. Shown to the service's staff with the case.",
    )


class WithdrawalSerializer(serializers.Serializer):
    lab_reference = serializers.CharField()
    case = serializers.IntegerField(help_text="The case's id.")
    status = serializers.CharField(help_text="Always `withdrawn`.")
    already_withdrawn = serializers.BooleanField(
        help_text="True when the result had been withdrawn before: nothing was "
        "done or sent again."
    )
    withdrawn_at = serializers.DateTimeField()
    reason = serializers.CharField(help_text="The reason given when it was withdrawn.")
    contacts_withdrawn = serializers.IntegerField(
        allow_null=True,
        help_text="Contacts only this case named, withdrawn now (null when "
        "already withdrawn).",
    )
    contacts_kept = serializers.IntegerField(
        allow_null=True,
        help_text="Contacts another case named too, left open (null when already "
        "withdrawn).",
    )
    people_told = serializers.IntegerField(
        allow_null=True,
        help_text="People sent a text or email now that they no longer need to "
        "stay at home because of it, or of the date in force for them now (null "
        "when already withdrawn).",
    )
    detail = serializers.CharField()


def withdrawal_answer(done: Withdrawn) -> dict:
    case = done.case
    if done.already:
        detail = "This result was already withdrawn: nothing was done or sent again."
    else:
        detail = (
            "The result is withdrawn: the case and the contacts only it named are "
            "closed as withdrawn, and everyone who had been told to stay at home "
            "because of it is being told."
        )
    return {
        "lab_reference": case.lab_reference,
        "case": case.pk,
        "status": case.status,
        "already_withdrawn": done.already,
        "withdrawn_at": serializers.DateTimeField().to_representation(
            case.withdrawn_at
        ),
        "reason": case.withdrawn_reason,
        "contacts_withdrawn": None if done.already else len(done.contacts_withdrawn),
        "contacts_kept": None if done.already else len(done.contacts_kept),
        "people_told": None if done.already else len(done.messages),
        "detail": detail,
    }


class ResultWithdrawalView(APIView):
    permission_classes = [IntakeScope]

    @extend_schema(
        summary="Withdraw a positive result sent in error",
        description="The lab withdraws a result it sent in error (a sample mix-up, "
        "a void test), by its lab reference, with a reason. In one transaction the "
        "case is closed as `withdrawn` (never `completed`): nobody holds it, its "
        "open escalations are closed with a note, and it is no longer counted in "
        "the weekly figures. Each contact only this case named is withdrawn too; "
        "a contact another case named as well stays open, its isolation end worked "
        "out again from the namings left. Each person who had been told to stay at "
        "home because of it (reached, or sent a text or email giving their date) "
        "is told by text or email that they no longer need to, or, still isolating "
        "for another reason, the date in force for them now; nobody whose date in "
        "force is unchanged is sent anything.\n\n"
        "Idempotent: a result withdrawn already is answered 200 with "
        "`already_withdrawn` true, and nothing is done or sent again. A lab "
        "reference no case has is a 404; one kept as a further result of a case is "
        "a 409 (`refused`). A client bound to a local team may withdraw only the "
        "cases of its areas (404 for any other). Staff signed in need to be a tier "
        "2 (clinical) supervisor with a verified registration (403 otherwise).",
        request=WithdrawalInSerializer,
        responses={
            200: WithdrawalSerializer,
            400: OpenApiResponse(description="The reason is missing or too long."),
            403: OpenApiResponse(description="Not one who may withdraw a result."),
            404: OpenApiResponse(description=NO_SUCH_RESULT),
            409: OpenApiResponse(
                description="The lab reference is a further result kept with a "
                "case (code `refused`): nothing to withdraw."
            ),
        },
        examples=[
            OpenApiExample(
                "A withdrawal",
                request_only=True,
                value={"reason": "Sample mix-up at the lab: batch 2026-11-20-B."},
            )
        ],
    )
    def post(self, request: Request, lab_reference: str) -> Response:
        # The body is read first (so it meets the parser's limits), but judged last:
        # an unknown reference is a 404 and one who may not withdraw a 403, whatever
        # was sent.
        serializer = WithdrawalInSerializer(data=request.data)
        actor = actor_of(request)
        reference = lab_reference.strip()
        if "\x00" in reference:
            # No reference holds a NUL, and PostgreSQL takes none to compare with.
            raise NotFound(NO_SUCH_RESULT)
        case = Case.objects.filter(lab_reference=reference).first()
        if case is None:
            further = (
                FurtherResult.objects.filter(lab_reference=reference)
                .select_related("case")
                .first()
            )
            if further is not None and self._sees(actor, further.case):
                raise Conflict(
                    FURTHER_RESULT.format(
                        case=further.case_id, reference=further.case.lab_reference
                    ),
                    code="refused",
                )
            raise NotFound(NO_SUCH_RESULT)
        if not self._sees(actor, case):
            raise NotFound(NO_SUCH_RESULT)
        if (refusal := withdraw_refusal(actor)) is not None:
            raise PermissionDenied(refusal)
        serializer.is_valid(raise_exception=True)
        done = case_withdraw(
            case=case, reason=serializer.validated_data["reason"], by=actor
        )
        if not done.already:
            # The case and its contacts leave the figures of their weeks.
            transaction.on_commit(forget_cached_figures)
        return Response(withdrawal_answer(done), status=status.HTTP_200_OK)

    @staticmethod
    def _sees(actor, case: Case) -> bool:
        """A national client sees every case; one bound to a local team, its
        areas' (as the intake answers it); staff, what their pages show them."""
        if actor.client and actor.client_team_id is None:
            return True
        return cases_visible_to(actor).filter(pk=case.pk).exists()
