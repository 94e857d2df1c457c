"""What notifications tells the product about devices, without knowing the product (DESIGN.md: the
infrastructure never imports recovery; recovery listens). Both are sent after the change commits."""
from __future__ import annotations

from django.dispatch import Signal

# FCM said these users' tokens are dead and their devices were disabled. kwargs: user_ids (list[int]).
devices_lost = Signal()

# A user registered (or re-registered) a push token. kwargs: user_id (int), device_id (int).
device_registered = Signal()
