from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from api.models import ApiClient
from api.services import api_client_rotate_token

# The longest a token may be given: ten years (a mistyped number overflowed).
LONGEST_DAYS = 3650


class Command(BaseCommand):
    help = (
        "Give an API client a new token and print it (shown this once only); the old "
        "token keeps working for API_TOKEN_ROTATION_GRACE so the integration can "
        "switch."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="The client's name.")
        parser.add_argument(
            "--expires-in-days",
            type=int,
            help="The new token stops working after this many days; default: never.",
        )

    def handle(self, *args, name, expires_in_days, **options):
        client = ApiClient.objects.filter(name=name).first()
        if client is None:
            raise CommandError(f"No API client named {name!r}.")
        if not client.is_active:
            raise CommandError(f"The client {name!r} is inactive.")
        if expires_in_days is not None and not 1 <= expires_in_days <= LONGEST_DAYS:
            raise CommandError(
                f"--expires-in-days must be from 1 to {LONGEST_DAYS} (ten years)."
            )
        expires_at = (
            timezone.now() + timedelta(days=expires_in_days)
            if expires_in_days is not None
            else None
        )
        token = api_client_rotate_token(client=client, expires_at=expires_at)
        until = timezone.localtime(client.previous_token_expires_at)
        self.stderr.write(
            f"Rotated the token of {client.name}. The old token works until "
            f"{until:%Y-%m-%d %H:%M %Z} (grace {settings.API_TOKEN_ROTATION_GRACE}); "
            "the new token (not stored, not shown again):"
        )
        self.stdout.write(token)
