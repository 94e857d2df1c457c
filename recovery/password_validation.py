"""A password validator Django's own set lacks: eight spaces are eight characters, but not a password."""
from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext


class NotBlankPasswordValidator:
    """Refuses a password made only of whitespace."""

    def validate(self, password: str, user: Any = None) -> None:
        if not password.strip():
            raise ValidationError(gettext("The password cannot be only spaces."), code="password_blank")

    def get_help_text(self) -> str:
        return gettext("Your password cannot be only spaces.")
