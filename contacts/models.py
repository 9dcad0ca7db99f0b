from __future__ import annotations

from typing import NamedTuple, Self

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from cases.workitem import Status, WorkItem, WorkItemQuerySet


class ContactQuerySet(WorkItemQuerySet):
    def with_person(self) -> Self:
        return self.select_related("person", "area", "assignee", "case")

    def named_by(self, case_id: int) -> Self:
        """The contacts a case named: its own, and those of another case it named
        again (an Exposure row), each once: the contacts its page lists. Ids from the
        two indexed lookups joined by UNION: a join to the namings repeats a contact
        once for each, DISTINCT over the wide rows would sort a whole list before
        its first page, and an OR with EXISTS scans every contact."""
        return self.named_by_any([case_id])

    def named_by_any(self, case_ids: list[int]) -> Self:
        """named_by for several cases at once (a cluster's): the contacts any of
        them named, each once, by the same two indexed lookups."""
        own = Contact.objects.filter(case_id__in=case_ids).values("pk")
        named_again = Exposure.objects.filter(case_id__in=case_ids).values("contact_id")
        return self.filter(pk__in=own.union(named_again))

    def other_dates(self, contact: Contact) -> OtherDates:
        """The person's other contacts with another date to stay at home, either side
        of this one. A person told to isolate and named again for a later date is a
        new contact (work.casework.contact_add): the one made after this, isolating
        until later, took its place (of several, the one ending last, as a contact
        follows the person's case ending last: work.isolation); the one made before,
        reached and told an earlier date, is the one it took the place of. One query
        over the person's contacts (a handful). The contact's link page and its page
        both read it, so that neither gives an earlier date as the one in force."""
        others = list(
            self.filter(person_id=contact.person_id)
            .exclude(pk=contact.pk)
            .order_by("-isolation_ends_on", "-pk")
        )
        made, ends_on = (contact.created_at, contact.pk), contact.isolation_ends_on
        later = (
            other
            for other in others
            if (other.created_at, other.pk) > made and other.isolation_ends_on > ends_on
        )
        earlier = (
            other
            for other in others
            if (other.created_at, other.pk) < made
            and other.isolation_ends_on < ends_on
            and other.reached_at is not None
        )
        return OtherDates(
            told_earlier=next(earlier, None), named_again_later=next(later, None)
        )


class OtherDates(NamedTuple):
    """A contact's neighbours among the person's contacts (ContactQuerySet.other_dates):
    None where there is none."""

    # Made before it, told an earlier date: the one it took the place of.
    told_earlier: Contact | None
    # Made after it, isolating until later: the one that took its place.
    named_again_later: Contact | None


# What the weekly figures read of a week's contacts (figures/weekly.py: the contacts
# block and the times block), held in the indexes of their week.
FIGURES_COLUMNS = [
    # A withdrawn contact (its case's result sent in error) is left out.
    "status",
    "person",
    "reached_at",
    "reached_route",
    "reached_tier",
    "case",
    "id",
]


