"""Bootstrap a surgeon login (shared/API.md): manage.py create_surgeon --username U --password P [--email E]."""
from __future__ import annotations

from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from recovery.models import Surgeon, User
from recovery.services.accounts import create_surgeon


class Command(BaseCommand):
    help = "Create a surgeon account (login with role surgeon and its clinical profile)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--email", default="")
        parser.add_argument("--display-name", default="", help='Shown to patients; default "Dr. <username>".')
        parser.add_argument(
            "--backup", default="", metavar="USERNAME",
            help="An existing surgeon who receives this surgeon's escalations left unacknowledged.",
        )

    def handle(
        self, *args: Any, username: str, password: str, email: str, display_name: str, backup: str, **_options: Any
    ) -> None:
        if User.objects.filter(username__iexact=username).exists():
            raise CommandError(f'A user named "{username}" already exists.')
        backup_surgeon = None
        if backup:
            backup_surgeon = Surgeon.objects.filter(user__username__iexact=backup).first()
            if backup_surgeon is None:
                raise CommandError(f'No surgeon named "{backup}" to be the backup.')
        try:
            password_validation.validate_password(password, user=User(username=username, email=email))
        except ValidationError as exc:
            raise CommandError("Password refused: " + " ".join(exc.messages)) from exc
        surgeon = create_surgeon(
            username=username, password=password, email=email, display_name=display_name, backup=backup_surgeon
        )
        self.stdout.write(self.style.SUCCESS(f'Created surgeon "{surgeon.user.username}" ({surgeon.display_name}).'))
