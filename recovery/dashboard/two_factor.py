"""Second-factor pages for staff (recovery/staff_auth.py): set up a TOTP app, then enter its code.

Setting up shows a QR code (and the key in text) for an authenticator app, confirms one code from it,
and shows ten single-use recovery codes once. Verifying accepts a current TOTP code or an unused
recovery code. django-otp throttles wrong codes per device (growing delay after each failure).
"""
from __future__ import annotations

import base64
from typing import Any

import django_otp
import qrcode
import qrcode.image.svg
from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from recovery import access

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_CODES_NAME = "Recovery codes"


class CodeForm(forms.Form):
    otp_token = forms.CharField(label="Code", max_length=32, widget=forms.TextInput(
        attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}))


class NextForm(forms.Form):
    """Where to go after the second factor; the CharField refuses a NUL (no header or page may carry one)."""

    next = forms.CharField(required=False)


def _next_url(request: HttpRequest) -> str:
    form = NextForm({"next": request.POST.get("next") or request.GET.get("next") or ""})
    wanted = form.cleaned_data["next"] if form.is_valid() else ""
    if wanted and url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return wanted
    # The care team (surgeons and nurses) works in the dashboard; other staff in the admin.
    return reverse("dashboard:inbox") if access.is_care_team_member(request.user) else reverse("admin:index")


def _qr_data_uri(text: str) -> str:
    """The QR code as an SVG data URI: an <img> the CSP allows, no inline markup or script."""
    svg = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage).to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def _new_recovery_codes(user: Any) -> list[str]:
    """Replace the user's recovery codes with ten fresh single-use ones."""
    device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_CODES_NAME)
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


class VerifyView(LoginRequiredMixin, View):
    template_name = "dashboard/two_factor_verify.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        if not django_otp.user_has_device(request.user):
            return redirect(f"{reverse('dashboard:two-factor-setup')}?{request.GET.urlencode()}")
        return render(request, self.template_name, {"form": CodeForm(), "next": _next_url(request)})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = CodeForm(request.POST)
        if form.is_valid():
            device = django_otp.match_token(request.user, form.cleaned_data["otp_token"].replace(" ", ""))
            if device is not None:
                django_otp.login(request, device)
                return redirect(_next_url(request))
            form.add_error("otp_token", "That code is not valid (or was already used). Try the current one.")
        return render(request, self.template_name, {"form": form, "next": _next_url(request)}, status=400)


class SetupView(LoginRequiredMixin, View):
    template_name = "dashboard/two_factor_setup.html"

    def _device(self, request: HttpRequest) -> TOTPDevice:
        device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
        return device or TOTPDevice.objects.create(user=request.user, name=AUTHENTICATOR_NAME, confirmed=False)

    def _page(self, request: HttpRequest, device: TOTPDevice, form: CodeForm, status: int = 200) -> HttpResponse:
        context = {"form": form, "next": _next_url(request), "qr": _qr_data_uri(device.config_url),
                   "key": base64.b32encode(device.bin_key).decode()}
        return render(request, self.template_name, context, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        if django_otp.user_has_device(request.user):
            return redirect(f"{reverse('dashboard:two-factor')}?{request.GET.urlencode()}")
        return self._page(request, self._device(request), CodeForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        if django_otp.user_has_device(request.user):
            return redirect(reverse("dashboard:two-factor"))
        device = self._device(request)
        form = CodeForm(request.POST)
        if not (form.is_valid() and device.verify_token(form.cleaned_data["otp_token"].replace(" ", ""))):
            form.add_error("otp_token", "That code does not match. Enter the current code from the app.")
            return self._page(request, device, form, status=400)
        with transaction.atomic():
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _new_recovery_codes(request.user)
        django_otp.login(request, device)
        return render(request, "dashboard/two_factor_codes.html", {"codes": codes, "next": _next_url(request)})