class Contact(WorkItem):
    """A person's exposure to a case: someone to tell to self-isolate."""

    kind = "contact"
    worked_after_reach = False

    class Exposure(models.TextChoices):
        HOUSEHOLD = "household", "Household"
        FACE_TO_FACE = "face_to_face", "Face to face"
        PROXIMITY = "proximity", "Within 2 metres for 15 minutes"
        TRAVEL = "travel", "Travelled together"

    # No index of its own: it leads the unique (case, person) index.
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        related_name="contacts",
        db_index=False,
    )
    exposure_date = models.DateField(help_text="The last day they were exposed.")
    exposure = models.CharField(max_length=20, choices=Exposure.choices)
    identified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = ContactQuerySet.as_manager()

    # Not a field: set on the contact work.casework.contact_add returns, to the
    # further naming (an Exposure row) when the person named was already this
    # contact of another case; None when the naming made the contact. (In this
    # class's body `Exposure` is the kinds of exposure: hence the alias.)
    joined: FurtherExposure | None = None

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "person"], name="contact_once_per_case"
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.ASSIGNED) | Q(assignee__isnull=False),
                name="contact_assigned_has_assignee",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.NEW) | Q(assignee__isnull=True),
                name="contact_waiting_has_no_assignee",
            ),
        ]
        indexes = [
            # The pool (Contact.pool_q(), the same condition), in the claim's order:
            # most urgent, then oldest. Its head is the next contact to hand out, and
            # the call-back time lets the pool's counts read the index alone.
            models.Index(
                F("priority").desc(),
                "created_at",
                "id",
                name="contact_pool",
                condition=Q(status=Status.NEW),
                include=["next_attempt_at"],
            ),
            models.Index(
                fields=["assignee", "status", "next_attempt_at"], name="contact_queue"
            ),
            models.Index(fields=["area", "status"], name="contact_area_status"),
            models.Index(fields=["local_team", "status"], name="contact_team_status"),
            # The sweep's: the due contacts in the order they are escalated, and
            # their isolation's end, so that the contacts whose isolation is over
            # (closed, not escalated) are told apart within the index, never by
            # reading every due contact's row.
            models.Index(
                fields=["escalate_due_at", "isolation_ends_on"],
                name="contact_escalation_due_ends",
                condition=Q(status__in=[Status.NEW, Status.ASSIGNED]),
            ),
            # The escalated contacts by the end of their isolation: each sweep batch
            # looks for those whose isolation is over, to close their escalation
            # (work.escalation.escalations_close_isolation_over), and reads only
            # those, from the oldest end, never every open escalation.
            models.Index(
                fields=["isolation_ends_on", "id"],
                name="contact_escalated_ends",
                condition=Q(status=Status.ESCALATED),
            ),
            # A week's contacts for the weekly figures (England; a local team's or an
            # area's), holding every column the figures read of a contact: their
            # queries are index-only scans, never a heap page per row. (Named anew
            # when the status joined them: built beside the old ones, concurrently,
            # contacts_0014.)
            models.Index(
                fields=["created_at"],
                name="contact_week_covering",
                include=["area", *FIGURES_COLUMNS],
            ),
            models.Index(
                fields=["area", "created_at"],
                name="contact_area_week_covering",
                include=FIGURES_COLUMNS,
            ),
        ]

    def __str__(self) -> str:
        return f"Contact {self.person} of {self.case}"


class Exposure(models.Model):
    """A further naming of a contact by another case: one person named by several
    cases is one contact to call. The contact's own case, exposure date and kind are
    its first naming; each further one is a row here, and the contact isolates until
    the latest exposure's end (work.casework.contact_add)."""

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="further_exposures"
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="contact_exposures"
    )
    exposure_date = models.DateField(help_text="The last day they were exposed.")
    exposure = models.CharField(max_length=20, choices=Contact.Exposure.choices)
    identified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "case"], name="exposure_once_per_case"
            ),
        ]
        indexes = [
            # A case page's people it named who are another case's contacts.
            models.Index(fields=["case", "contact"], name="exposure_case"),
        ]

    def __str__(self) -> str:
        return f"Exposure of {self.contact_id} to case {self.case_id}"


# The model's name for Contact.joined's annotation, where `Exposure` is the choices.
FurtherExposure = Exposure


class IsolationChangeQuerySet(models.QuerySet["IsolationChange"]):
    def of_item(self, item: models.Model) -> IsolationChangeQuerySet:
        """The changes of one case's or one contact's end date, newest first."""
        return self.filter(**{item._meta.model_name or "": item}).order_by("-at", "-pk")

    def overrides(self) -> IsolationChangeQuerySet:
        return self.filter(kind=IsolationChange.Kind.OVERRIDE)


class IsolationChange(models.Model):
    """An isolation end date set by more than the rules' sum from one date: a tier 2
    clinician's override of a case's or a contact's, or a contact becoming a case
    (their isolation follows the case's rule from then). The item's
    `isolation_ends_on` holds the date in force; a row here says why, who, when and
    what it replaced, and is never edited. It lives in this app because this app
    sees both kinds of item (work.isolation writes it)."""

    class Kind(models.TextChoices):
        OVERRIDE = "override", "Changed by a clinician"
        BECAME_CASE = "became_case", "Became a case"

    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="isolation_changes",
    )
    contact = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="isolation_changes",
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    ends_on = models.DateField(help_text="The last day of isolation from this change.")
    replaced = models.DateField(help_text="The last day of isolation before it.")
    reason = models.TextField(blank=True, help_text="The clinician's reason.")
    # The case the contact became (a "became a case" change).
    became_case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField()

    objects = IsolationChangeQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=False, contact__isnull=True)
                | Q(case__isnull=True, contact__isnull=False),
                name="isolation_change_of_one_item",
            ),
            models.CheckConstraint(
                condition=~Q(kind="override") | ~Q(reason=""),
                name="isolation_override_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(kind="became_case")
                | Q(contact__isnull=False, became_case__isnull=False),
                name="isolation_became_case_names_it",
            ),
        ]

    def __str__(self) -> str:
        item = f"case {self.case_id}" if self.case_id else f"contact {self.contact_id}"
        return f"{self.get_kind_display()}: {item} until {self.ends_on}"
