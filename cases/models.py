from __future__ import annotations

from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .workitem import Status, WorkItem, WorkItemQuerySet


class SettingKind(models.TextChoices):
    HOUSEHOLD = "household", "Household"
    WORKPLACE = "workplace", "Workplace"
    SCHOOL = "school", "School or nursery"
    UNIVERSITY = "university", "University"
    CARE_HOME = "care_home", "Care home"
    HOSPITAL = "hospital", "Hospital or clinic"
    PRISON = "prison", "Prison"
    TRANSPORT = "transport", "Transport"
    VENUE = "venue", "Hospitality or venue"
    WORSHIP = "worship", "Place of worship"
    OTHER = "other", "Other"


# Settings where a case is complex and goes straight to the local team.
COMPLEX_SETTINGS = {
    SettingKind.CARE_HOME,
    SettingKind.SCHOOL,
    SettingKind.HOSPITAL,
    SettingKind.PRISON,
}


class CaseQuerySet(WorkItemQuerySet):
    def with_person(self) -> Self:
        return self.select_related("person", "area", "assignee")


class Case(WorkItem):
    """A person's positive test, and the work of tracing from it."""

    kind = "case"
    worked_after_reach = True

    class Complexity(models.TextChoices):
        ROUTINE = "routine", "Routine"
        COMPLEX = "complex", "Complex (local team)"

    class Source(models.TextChoices):
        API = "api", "Lab integration"
        CSV = "csv", "CSV upload"
        MANUAL = "manual", "Entered by staff"
        DEMO = "demo", "Demo data"

    lab_reference = models.CharField(max_length=64, unique=True)
    specimen_date = models.DateField()
    result_date = models.DateField()
    symptom_onset = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.API)
    complexity = models.CharField(
        max_length=10, choices=Complexity.choices, default=Complexity.ROUTINE
    )
    complex_setting = models.CharField(
        max_length=20, choices=SettingKind.choices, blank=True
    )
    safeguarding_flag = models.BooleanField(default=False)
    safeguarding_note = models.TextField(blank=True)
    # The positive result withdrawn, sent in error (work.withdraw): when, by whom
    # (a tier 2 supervisor, or the lab's integration's account) and why. The case's
    # status is then "withdrawn"; these are never changed again.
    withdrawn_at = models.DateTimeField(null=True, blank=True, editable=False)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    # A database default too: bulk loads that list their columns (the seeder, the
    # benches) leave it out.
    withdrawn_reason = models.TextField(blank=True, editable=False, db_default="")

    objects = CaseQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(specimen_date__lte=F("result_date")),
                name="case_specimen_before_result",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.ASSIGNED) | Q(assignee__isnull=False),
                name="case_assigned_has_assignee",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.NEW) | Q(assignee__isnull=True),
                name="case_waiting_has_no_assignee",
            ),
            # A withdrawn result says when and why, and only a withdrawn one does.
            models.CheckConstraint(
                condition=(
                    Q(status=Status.WITHDRAWN)
                    & Q(withdrawn_at__isnull=False)
                    & ~Q(withdrawn_reason="")
                )
                | (~Q(status=Status.WITHDRAWN) & Q(withdrawn_at__isnull=True)),
                name="case_withdrawn_says_when_and_why",
            ),
        ]
        indexes = [
            # The pool (Case.pool_q(), the same condition), in the claim's order: most
            # urgent, then oldest. Its head is the next case to hand out, and the
            # call-back time lets the pool's counts read the index alone.
            models.Index(
                F("priority").desc(),
                "created_at",
                "id",
                name="case_pool",
                condition=Q(status=Status.NEW)
                | Q(status=Status.REACHED, assignee__isnull=True),
                include=["next_attempt_at"],
            ),
            models.Index(
                fields=["assignee", "status", "next_attempt_at"], name="case_queue"
            ),
            models.Index(fields=["area", "status"], name="case_area_status"),
            models.Index(fields=["local_team", "status"], name="case_team_status"),
            models.Index(
                fields=["escalate_due_at"],
                name="case_escalation_due",
                condition=Q(status__in=[Status.NEW, Status.ASSIGNED]),
            ),
            models.Index(fields=["created_at"], name="case_created"),
            # A local team's or an area's weekly figures: its week's cases only.
            models.Index(fields=["area", "created_at"], name="case_area_created"),
            # Whether a person is a case being worked (work.queues.called_as_case,
            # whose statuses these are): a contact of theirs is held back from
            # calls. The few open cases only, so that the pool's NOT EXISTS reads
            # this small index rather than every case.
            models.Index(
                fields=["person"],
                name="case_person_worked",
                condition=Q(status__in=[Status.NEW, Status.ASSIGNED, Status.REACHED]),
            ),
        ]

    def __str__(self) -> str:
        return f"Case {self.lab_reference}"


