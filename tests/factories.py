"""factory-boy factories for every model. Work items are built already in their
state; use the services to move them, as the application does."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from areas.models import Area, LocalTeam
from audit.models import AuditEvent
from calls.models import CallAttempt, KnowledgeArticle, Outcome, Script, ScriptStep
from cases.models import (
    Case,
    ExposureSetting,
    RiskAssessment,
    SettingKind,
    SettingVisit,
)
from contacts.models import Contact
from escalations.models import Cluster, Escalation, EscalationAction
from people.models import Language, Message, Person
from staffing.models import (
    CallReview,
    HoursCapChange,
    Organisation,
    Shift,
    StaffProfile,
    Team,
    Tier,
    TrainingCompletion,
    TrainingModule,
)
from work.rules import CallRule, case_isolation_ends_on, contact_isolation_ends_on

PASSWORD = "correct-horse-battery"


def area(code: str = "E08000019") -> Area:
    """A real area loaded by the migration (Sheffield by default)."""
    return Area.objects.select_related("local_team").get(code=code)


class LocalTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LocalTeam

    code = factory.Sequence(lambda n: f"T{n:06d}")
    name = factory.Sequence(lambda n: f"Test Public Health {n}")


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area

    code = factory.Sequence(lambda n: f"X{n:08d}")
    name = factory.Sequence(lambda n: f"Test area {n}")
    upper_tier_code = factory.SelfAttribute("local_team.code")
    upper_tier_name = factory.SelfAttribute("local_team.name")
    local_team = factory.SubFactory(LocalTeamFactory)


class LanguageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Language
        django_get_or_create = ("code",)

    code = "ur"
    name = "Urdu"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Organisation {n}")
    kind = Organisation.Kind.CALL_CENTRE


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    organisation = factory.SubFactory(OrganisationFactory)
    tier = Tier.CALL_HANDLER


class StaffProfileFactory(factory.django.DjangoModelFactory):
    """A trained, signed-off call handler by default; see the traits."""

    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory)
    tier = Tier.CALL_HANDLER
    organisation = factory.SubFactory(OrganisationFactory)
    team = factory.SubFactory(TeamFactory, tier=factory.SelfAttribute("..tier"))
    started_on = factory.LazyFunction(
        lambda: timezone.localdate() - dt.timedelta(days=60)
    )
    signed_off_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=30))

    class Params:
        clinical = factory.Trait(
            tier=Tier.CLINICAL,
            registration_body=StaffProfile.RegistrationBody.NMC,
            registration_number=factory.Sequence(
                lambda n: f"{n % 100:02d}A{n % 10**4:04d}E"
            ),
            registration_verified_on=factory.LazyFunction(
                lambda: timezone.localdate() - dt.timedelta(days=30)
            ),
            registration_expires_on=factory.LazyFunction(
                lambda: timezone.localdate() + dt.timedelta(days=365)
            ),
        )
        local = factory.Trait(
            tier=Tier.LOCAL,
            team=None,
            local_team=factory.LazyFunction(lambda: area().local_team),
        )
        new_starter = factory.Trait(signed_off_at=None)


class HoursCapChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HoursCapChange

    profile = factory.SubFactory(StaffProfileFactory)
    old_cap = 42
    new_cap = 50
    reason = "Surge cover"
    changed_by = factory.SubFactory(UserFactory)


class ShiftFactory(factory.django.DjangoModelFactory):
    """A booked shift that is on now."""

    class Meta:
        model = Shift

    staff = factory.SubFactory(StaffProfileFactory)
    tier = factory.SelfAttribute("staff.tier")
    team = factory.SelfAttribute("staff.team")
    starts_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    ends_at = factory.LazyAttribute(lambda s: s.starts_at + dt.timedelta(hours=8))
    status = Shift.Status.BOOKED
    booked_at = factory.LazyAttribute(lambda s: s.starts_at - dt.timedelta(days=2))


class TrainingModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingModule

    name = factory.Sequence(lambda n: f"Module {n}")
    tier = Tier.CALL_HANDLER


class TrainingCompletionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingCompletion

    profile = factory.SubFactory(StaffProfileFactory)
    module = factory.SubFactory(TrainingModuleFactory)
    completed_on = factory.LazyFunction(timezone.localdate)


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = factory.Faker("date_of_birth", minimum_age=18, maximum_age=90)
    phone = factory.Sequence(lambda n: f"+447400{n % 1000000:06d}")
    postcode = "S1 1AA"
    area = factory.LazyFunction(area)


def _escalation_due(kind: str, created_at: dt.datetime) -> dt.datetime:
    return CallRule.for_kind(kind).escalate_due_at(created_at)


class CaseFactory(factory.django.DjangoModelFactory):
    """A new case, waiting in the pool."""

    class Meta:
        model = Case

    person = factory.SubFactory(PersonFactory)
    lab_reference = factory.Sequence(lambda n: f"LAB{n:08d}")
    specimen_date = factory.LazyFunction(
        lambda: timezone.localdate() - dt.timedelta(days=2)
    )
    result_date = factory.LazyFunction(
        lambda: timezone.localdate() - dt.timedelta(days=1)
    )
    symptom_onset = None
    area = factory.SelfAttribute("person.area")
    created_at = factory.LazyFunction(timezone.now)
    next_attempt_at = factory.SelfAttribute("created_at")
    escalate_due_at = factory.LazyAttribute(
        lambda c: _escalation_due("case", c.created_at)
    )
    isolation_ends_on = factory.LazyAttribute(
        lambda c: case_isolation_ends_on(
            symptom_onset=c.symptom_onset, specimen_date=c.specimen_date
        )
    )


class RiskAssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RiskAssessment

    case = factory.SubFactory(CaseFactory)
    occupation = "Teacher"
    works_in = SettingKind.SCHOOL
    household_size = 3
    assessed_by = factory.SubFactory(UserFactory)
    assessed_at = factory.LazyFunction(timezone.now)


class ExposureSettingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExposureSetting

    name = factory.Sequence(lambda n: f"Setting {n}")
    kind = SettingKind.WORKPLACE
    postcode = "S1 1AA"
    area = factory.LazyFunction(area)


class SettingVisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SettingVisit

    case = factory.SubFactory(CaseFactory)
    setting = factory.SubFactory(ExposureSettingFactory)
    visited_on = factory.LazyFunction(
        lambda: timezone.localdate() - dt.timedelta(days=3)
    )


class ContactFactory(factory.django.DjangoModelFactory):
    """A new contact, waiting in the pool."""

    class Meta:
        model = Contact

    case = factory.SubFactory(CaseFactory)
    person = factory.SubFactory(PersonFactory)
    exposure_date = factory.LazyFunction(
        lambda: timezone.localdate() - dt.timedelta(days=2)
    )
    exposure = Contact.Exposure.HOUSEHOLD
    area = factory.SelfAttribute("person.area")
    created_at = factory.LazyFunction(timezone.now)
    next_attempt_at = factory.SelfAttribute("created_at")
    escalate_due_at = factory.LazyAttribute(
        lambda c: _escalation_due("contact", c.created_at)
    )
    isolation_ends_on = factory.LazyAttribute(
        lambda c: contact_isolation_ends_on(last_exposure=c.exposure_date)
    )


class CallAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CallAttempt

    contact = factory.SubFactory(ContactFactory)
    caller = factory.SubFactory(UserFactory)
    started_at = factory.LazyFunction(timezone.now)
    duration_seconds = 120
    outcome = Outcome.NO_ANSWER


class ScriptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Script
        django_get_or_create = ("audience",)

    name = factory.LazyAttribute(lambda s: f"{s.audience.title()} call script")
    audience = Script.Audience.CONTACT


class ScriptStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScriptStep

    script = factory.SubFactory(ScriptFactory)
    order = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Step {n}")
    body = "Say who you are and why you are calling."


class KnowledgeArticleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KnowledgeArticle

    title = factory.Sequence(lambda n: f"Article {n}")
    body = "Guidance text."


class EscalationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Escalation

    contact = factory.SubFactory(ContactFactory, status="escalated")
    local_team = factory.LazyAttribute(lambda e: e.contact.area.local_team)
    reason = Escalation.Reason.UNREACHED
    created_at = factory.LazyFunction(timezone.now)
    due_at = factory.LazyAttribute(lambda e: e.created_at + dt.timedelta(hours=24))


class EscalationActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EscalationAction

    escalation = factory.SubFactory(EscalationFactory)
    kind = EscalationAction.Kind.DOORSTEP
    by = factory.SubFactory(UserFactory)
    at = factory.LazyFunction(timezone.now)


class ClusterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cluster

    setting = factory.SubFactory(ExposureSettingFactory)
    area = factory.SelfAttribute("setting.area")
    first_visit_on = factory.LazyFunction(
        lambda: timezone.localdate() - dt.timedelta(days=7)
    )
    last_visit_on = factory.LazyFunction(timezone.localdate)
    detected_at = factory.LazyFunction(timezone.now)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    person = factory.SubFactory(PersonFactory)
    channel = Message.Channel.SMS
    to = factory.LazyAttribute(lambda m: str(m.person.phone))
    body = "You need to self-isolate."


class CallReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CallReview

    call = factory.SubFactory(CallAttemptFactory)


class AuditEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEvent

    at = factory.LazyFunction(timezone.now)
    user = factory.SubFactory(UserFactory)
    action = AuditEvent.Action.VIEW
    object_type = "cases.case"
    object_id = "1"
