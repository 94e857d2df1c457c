"""Rate limits of the API."""
from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle


class AuthRateThrottle(ScopedRateThrottle):
    """ScopedRateThrottle reading the rates from the live settings (DRF's copies them at import), so an
    override in settings, or in a test, applies. Views set `throttle_scope = "auth"`."""

    @property
    def THROTTLE_RATES(self) -> dict[str, str | None]:  # noqa: N802 - the name DRF reads
        return api_settings.DEFAULT_THROTTLE_RATES
