"""Bootstrap a nurse login (shared/API.md 1.1): manage.py create_nurse --username U --password P --team SURGEON
[--team ...]."""
from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from recovery.models import Surgeon, User
from recovery.services.accounts import create_nurse


class Command(BaseCommand):
    help = "Create a nurse account in the teams of one or more surgeons (they see those surgeons' patients)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--team", action="append", required=True, metavar="SURGEON_USERNAME",
                            help="A surgeon whose team the nurse joins; repeat for several teams.")
        parser.add_argument("--email", default="")
        parser.add_argument("--display-name", default="", help="Shown to patients; default the username.")

    def handle(self, *args: object, username: str, password: str, team: list[str], email: str, display_name: str,
               **_options: object) -> None:
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f'A user named "{username}" already exists.')
        surgeons = []
        for name in dict.fromkeys(team):
            surgeon = Surgeon.objects.filter(user__username__iexact=name).first()
            if surgeon is None:
                raise CommandError(f'No surgeon named "{name}" whose team the nurse could join.')
            surgeons.append(surgeon)
        try:
            password_validation.validate_password(password, user=User(username=username, email=email))
        except ValidationError as exc:
            raise CommandError("Password refused: " + " ".join(exc.messages)) from exc
        nurse = create_nurse(username=username, password=password, teams=surgeons, email=email,
                             display_name=display_name)
        teams = ", ".join(s.display_name for s in surgeons)
        self.stdout.write(self.style.SUCCESS(f'Created nurse "{nurse.user.username}" in the team(s) of {teams}.'))
