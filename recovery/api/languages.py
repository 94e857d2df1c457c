"""The language an API view answers in before a login tells one."""
from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.views import APIView

from recovery import i18n


class PhoneLanguageView(APIView):
    """A view whose errors, from authentication on, are in the phone's language (Accept-Language): there is no
    login yet to read one from (login, activation, refresh, logout), or a refused one (a patient's expired token).
    A patient's views then switch to the patient's own language."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        i18n.activate_phone_language(request)
        super().initial(request, *args, **kwargs)
