from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from api.models import ApiClient
from api.services import TokenExpiryNeeded, api_client_rotate_token

# The longest a token may be given: ten years (a mistyped number overflowed).
LONGEST_DAYS = 3650


class Command(BaseCommand):
    help = (
        "Give an API client a new token and print it (shown this once only); the old "
        "token keeps working for API_TOKEN_ROTATION_GRACE so the integration can "
        "switch. The new token keeps the client's expiry, if it has one, unless "
        "--expires-in-days gives a new one; a client whose expiry has passed is "
        "refused until --expires-in-days is given. Rotated again within the grace, "
        "the token in use before the first rotation keeps its grace and the token "
        "that rotation issued stops working."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="The client's name.")
        parser.add_argument(
            "--expires-in-days",
            type=int,
            help="The new token stops working after this many days; default: the "
            "client's expiry as it is (never, if it has none). Needed when that "
            "expiry has passed.",
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
        dropped = client.previous_token_in_grace()
        try:
            token = api_client_rotate_token(client=client, expires_at=expires_at)
        except TokenExpiryNeeded as refused:
            raise CommandError(
                f"{refused} Give one with --expires-in-days N; nothing was changed."
            ) from None
        until = timezone.localtime(client.previous_token_expires_at)
        old = (
            "The token in use before the last rotation works until"
            if dropped
            else "The old token works until"
        )
        self.stderr.write(
            f"Rotated the token of {client.name}. {old} "
            f"{until:%Y-%m-%d %H:%M %Z} (grace {settings.API_TOKEN_ROTATION_GRACE})"
            + (
                "; the token the last rotation issued stops working now"
                if dropped
                else ""
            )
            + "; the new token (not stored, not shown again):"
        )
        self.stdout.write(token)
