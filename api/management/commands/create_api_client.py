from django.core.management.base import BaseCommand, CommandError

from api.models import ApiClient, Scope
from api.services import api_client_create
from areas.models import LocalTeam


class Command(BaseCommand):
    help = "Make an API client and print its token (shown this once only)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument(
            "--scope",
            action="append",
            choices=Scope.values,
            dest="scopes",
            help="Repeat for several; default: all scopes.",
        )
        parser.add_argument("--local-team", help="Code of the local team to scope to.")
        parser.add_argument("--rate", type=int, default=120, help="Requests a minute.")

    def handle(self, *args, name, scopes, local_team, rate, **options):
        longest = ApiClient._meta.get_field("name").max_length
        if longest is not None and len(name) > longest:
            raise CommandError(f"A client's name has at most {longest} characters.")
        if ApiClient.objects.filter(name=name).exists():
            raise CommandError(f"A client named {name!r} already exists.")
        if rate < 1:
            raise CommandError("--rate must be at least 1.")
        team = None
        if local_team:
            team = LocalTeam.objects.filter(code=local_team).first()
            if team is None:
                raise CommandError(f"No local team with code {local_team!r}.")
        client, token = api_client_create(
            name=name,
            scopes=scopes or list(Scope.values),
            local_team=team,
            rate_limit_per_minute=rate,
        )
        self.stderr.write(
            f"Made client {client.name} with scopes {', '.join(client.scopes)}. "
            "Its token (not stored, not shown again):"
        )
        self.stdout.write(token)