# A positive specimen within this many days of a person's case's specimen (before or
# after it) is the same episode of infection, not a new case (UK guidance: a
# reinfection is counted only from the 91st day).
EPISODE_DAYS = 90


class FurtherResult(models.Model):
    """A further positive result of a person who has a case from the same episode
    (specimen dates within EPISODE_DAYS of each other): kept with that case rather
    than made a case of its own, so the person is not traced, texted or counted
    twice. Kept too so that the lab's retry of it is answered the same, and so that
    a lab reference is one case's or one further result's, never both."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="further_results"
    )
    lab_reference = models.CharField(max_length=64, unique=True)
    specimen_date = models.DateField()
    result_date = models.DateField()
    source = models.CharField(
        max_length=10, choices=Case.Source.choices, default=Case.Source.API
    )
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(specimen_date__lte=F("result_date")),
                name="further_specimen_before_result",
            ),
        ]

    def __str__(self) -> str:
        return f"Further result {self.lab_reference} of case {self.case_id}"


class RiskAssessment(models.Model):
    """The tier 2 public health risk assessment of one case (clinical: tier 2 only)."""

    case = models.OneToOneField(
        Case, on_delete=models.CASCADE, related_name="assessment"
    )
    symptomatic = models.BooleanField(default=True)
    occupation = models.CharField(max_length=200, blank=True)
    works_in = models.CharField(
        "works or studies in", max_length=20, choices=SettingKind.choices, blank=True
    )
    vulnerabilities = models.TextField(blank=True)
    household_size = models.PositiveSmallIntegerField(null=True, blank=True)
    household_notes = models.TextField(blank=True)
    clinical_notes = models.TextField(blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assessed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Assessment of {self.case}"


class ExposureSetting(models.Model):
    """A place where people met: a workplace, school, venue..."""

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=SettingKind.choices)
    address = models.CharField(max_length=300, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    area = models.ForeignKey(
        "areas.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    easting = models.IntegerField(null=True, blank=True)
    northing = models.IntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["area", "kind"], name="setting_area_kind")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class SettingVisit(models.Model):
    """A case was at a setting on a day (an exposure event)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="visits")
    setting = models.ForeignKey(
        ExposureSetting, on_delete=models.PROTECT, related_name="visits"
    )
    visited_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "setting", "visited_on"], name="visit_once_a_day"
            )
        ]
        indexes = [
            models.Index(fields=["setting", "visited_on"], name="visit_setting_day")
        ]

    def __str__(self) -> str:
        return f"{self.case} at {self.setting} on {self.visited_on}"


class CaseDraft(models.Model):
    """What a caseworker has typed in one section of the case page and not saved yet.

    Kept on the server, so the typing is there again when the page is drawn again (an
    answer without JavaScript, or coming back later); cleared when the section is
    saved. A draft is its writer's own: one per case, person and section.
    """

    class Section(models.TextChoices):
        ASSESSMENT = "assessment", "Risk assessment"
        CONTACTS = "contacts", "Contacts"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="drafts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    section = models.CharField(max_length=20, choices=Section.choices)
    data = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "user", "section"], name="case_draft_once"
            )
        ]

    def __str__(self) -> str:
        return f"Draft of {self.get_section_display().lower()} on {self.case_id}"
