"""Rate limits of the API."""
from __future__ import annotations

from typing import cast

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle


class AuthRateThrottle(ScopedRateThrottle):
    """ScopedRateThrottle reading the rates from the live settings (DRF's copies them at import), so an
    override in settings, or in a test, applies. Views set `throttle_scope = "auth"`."""

    def get_rate(self) -> str | None:
        self.THROTTLE_RATES = cast(dict[str, str | None], api_settings.DEFAULT_THROTTLE_RATES)
        return super().get_rate()
