"""How each category of push is presented on the phone: Android channel, iOS interruption level,
priority, expiry (TTL) and collapsing. The text itself stays neutral (notifications.services.NEUTRAL_TEXT).

- Escalations (emergency, urgent) go to their own Android channels, so a surgeon who mutes reminders
  never mutes emergencies, and to iOS as `time-sensitive` (shown through Focus modes; this needs only
  the app's Time Sensitive Notifications capability). Critical alerts (`critical` level, sound even when
  muted) are NOT requested: they need an entitlement Apple grants on application, and the per-user
  permission to go with it; the surgeon app can adopt them once granted by changing this table.
  Escalations never expire at FCM (they are retried until the case is closed) and never collapse.
- Messages from the care team: high priority, `active`, no expiry.
- Reminders: normal priority, `active`, collapse per kind (a phone offline for a day shows one, not
  five) and expire: the sender gives each an `expires_at` (recovery.services.pushes.REMINDER_TTL), sent
  to FCM as the TTL left, after which neither FCM nor the outbox delivers it.
"""
from __future__ import annotations

from dataclasses import dataclass


class PushCategory:
    EMERGENCY = "emergency"
    URGENT = "urgent"
    MESSAGE = "message"
    REMINDER = "reminder"

    ESCALATIONS = (EMERGENCY, URGENT)


@dataclass(frozen=True)
class Presentation:
    android_channel_id: str
    android_priority: str  # FCM AndroidMessagePriority: "high" wakes the device, "normal" may wait
    apns_priority: str  # "10" immediately, "5" power-considerate
    interruption_level: str  # iOS 15+: passive, active, time-sensitive, critical
    collapse: bool = False  # one collapse key per kind: only the latest is shown after an outage


PRESENTATION: dict[str, Presentation] = {
    PushCategory.EMERGENCY: Presentation("escalations_emergency", "high", "10", "time-sensitive"),
    PushCategory.URGENT: Presentation("escalations_urgent", "high", "10", "time-sensitive"),
    PushCategory.MESSAGE: Presentation("messages", "high", "10", "active"),
    PushCategory.REMINDER: Presentation("reminders", "normal", "5", "active", collapse=True),
}


def presentation_of(category: str) -> Presentation:
    return PRESENTATION.get(category, PRESENTATION[PushCategory.MESSAGE])
