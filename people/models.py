from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower

from .names import visible_name
from .phone_field import PhoneField


class Language(models.Model):
    """A spoken language (ISO 639-1 code), for matching callers to people."""

    code = models.CharField(max_length=8, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def validate_nhs_number(value: str) -> None:
    """Ten digits whose last is the modulus 11 check digit of the first nine."""
    digits = (value or "").replace(" ", "")
    if len(digits) != 10 or not digits.isdigit():
        raise ValidationError("An NHS number has 10 digits.", code="invalid_nhs_number")
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    if check == 10 or check != int(digits[9]):
        raise ValidationError(
            "That is not a valid NHS number (the check digit does not match).",
            code="invalid_nhs_number",
        )


class Person(models.Model):
    """One human being, behind every case and contact they appear in."""

    first_name = models.CharField(max_length=100, validators=[visible_name])
    last_name = models.CharField(max_length=100, validators=[visible_name])
    date_of_birth = models.DateField(null=True, blank=True)
    nhs_number = models.CharField(
        "NHS number",
        max_length=10,
        blank=True,
        default="",
        validators=[validate_nhs_number],
    )
    # A Phone (people.phone_field) on reading; a Phone or its text on writing.
    phone: Any = PhoneField(blank=True)
    phone_alt: Any = PhoneField("other phone", blank=True)
    # The numbers a call to them was logged "Wrong number" on (as the call rang
    # them: work.calls): someone else answered. No message goes to one of them while
    # it is their phone (phone_logged_wrong); kept by number, so a new phone given
    # is texted as usual, and the stranger's is not if it comes back with a naming.
    # Empty by the database's own default too: the bulk writes of people (the
    # benches' COPY and INSERT ... SELECT, the scale tests) name only their columns.
    wrong_numbers = models.JSONField(default=list, db_default=[], blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    area = models.ForeignKey(
        "areas.Area", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Ordnance Survey grid position of the postcode, for clusters by distance.
    easting = models.IntegerField(null=True, blank=True)
    northing = models.IntegerField(null=True, blank=True)
    language = models.ForeignKey(
        Language, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    needs_interpreter = models.BooleanField(default=False)
    # Set when this record was merged into another (work/merge.py): the survivor holds
    # everything since, and this row is kept only so the merge can be undone.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_people",
        db_index=False,  # the partial index person_merged_into: merged rows only
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "people"
        constraints = [
            models.UniqueConstraint(
                fields=["nhs_number"],
                condition=~models.Q(nhs_number=""),
                name="person_nhs_number_unique",
            )
        ]
        # The candidates of a match (people/matching.py) are found by these: the NHS
        # number (its unique constraint), the date of birth, either phone, the
        # postcode. (On PostgreSQL a trigram index on the lower-cased full name, made
        # by migration 0003, serves searches by a name alone.)
        indexes = [
            models.Index(Lower("last_name"), "date_of_birth", name="person_name_dob"),
            models.Index(fields=["phone"], name="person_phone"),
            models.Index(fields=["date_of_birth"], name="person_dob"),
            # Matching by an email in common (people/matching.py).
            models.Index(
                Lower("email"),
                name="person_email",
                condition=~models.Q(email=""),
            ),
            models.Index(
                fields=["phone_alt"],
                condition=~models.Q(phone_alt=""),
                name="person_phone_alt",
            ),
            models.Index(
                fields=["postcode"],
                condition=~models.Q(postcode=""),
                name="person_postcode",
            ),
            # The records merged into a person (their audit page); the rest, nearly
            # everyone, are not in it, so "not merged" never reads it.
            models.Index(
                fields=["merged_into"],
                condition=models.Q(merged_into__isnull=False),
                name="person_merged_into",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def phone_logged_wrong(self) -> bool:
        """Whether their phone is a number a call to them was logged "Wrong number"
        on: a stranger's, not to be texted as theirs. (Compared as the call recorded
        the number it rang: the phone's text.)"""
        return bool(self.phone) and str(self.phone) in (self.wrong_numbers or [])


class PersonChange(models.Model):
    """One contact detail of a person replaced by a newer one: the old value kept.

    Written when a person we already hold arrives again (intake, the case page, the
    online route) with a different phone, email, address or postcode.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(max_length=30)
    old_value = models.TextField()
    new_value = models.TextField()
    # Where the new value came from: "intake", "case page", "online"... (blank: unsaid).
    source = models.CharField(max_length=30, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["person", "-at"], name="person_change_person")]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value} -> {self.new_value}"


class PossibleDuplicate(models.Model):
    """Two records that may be one human being, for a person to decide.

    The pair is kept in order (person_a's id below person_b's), so it has one row
    however it arises; "not the same" is kept for good: the pair arriving again
    leaves the decision alone.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        NOT_SAME = "not_same", "Not the same person"
        MERGED = "merged", "Merged"

    person_a = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    person_b = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    # Why, in words: ["same date of birth", "similar name (0.72)", "same phone"].
    reasons = models.JSONField(default=list)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN
    )
    created_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person_a", "person_b"], name="possible_duplicate_pair"
            ),
            models.CheckConstraint(
                condition=models.Q(person_a__lt=models.F("person_b")),
                name="possible_duplicate_ordered",
            ),
        ]
        indexes = [
            models.Index(
                fields=["-score", "-created_at"],
                condition=models.Q(status="open"),
                name="possible_duplicate_open",
            ),
            models.Index(fields=["person_b"], name="possible_duplicate_b"),
        ]

    def __str__(self) -> str:
        return f"{self.person_a_id} ~ {self.person_b_id} ({self.status})"


class PersonMerge(models.Model):
    """Two records of one human made one (work/merge.py): the merged person's cases,
    contacts, calls, messages, history and links moved to the survivor.

    `fields` is what the survivor took, field by field ({"phone": {"from": "b",
    "value": "+447700900123"}}); `snapshot` is everything needed to undo it: both
    people's rows before, the rows moved (by model, field and id), the contact rows
    folded into the survivor's contact of the same case (whole), and the other
    possible-duplicate pairs as they were.
    """

    survivor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    pair = models.ForeignKey(
        PossibleDuplicate,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merges",
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    fields = models.JSONField(default=dict, blank=True)
    snapshot = models.JSONField(default=dict, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    undone_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["survivor", "-at"], name="person_merge_survivor"),
            models.Index(fields=["merged"], name="person_merge_merged"),
        ]

    def __str__(self) -> str:
        return f"{self.merged_id} merged into {self.survivor_id}"


class Message(models.Model):
    """A text or email to a person, and whether it arrived (sent by notify/).

    `key` says which event it is for ("isolation_advice:contact:123"), so each event
    makes one message however often it is recorded. Its life: queued, sending (the
    provider is being asked), sent (it took it), delivered or failed; or superseded,
    never sent, when a newer message replaced it first (a later end date, a new
    link). A message is sent at most once: one left sending by a worker that
    stopped is failed, not sent again.
    """

    class Channel(models.TextChoices):
        SMS = "sms", "Text message"
        EMAIL = "email", "Email"
        LETTER = "letter", "Letter"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        # Replaced by a newer message before it went (notify.services.
        # messages_supersede): never sent, and not a failure.
        SUPERSEDED = "superseded", "Not sent: replaced"

    class Kind(models.TextChoices):
        ISOLATION_ADVICE = "isolation_advice", "Isolation advice"
        MISSED_CALL = "missed_call", "We tried to call you"
        CASE_LINK = "case_link", "Link to tell us your contacts"
        CONTACT_LINK = "contact_link", "Told to isolate, with a link"
        OTHER = "other", "Other"

    # Indexed by message_person, which it leads.
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="messages",
    )
    # One message per event; rows from before keys have none (NULLs do not collide).
    key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.OTHER)
    to = models.CharField(max_length=254)
    body = models.TextField()
    language = models.CharField(max_length=8, default="en")
    # The provider's template, by its name in GOVUK_NOTIFY_TEMPLATES (blank: the kind).
    template = models.CharField(max_length=100, blank=True)
    personalisation = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the last attempt began (a message sending since long ago is stuck).
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    provider_reference = models.CharField(max_length=100, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["person", "-created_at"], name="message_person"),
            # Delivery receipts find their message by the provider's id.
            models.Index(
                fields=["provider_reference"],
                condition=~models.Q(provider_reference=""),
                name="message_provider_reference",
            ),
            models.Index(
                fields=["last_attempt_at"],
                condition=models.Q(status="sending"),
                name="message_sending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} to {self.to} ({self.status})"
