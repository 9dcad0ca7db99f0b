"""The online route's links: a case told to enter their contacts, a contact told to
isolate, each by a link in a text or email that opens a page with no sign-in.

Only a hash of the link's token is kept: the token itself is in the message and
nowhere else, so the table cannot be read back into working links.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class OnlineLink(models.Model):
    class Purpose(models.TextChoices):
        CASE = "case", "Enter their contacts"
        CONTACT = "contact", "Confirm they will isolate"

    token_hash = models.CharField(max_length=64, unique=True)
    purpose = models.CharField(max_length=10, choices=Purpose.choices)
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="online_links"
    )
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="online_links",
        db_index=False,  # indexed by online_link_case, which it leads
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="online_links",
        db_index=False,  # indexed by online_link_contact, which it leads
    )
    # The language of the message and, first, of the page ("en" or "cy").
    language = models.CharField(max_length=8, default="en")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        "auth.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )  # who resent it (None: the service, on intake or when a case named them)
    expires_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)  # first opened
    submitted_at = models.DateTimeField(null=True, blank=True)  # used: single use
    revoked_at = models.DateTimeField(null=True, blank=True)  # a newer link was sent
    # A contact's answer: they will isolate; and what support they asked for.
    confirmed_at = models.DateTimeField(null=True, blank=True)
    support = models.JSONField(default=list, blank=True)
    # What a contact typed for us with their answer, whatever it was ("call after
    # 6pm"): read by their call handler on the contact's page; cleared when the
    # person is pseudonymised (free text).
    note = models.TextField(blank=True)
    message = models.ForeignKey(
        "people.Message",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        indexes = [
            models.Index(fields=["case", "-created_at"], name="online_link_case"),
            models.Index(fields=["contact", "-created_at"], name="online_link_contact"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(purpose="case", case__isnull=False, contact__isnull=True)
                    | models.Q(
                        purpose="contact", contact__isnull=False, case__isnull=True
                    )
                ),
                name="online_link_one_item",
            )
        ]

    def __str__(self) -> str:
        return (
            f"Online link ({self.get_purpose_display().lower()}) for {self.person_id}"
        )

    @property
    def item(self):
        return self.case if self.purpose == self.Purpose.CASE else self.contact

    def usable(self, now) -> bool:
        """Not expired, not replaced, not used yet."""
        return (
            self.revoked_at is None
            and self.submitted_at is None
            and self.expires_at > now
        )

    @property
    def progress(self) -> str:
        """Where the person is: sent, opened, completed (a case), confirmed (a
        contact)."""
        if self.confirmed_at:
            return "confirmed"
        if self.submitted_at:
            return "completed"
        if self.opened_at:
            return "opened"
        return "sent"
